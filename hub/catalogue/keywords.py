"""The hub's own schema keyword: `x-hub-range`, a date kept within bounds.

A date a schema allows (`9999-12-31`) can still break what the hub computes from it (a
deadline's due date) or be absurd for a child or a hearing. The shared definitions bound every
date and date-time with `"x-hub-range": {"from": "1900-01-01", "to": "2099-12-31"}`, and both
validators enforce it as a rule of the schema, refused as `schema.date-range`. It is a keyword
of its own rather than a narrower `pattern` because, under the FULL compatibility gate, a
narrower standard rule would make every contract that uses dates incompatible with its
published minors; other validators ignore it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend
from referencing import Registry

RANGE = "x-hub-range"
DATE_LENGTH = 10  # YYYY-MM-DD, the part of a date-time the bounds apply to
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


def in_range(instance: Any, bounds: Mapping[str, str]) -> bool:
    """Whether a date (or a date-time's date) lies within the bounds.

    Anything that does not start as a date passes: its format rule already refuses it.
    """
    if not isinstance(instance, str) or not DATE.match(instance):
        return True
    return bounds["from"] <= instance[:DATE_LENGTH] <= bounds["to"]


def _range(_: Any, bounds: Mapping[str, str], instance: Any, __: Any) -> Iterator[ValidationError]:
    if not in_range(instance, bounds):
        yield ValidationError(f"must be a date from {bounds['from']} to {bounds['to']}")


class _FastRange:
    """`x-hub-range` for jsonschema-rs."""

    def __init__(self, _: Any, bounds: Mapping[str, str], __: Any) -> None:
        self._bounds = bounds

    def validate(self, instance: Any) -> None:
        if not in_range(instance, self._bounds):
            raise ValueError("outside the contract's date range")


# jsonschema does not annotate `extend`; the class it returns is a Draft 2020-12 validator.
HubValidator: type[Draft202012Validator] = extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {RANGE: _range}
)


def validators(
    schema: dict[str, Any], registry: Registry[Any], fast_registry: jsonschema_rs.Registry
) -> tuple[Draft202012Validator, jsonschema_rs.Validator]:
    """The explaining validator (python-jsonschema) and the deciding one (jsonschema-rs)."""
    explaining = HubValidator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    deciding = jsonschema_rs.Draft202012Validator(
        schema,
        registry=fast_registry,
        validate_formats=True,
        offline=True,
        keywords={RANGE: _FastRange},
    )
    return explaining, deciding
