"""Schema faults become reasons with a rule, a limit and a pointer: never a value."""

from __future__ import annotations

import copy
from typing import Any

from hub.catalogue.contracts import Catalogue
from hub.catalogue.validation import MAX_REASONS, pointer, schema_reasons
from tests.conftest import FORMAL_NOTICE, example

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
CANARY = "Canary-Ginette-Lagarde-1953"


def _reasons(catalogue: Catalogue, payload: Any) -> list[tuple[str, str | None]]:
    validator = catalogue.contracts[FORMAL_NOTICE].versions[1].validator
    return [(r.code, r.pointer) for r in schema_reasons(validator, payload)]


def test_a_valid_payload_breaks_no_rule(catalogue: Catalogue) -> None:
    assert _reasons(catalogue, LIMOGES) == []


def test_each_missing_property_is_named_at_its_own_pointer(catalogue: Catalogue) -> None:
    payload = copy.deepcopy(LIMOGES)
    del payload["child"]["last_name"], payload["sent_on"]
    assert set(_reasons(catalogue, payload)) == {
        ("schema.required", "/sent_on"),
        ("schema.required", "/child/last_name"),
    }


def test_a_wrong_type_or_format_is_reported_without_the_value(catalogue: Catalogue) -> None:
    payload = copy.deepcopy(LIMOGES)
    payload["child"]["birth_date"] = CANARY
    payload["guardians"] = CANARY
    validator = catalogue.contracts[FORMAL_NOTICE].versions[1].validator
    reasons = schema_reasons(validator, payload)
    assert {(r.code, r.pointer) for r in reasons} >= {
        ("schema.type", "/guardians"),
    }
    assert any(r.pointer == "/child/birth_date" for r in reasons)
    assert CANARY not in repr([r.as_json() for r in reasons])


def test_an_undeclared_property_with_an_unsafe_name_is_reported_at_its_parent(
    catalogue: Catalogue,
) -> None:
    payload = {**copy.deepcopy(LIMOGES), f"{CANARY} née": 1}
    [(code, at)] = _reasons(catalogue, payload)
    assert code.startswith("schema.")
    assert at == ""
    assert CANARY not in str(at)


def test_reasons_are_bounded_and_listed_once(catalogue: Catalogue) -> None:
    payload = {**copy.deepcopy(LIMOGES), "guardians": list(range(3 * MAX_REASONS))}
    reasons = _reasons(catalogue, payload)
    assert len(reasons) == MAX_REASONS
    assert len(set(reasons)) == len(reasons)


def test_pointers_escape_tilde_and_slash_as_rfc_6901_says() -> None:
    assert pointer(["a/b", "c~d", 0]) == "/a~1b/c~0d/0"
    assert pointer([]) == ""
