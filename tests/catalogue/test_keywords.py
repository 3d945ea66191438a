"""The hub's own keyword, x-hub-range: a date within bounds, enforced by both validators."""

from __future__ import annotations

import jsonschema_rs
import pytest
from referencing import Registry

from hub.catalogue.keywords import RANGE, in_range, validators
from hub.catalogue.validation import schema_reasons

BOUNDS = {"from": "1900-01-01", "to": "2099-12-31"}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://partner-hub.example/test/keywords.json",
    "type": "object",
    "properties": {"on": {"type": "string", RANGE: BOUNDS}},
}


@pytest.mark.parametrize(
    "value", ["2026-11-23", "1900-01-01", "2099-12-31T23:59:59+01:00", "not a date", 17]
)
def test_a_date_within_bounds_or_no_date_at_all_passes(value: object) -> None:
    assert in_range(value, BOUNDS)  # "not a date": its format rule refuses it, not this one


@pytest.mark.parametrize("value", ["1899-12-31", "9999-12-31", "2100-01-01T00:00:00Z"])
def test_a_date_or_a_date_times_date_outside_the_bounds_fails(value: str) -> None:
    assert not in_range(value, BOUNDS)


def test_both_validators_enforce_it_and_the_reason_names_the_field() -> None:
    explaining, deciding = validators(SCHEMA, Registry(), jsonschema_rs.Registry([]))
    assert deciding.is_valid({"on": "2026-11-23"})
    assert not deciding.is_valid({"on": "9999-12-31"})
    [reason] = schema_reasons(explaining, {"on": "9999-12-31"})
    assert (reason.code, reason.pointer) == ("schema.date-range", "/on")
    assert reason.detail == "must be a date from 1900-01-01 to 2099-12-31"
    assert "9999" not in reason.detail
