"""Payload validation against a contract version, reported without echoing any value.

jsonschema's own messages quote the offending value; these reasons are rebuilt from the schema
side of each error (the rule and its limit) and the instance path only.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from hub.catalogue.keywords import RANGE
from hub.wire.reasons import Reason

MAX_REASONS = 20
MAX_DETAIL = 200
LIMITS = {
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minimum": "at least {}",
    "maximum": "at most {}",
    "exclusiveMinimum": "more than {}",
    "exclusiveMaximum": "less than {}",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
}


def schema_reasons(validator: Draft202012Validator, payload: Any) -> list[Reason]:
    """Every rule of the schema the payload breaks (at most `MAX_REASONS`), as safe reasons."""
    reasons: dict[Reason, None] = {}  # ordered, and once each: branches repeat their rules
    for error in validator.iter_errors(payload):
        reasons.update(dict.fromkeys(_reasons(error)))
        if len(reasons) >= MAX_REASONS:
            break
    return list(reasons)[:MAX_REASONS]


def pointer(path: Any) -> str:
    """A JSON Pointer (RFC 6901) for an instance path."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def rule_code(rule: str) -> str:
    """The rejection code of a schema rule (`required` is `schema.required`)."""
    if rule == RANGE:
        return "schema.date-range"
    return "schema." + re.sub(r"(?<!^)([A-Z])", r"-\1", rule).lower()


def _reasons(error: ValidationError) -> list[Reason]:
    rule = str(error.validator)
    at = pointer(error.absolute_path)
    if rule == "required":
        return _missing(error, at)
    if rule in {"additionalProperties", "unevaluatedProperties"}:
        return _undeclared(rule, at)
    return [Reason(rule_code(rule), _detail(rule, error.validator_value), at)]


def _missing(error: ValidationError, at: str) -> list[Reason]:
    present = error.instance if isinstance(error.instance, dict) else {}
    required = error.validator_value if isinstance(error.validator_value, list) else []
    return [
        Reason("schema.required", "required property is missing", f"{at}/{name}")
        for name in required
        if name not in present
    ]


def _undeclared(rule: str, at: str) -> list[Reason]:
    # Property names come from the sender's own payload and may be personal data (a field
    # named after a child): the fault is reported at the object that holds them, unnamed.
    return [Reason(rule_code(rule), "properties not defined by the contract", at)]


def _detail(rule: str, limit: Any) -> str:
    if rule in LIMITS:
        return "must be " + LIMITS[rule].format(limit)
    described = {
        "type": lambda: f"expected type {_listed(limit)}",
        "format": lambda: f"not a valid {limit}",
        "pattern": lambda: f"does not match the pattern {limit}",
        "enum": lambda: f"not one of {_listed(limit)}",
        "const": lambda: f"must be {_listed(limit)}",
        RANGE: lambda: f"must be a date from {limit['from']} to {limit['to']}",
    }
    return described.get(rule, lambda: f"breaks the contract's {rule} rule")()


def _listed(value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    text = ", ".join(json.dumps(v, ensure_ascii=False) for v in values)
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."
