"""The compatibility gate: a known breaking change to a frozen minor fails, a safe one passes."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hub.catalogue.compat import compatibility_problems, current_minor, freeze
from hub.catalogue.contracts import load_catalogue
from tests.conftest import CONTRACTS, FORMAL_NOTICE

Schema = dict[str, Any]


def _add_required(schema: Schema) -> None:
    schema["required"].append("notified_on")


def _remove_field(schema: Schema) -> None:
    del schema["properties"]["last_known_school_uai"]


def _narrow_type(schema: Schema) -> None:
    schema["properties"]["dasen_reference"] = {"type": "string", "maxLength": 10}


def _add_optional_field(schema: Schema) -> None:
    schema["properties"]["note"] = {"type": "string"}


def _describe(schema: Schema) -> None:
    schema["description"] = "Clarified wording, no change to what is valid."


@pytest.fixture
def frozen(tmp_path: Path) -> Path:
    """A copy of the shipped catalogue, where every live major is published as x.0."""
    root = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, root)
    published = root / FORMAL_NOTICE / "v1" / "history" / "1.0.json"
    assert "$ref" not in published.read_text()
    return root


def _change(root: Path, edit: Callable[[Schema], None]) -> list[str]:
    if edit is _remove_field:  # no consumer may still name it, or the catalogue does not load
        meta = root / FORMAL_NOTICE / "contract.yaml"
        meta.write_text(meta.read_text().replace("\n             last_known_school_uai]", "]"))
    path = root / FORMAL_NOTICE / "v1" / "schema.json"
    schema = json.loads(path.read_text())
    edit(schema)
    path.write_text(json.dumps(schema))
    return compatibility_problems(load_catalogue(root))


@pytest.mark.parametrize(
    "edit",
    [_add_required, _remove_field, _narrow_type, _add_optional_field],
    ids=lambda f: f.__name__.strip("_"),
)
def test_a_breaking_change_within_a_major_fails_the_gate(
    frozen: Path, edit: Callable[[Schema], None]
) -> None:
    assert _change(frozen, edit) == [
        f"{FORMAL_NOTICE} v1 (live) is not FULL compatible with {minor}" for minor in ("1.0", "1.1")
    ]


def test_a_change_of_wording_passes_and_can_be_published_as_the_next_minor(frozen: Path) -> None:
    assert _change(frozen, _describe) == []
    path = freeze(load_catalogue(frozen), FORMAL_NOTICE, 1)
    assert path.name == "1.2.json"  # after 1.0 and 1.1 (its fields' data categories)
    assert current_minor(load_catalogue(frozen).contracts[FORMAL_NOTICE], 1) == "1.2"


def test_the_gate_is_transitive(frozen: Path) -> None:
    _change(frozen, _describe)
    freeze(load_catalogue(frozen), FORMAL_NOTICE, 1)  # 1.2 published
    assert _change(frozen, _add_required) == [
        f"{FORMAL_NOTICE} v1 (live) is not FULL compatible with 1.0",
        f"{FORMAL_NOTICE} v1 (live) is not FULL compatible with 1.1",
        f"{FORMAL_NOTICE} v1 (live) is not FULL compatible with 1.2",
    ]


def test_every_live_major_of_the_catalogue_is_published() -> None:
    catalogue = load_catalogue(CONTRACTS)
    for contract in catalogue.contracts.values():
        for major in contract.versions:
            assert (contract.folder / f"v{major}" / "history" / f"{major}.0.json").exists()


def test_a_major_never_published_is_refused_saying_how_to_publish_it(tmp_path: Path) -> None:
    root = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, root)
    history = root / "ip.retour" / "v1" / "history"
    shutil.rmtree(history)
    expected = (
        f"{history}: ip.retour v1 was never published: run `hub contracts freeze ip.retour "
        "--major 1`, which writes 1.0.json there"
    )
    assert compatibility_problems(load_catalogue(root)) == [expected]


def test_the_shipped_catalogue_passes_the_gate() -> None:
    assert compatibility_problems(load_catalogue(CONTRACTS)) == []
