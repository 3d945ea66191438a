from pathlib import Path

import pytest

from hub.catalogue.directory import DirectoryError, PartnerDirectory, load_directory


def test_shipped_directory_routes_communes_to_their_mdd(directory: PartnerDirectory) -> None:
    assert directory.office_for_commune("departement", "mdd", "87085") == "mdd:87-limoges-nord"
    assert directory.office_for_commune("departement", "mdd", "87154") == "mdd:87-saint-junien"
    assert directory.office_for_commune("departement", "mdd", "75056") is None
    assert directory.office_for_commune("departement", "sdas", "87085") is None


def test_shipped_directory_lists_the_five_partners(directory: PartnerDirectory) -> None:
    assert directory.partners == ("academie", "departement", "isg", "caf", "ccapex")
    assert directory.has_office("departement", "crip")
    assert not directory.has_office("caf", "crip")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "directory.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_commune_served_by_two_offices_of_one_kind_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
territory: {name: T, code: "87"}
partners:
  departement:
    name: D
    offices:
      mdd:a: {name: A, communes: ["87085"]}
      mdd:b: {name: B, communes: ["87085"]}
""",
    )
    with pytest.raises(DirectoryError, match="87085 is served by both mdd:a and mdd:b"):
        load_directory(path)


def test_a_bad_commune_code_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
territory: {name: T, code: "87"}
partners:
  departement: {name: D, offices: {"mdd:a": {name: A, communes: ["8708"]}}}
""",
    )
    with pytest.raises(DirectoryError, match="not INSEE commune codes: 8708"):
        load_directory(path)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="cannot read the partner directory"):
        load_directory(tmp_path / "absent.yaml")


def test_the_sdas_routes_by_hand_for_the_departement(directory: PartnerDirectory) -> None:
    assert directory.routes_by_hand("departement") == "sdas"
    assert directory.routes_by_hand("academie") is None
    assert directory.routes_by_hand("nobody") is None


def test_routing_by_hand_through_an_office_the_partner_lacks_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
territory: {name: T, code: "87"}
partners:
  departement: {name: D, routes_by_hand: dispatch, offices: {sdas: {name: S}}}
""",
    )
    with pytest.raises(DirectoryError, match="routes_by_hand: dispatch is not one of its offices"):
        load_directory(path)
