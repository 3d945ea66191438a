"""The catalogue checks pass on the shipped catalogue and catch each kind of fault."""

import json
import shutil
from pathlib import Path

import pytest

from hub.catalogue.checks import consistency, example_problems
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import PartnerDirectory, load_directory
from tests.conftest import CONTRACTS, DIRECTORY, FORMAL_NOTICE


def test_the_shipped_catalogue_and_directory_pass(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    assert consistency(catalogue, directory) == []
    assert example_problems(catalogue) == []


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(CONTRACTS, tmp_path / "contracts")
    shutil.copy(DIRECTORY, tmp_path / "directory.yaml")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(root: Path) -> list[str]:
    catalogue = load_catalogue(root / "contracts")
    directory = load_directory(root / "directory.yaml")
    return consistency(catalogue, directory) + example_problems(catalogue)


def test_an_office_the_directory_lacks_is_reported(copy: Path) -> None:
    _edit(
        copy / "contracts" / FORMAL_NOTICE / "contract.yaml",
        "- academie/dsden",
        "- academie/rectorat",
    )
    assert f"{FORMAL_NOTICE}: producer academie/rectorat is not in the directory" in _problems(copy)


def test_a_reference_to_an_unknown_contract_is_reported(copy: Path) -> None:
    _edit(
        copy / "contracts" / FORMAL_NOTICE / "contract.yaml",
        "closed_by: [",
        "closed_by: [nothing.here, ",
    )
    assert f"{FORMAL_NOTICE}: refers to the unknown contract nothing.here" in _problems(copy)


def test_a_pinned_version_that_is_not_live_is_reported(copy: Path) -> None:
    _edit(copy / "directory.yaml", "  caf:\n", f"  caf:\n    consumes: {{{FORMAL_NOTICE}: 7}}\n")
    assert f"caf reads {FORMAL_NOTICE} v7, which is not live" in _problems(copy)


def test_an_example_that_does_not_fail_as_labelled_is_reported(copy: Path) -> None:
    folder = copy / "contracts" / FORMAL_NOTICE / "v1" / "examples"
    valid = json.loads((folder / "valid" / "saint-junien-minimal.json").read_text())
    mislabelled = {"$comment": "required: claims a field is missing", **valid}
    (folder / "invalid" / "mislabelled.json").write_text(json.dumps(mislabelled))
    wrong_rule = {"$comment": "pattern: names the wrong rule", **valid, "reason": "other"}
    (folder / "invalid" / "wrong-rule.json").write_text(json.dumps(wrong_rule))
    problems = _problems(copy)
    assert f"{FORMAL_NOTICE} mislabelled.json: labelled invalid, passes" in problems
    assert f"{FORMAL_NOTICE} wrong-rule.json: $comment names pattern, fails schema.enum" in problems


def test_an_office_routing_by_hand_must_be_a_consumer_of_the_routing_alert(copy: Path) -> None:
    _edit(copy / "directory.yaml", "routes_by_hand: sdas", "routes_by_hand: crip")
    problems = _problems(copy)
    assert "hub.routing-alert: departement/crip routes by hand but is not one of its consumers" in (
        problems
    )
    assert "hub.routing-alert: departement/sdas is a consumer but routes nothing by hand" in (
        problems
    )
