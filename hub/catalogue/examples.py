"""A contract's examples, read one way, and the one rule of whether each shows what it says.

`hub contracts check` and the test suite both judge the examples with `example_faults`, so
what one accepts the other does: a valid example passes the schema and the scopes as it is,
with no `$comment` (the schemas are closed: it would be `schema.additional-properties`); an
invalid one names in its `$comment` the one rule it breaks (a schema keyword, `x-hub-range`, or
a scope's code, `scope.<rule>`) and fails for that rule alone, both validators agreeing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.catalogue.contracts import Contract
from hub.catalogue.scopes import CODE_PREFIX, scope_reasons
from hub.catalogue.validation import rule_code, schema_reasons

COMMENT = "$comment"


@dataclass(frozen=True, slots=True)
class Example:
    """One example payload of a contract version, and what it is meant to show."""

    contract: str
    major: int
    path: Path
    payload: dict[str, Any]  # without its `$comment`
    valid: bool
    rule: str | None  # for an invalid example: the schema keyword its `$comment` names
    # (or the code of the scope it is out of, `scope.<rule>`)
    commented: bool = False  # whether the file has a `$comment`, whatever it holds


def read_example(path: Path) -> Example:
    """The example at `contracts/<id>/v<major>/examples/<valid|invalid>/<name>.json`."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    commented = COMMENT in payload
    comment = payload.pop(COMMENT, None)
    rule = comment.split(":", 1)[0].strip() if isinstance(comment, str) else None
    contract, version, _, kind = path.parts[-5:-1]
    major = int(version.removeprefix("v"))
    return Example(contract, major, path, payload, kind == "valid", rule, commented)


def examples(contract: Contract) -> list[Example]:
    """Every example of every live major of a contract."""
    return [
        read_example(path)
        for major in sorted(contract.versions)
        for kind in ("valid", "invalid")
        for path in sorted((contract.folder / f"v{major}" / "examples" / kind).glob("*.json"))
    ]


def example_faults(contract: Contract, example: Example) -> list[str]:
    """Why an example does not show what its folder and `$comment` say; empty when it does."""
    if (fault := _comment_fault(example)) is not None:
        return [fault]
    where = f"{contract.id} {example.path.name}"
    version = contract.versions[example.major]
    reasons = schema_reasons(version.validator, example.payload)
    if version.accepts(example.payload) != (not reasons):
        return [f"{where}: the two validators disagree"]
    # As in the intake: the scopes judge what the schema let through.
    reasons = reasons or scope_reasons(contract.meta.scopes, example.major, example.payload)
    if example.valid:
        return [f"{where}: labelled valid, fails {reasons[0].code}"] if reasons else []
    if not reasons:
        return [f"{where}: labelled invalid, passes"]
    expected = rule_code(example.rule or "")
    if example.rule and example.rule.startswith(CODE_PREFIX):  # a scope, named by its code
        expected = example.rule
    codes = sorted({r.code for r in reasons})
    if codes != [expected]:
        return [f"{where}: $comment names {example.rule}, fails {', '.join(codes)}"]
    return []


def _comment_fault(example: Example) -> str | None:
    if example.valid and example.commented:
        return (
            f"{shown(example.path)}: a valid example carries a `$comment`, which the closed "
            "schema refuses (schema.additional-properties): remove it, and say what the example "
            "shows in its file name"
        )
    if not example.valid and not example.rule:
        return (
            f"{shown(example.path)}: an invalid example names the one rule it breaks in its "
            '`$comment` ("required: ...", "x-hub-range: ...", "scope.age: ..."): add one'
        )
    return None


def shown(path: Path) -> str:
    """A file as its reader finds it: relative to the working folder when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
