"""Walking a contract's schema by a field path, its `$ref`s followed."""

from __future__ import annotations

import json
from typing import Any

from referencing import Registry
from referencing.exceptions import Unresolvable

from hub.catalogue.meta import ContractError
from hub.catalogue.projection import FieldPath


def schema_has_path(schema: dict[str, Any], path: FieldPath, registry: Registry[Any]) -> bool:
    """Whether `path` names a property the schema defines (following `$ref`s)."""
    return schema_at(schema, path, registry) is not None


def schema_at(schema: dict[str, Any], path: FieldPath, registry: Registry[Any]) -> Any | None:
    """The schema of the property `path` names (its `$ref`s followed), or None if undefined."""
    resolver = registry.resolver(base_uri=schema["$id"])
    node: Any = schema
    for step in path:
        node, resolver = _deref(node, resolver)
        properties = node.get("properties", {}) if isinstance(node, dict) else {}
        if step.name not in properties:
            return None
        node = properties[step.name]
        if step.each:
            node, resolver = _deref(node, resolver)
            node = node.get("items") if isinstance(node, dict) else None
            if node is None:
                return None
    return _deref(node, resolver)[0]


def _deref(node: Any, resolver: Any) -> tuple[Any, Any]:
    while isinstance(node, dict) and "$ref" in node:
        try:
            resolved = resolver.lookup(node["$ref"])
        except Unresolvable as error:
            raise ContractError(f"unresolvable $ref {node['$ref']}") from error
        node, resolver = resolved.contents, resolved.resolver
    return node, resolver


def held_values(node: Any) -> tuple[Any, ...] | None:
    """The values a field's schema (from `schema_at`) allows, when it lists them; None if not.

    An `enum`, a `const`, or a boolean's two: what a `when` on the field can ever meet.
    """
    if not isinstance(node, dict):
        return None
    if isinstance(node.get("enum"), list):
        return tuple(node["enum"])
    if "const" in node:
        return (node["const"],)
    if node.get("type") == "boolean":
        return (True, False)
    return None


def value_as_held(node: Any, text: str) -> str | bool | int:
    """A value written as text (`true`, `12`, `msa`) as the field of schema `node` holds it.

    One of its listed values whose JSON text is `text`, else a number for an integer field,
    else the text itself: `87085` stays a string for a commune code.
    """
    for held in held_values(node) or ():
        if (
            isinstance(held, str | bool | int)
            and (held if isinstance(held, str) else json.dumps(held)) == text
        ):
            return held
    if isinstance(node, dict) and node.get("type") == "integer" and text.lstrip("-").isdigit():
        return int(text)
    return text
