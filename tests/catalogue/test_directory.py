import json
import re
from pathlib import Path

import pytest
import yaml

from hub.catalogue.directory import DirectoryError, PartnerDirectory, load_directory
from hub.settings import PROJECT_ROOT
from tests.conftest import CONTRACTS, DIRECTORY


def test_shipped_directory_routes_communes_to_their_mdd(directory: PartnerDirectory) -> None:
    assert directory.office_for_commune("departement", "mdd", "87085") == "mdd:87-limoges-nord"
    assert directory.office_for_commune("departement", "mdd", "87154") == "mdd:87-saint-junien"
    assert directory.office_for_commune("departement", "mdd", "75056") is None
    assert directory.office_for_commune("departement", "sdas", "87085") is None


def test_the_shipped_directory_is_read_whole_and_each_partner_has_its_adapter(
    directory: PartnerDirectory,
) -> None:
    # The partners come from the file, read here on its own, never from a list in a test.
    raw = yaml.safe_load((PROJECT_ROOT / "directory" / "haute-vienne.yaml").read_text("utf-8"))
    assert directory.partners == tuple(raw["partners"])
    for partner in directory.partners:
        assert (PROJECT_ROOT / "adapters" / partner / "__main__.py").is_file(), partner
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
    kind: social-services
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
  departement: {name: D, kind: social-services, offices: {"mdd:a": {name: A, communes: ["8708"]}}}
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
  departement:
    {name: D, kind: social-services, routes_by_hand: dispatch, offices: {sdas: {name: S}}}
""",
    )
    with pytest.raises(DirectoryError, match="routes_by_hand: dispatch is not one of its offices"):
        load_directory(path)


SCHOOLS = """
territory: {name: T, code: "87"}
partners:
  academie:
    name: A
    kind: education
    offices:
      dsden: {name: D}
      etablissement: {name: "Chef d'établissement", code_pattern: "^[0-9]{7}[A-Z]$"}
"""


def test_a_kind_known_by_codes_makes_every_matching_code_an_office(tmp_path: Path) -> None:
    directory = load_directory(_write(tmp_path, SCHOOLS))
    assert directory.has_office("academie", "etablissement:0870015U")
    assert directory.has_office("academie", "etablissement:0870016V")
    for office in (
        "etablissement",  # the kind is no office
        "etablissement:0870015u",  # not the pattern
        "etablissement:087001U",
        "etablissement:0870015U-x",  # the whole code must match
        "etablissements",
    ):
        assert not directory.has_office("academie", office), office
    assert directory.offices("academie") == ("dsden",)  # no member is listed
    assert directory.entries("academie") == ("dsden", "etablissement")
    assert directory.coded_kinds("academie") == ("etablissement",)
    assert directory.knows("academie", "etablissement")
    assert not directory.knows("academie", "college")


def test_the_shipped_schools_are_known_by_the_uai_of_the_shared_definitions(
    directory: PartnerDirectory,
) -> None:
    definitions = json.loads((CONTRACTS / "_definitions/v1/schema.json").read_text())
    shipped = yaml.safe_load(DIRECTORY.read_text())["partners"]["academie"]["offices"]
    assert shipped["etablissement"]["code_pattern"] == definitions["$defs"]["uai"]["pattern"]
    assert directory.has_office("academie", "etablissement:0870015U")
    assert not directory.knows("academie", "etablissements")  # the one office of every school


@pytest.mark.parametrize(
    ("offices", "fault"),
    [
        (
            '{etablissement: {name: E, code_pattern: "^[0-9"}}',
            "code_pattern is not a regular expression",
        ),
        (
            '{"etablissement:x": {name: E, code_pattern: "^[0-9]{7}[A-Z]$"}}',
            "a kind known by codes is named without a code",
        ),
        (
            (
                '{etablissement: {name: E, code_pattern: "^[0-9]{7}[A-Z]$"}, '
                '"etablissement:0870015U": {name: L}}'
            ),
            "do not list etablissement:0870015U too",
        ),
        (
            '{etablissement: {name: E, code_pattern: "^[0-9]{7}[A-Z]$", communes: ["87085"]}}',
            "cannot serve communes",
        ),
    ],
)
def test_a_kind_known_by_codes_is_declared_once_and_plainly(
    tmp_path: Path, offices: str, fault: str
) -> None:
    with pytest.raises(DirectoryError, match=re.escape(fault)):
        load_directory(_write(tmp_path, _one_partner(offices)))


def _one_partner(offices: str, consumes: str = "{}") -> str:
    partner = f"{{name: A, kind: education, consumes: {consumes}, offices: {offices}}}"
    return f'territory: {{name: T, code: "87"}}\npartners: {{a: {partner}}}\n'


PINS = """
territory: {name: T, code: "87"}
partners:
  departement:
    name: D
    kind: social-services
    consumes: {ip.transmission: {major: 1, accepts_loss_of: [other_minors]}}
    offices:
      crip: {name: C, consumes: {ip.transmission: 2}}
      sdas: {name: S}
  academie:
    name: A
    kind: education
    offices:
      etablissement:
        name: E
        code_pattern: "^[0-9]{7}[A-Z]$"
        consumes: {ip.retour: 1}
"""


def test_an_office_pin_wins_over_its_partner_pin(tmp_path: Path) -> None:
    directory = load_directory(_write(tmp_path, PINS))
    assert directory.consumed_major("departement", "ip.transmission", "crip") == 2
    assert directory.consumed_major("departement", "ip.transmission", "sdas") == 1
    assert directory.consumed_major("departement", "ip.transmission") == 1  # the partner's
    assert directory.consumed_major("departement", "ip.retour", "crip") is None
    pinned = directory.pinned("departement", "sdas", "ip.transmission")
    assert pinned is not None
    assert (pinned.holder, pinned.pin.major, pinned.pin.accepts_loss_of) == (
        "departement",
        1,
        ("other_minors",),
    )


def test_a_school_reads_through_the_pin_of_its_kind(tmp_path: Path) -> None:
    directory = load_directory(_write(tmp_path, PINS))
    assert directory.consumed_major("academie", "ip.retour", "etablissement:0870015U") == 1
    pinned = directory.pinned("academie", "etablissement:0870015U", "ip.retour")
    assert pinned is not None
    assert pinned.holder == "academie/etablissement"
    assert directory.consumed_major("academie", "ip.retour", "etablissement:nope") is None


def test_every_pin_is_listed_by_who_declared_it(tmp_path: Path) -> None:
    directory = load_directory(_write(tmp_path, PINS))
    assert directory.declared_versions() == {
        "departement": {"ip.transmission": 1},
        "departement/crip": {"ip.transmission": 2},
        "academie/etablissement": {"ip.retour": 1},
    }


@pytest.mark.parametrize(
    "pin",
    ["true", '"1"', "0", "{major: 1, accepts_loss_of: [child.birth_date]}", "{major: 1, x: 1}"],
)
def test_a_pin_is_a_major_or_a_major_with_the_losses_it_accepts(tmp_path: Path, pin: str) -> None:
    path = _write(tmp_path, _one_partner("{o: {name: O}}", f"{{ip.transmission: {pin}}}"))
    with pytest.raises(DirectoryError, match="inconsistent"):
        load_directory(path)
    path = _write(
        tmp_path, _one_partner(f"{{o: {{name: O, consumes: {{ip.transmission: {pin}}}}}}}")
    )
    with pytest.raises(DirectoryError, match="inconsistent"):
        load_directory(path)


def test_each_office_has_its_legal_kind(directory: PartnerDirectory) -> None:
    # The département's offices are its social services, but for its CRIP and its FSL.
    assert directory.kind_of("departement", "crip") == "child-protection"
    assert directory.kind_of("departement", "crip-astreinte") == "child-protection"
    assert directory.kind_of("departement", "fsl") == "housing-fund"
    assert directory.kind_of("departement", "sdas") == "social-services"
    assert directory.kind_of("departement", "mdd:87-bellac") == "social-services"
    assert directory.kind_of("academie", "etablissement:0870015U") == "education"
    assert directory.kind_of("isg", "isg") == "gendarmerie-social-worker"
    assert directory.kind_of("msa", "msa") == directory.kind_of("caf", "caf") == "benefit-payer"
    assert directory.kind_of("ccapex", "ccapex") == "housing-commission"
    with pytest.raises(DirectoryError, match="departement/mdd is not an office"):
        directory.kind_of("departement", "mdd")


def test_an_office_with_no_legal_kind_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
territory: {name: T, code: "87"}
partners:
  departement:
    name: D
    offices:
      crip: {name: C, kind: child-protection}
      sdas: {name: S}
""",
    )
    with pytest.raises(DirectoryError, match="offices sdas have no legal kind: give `kind:`"):
        load_directory(path)


def test_a_legal_kind_is_an_id(tmp_path: Path) -> None:
    path = _write(tmp_path, _one_partner("{a: {name: A, kind: Child Protection}}"))
    with pytest.raises(DirectoryError, match="kind"):
        load_directory(path)
