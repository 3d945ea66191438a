"""Walking a contract's schema, its `$ref`s followed: by a field path, or over every leaf.

A leaf is a field that holds no object: a string, a number, a boolean, an array of those. An
object's fields are walked into; an array of objects is walked into its items, written `[]`
(`guardians[].last_name`), as projections write paths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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


@dataclass(frozen=True, slots=True)
class Declared:
    """An annotation's value, and the field whose property declares it."""

    value: Any
    at: str  # the declaring property's field path (the leaf's own, or one above it)


def leaf_annotations(
    schema: dict[str, Any], registry: Registry[Any], keyword: str
) -> dict[str, Declared | None]:
    """Every leaf field of the schema, in schema order, with its nearest `keyword` declaration.

    The nearest is read on the property nodes from the leaf up: the leaf's own property (the
    keyword beside its `$ref`, if it has one), else the property holding it, and so on to the
    top, across `$ref`s into shared definitions. None when no property on the way declares it.
    Only property nodes are read: the keyword on an array's `items` or on a definition itself
    is not (`misplaced` finds those).
    """
    walk = _LeafWalk(keyword)
    walk.properties(schema, registry.resolver(base_uri=schema["$id"]), "", None, ())
    return walk.found


@dataclass(slots=True)
class _LeafWalk:
    keyword: str
    found: dict[str, Declared | None] = field(default_factory=dict)

    def properties(
        self,
        node: dict[str, Any],
        resolver: Any,
        prefix: str,
        nearest: Declared | None,
        above: tuple[int, ...],
    ) -> None:
        if id(node) in above:
            raise ContractError(f"the schema of {prefix} contains itself: no leaf ends it")
        above = (*above, id(node))
        for name, child in node.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            declared = Declared(child[self.keyword], path) if self.keyword in child else nearest
            inner, inner_resolver = _deref(child, resolver)
            if _is_object(inner):
                self.properties(inner, inner_resolver, path, declared, above)
                continue
            items = inner.get("items") if isinstance(inner, dict) else None
            item, item_resolver = _deref(items, inner_resolver)
            if _is_object(item):
                self.properties(item, item_resolver, path + "[]", declared, above)
            else:  # a scalar, or an array of scalars
                self.found[path] = declared


@dataclass(frozen=True, slots=True)
class Placed:
    """Where one schema document carries an annotation keyword, and whether a walk reads it."""

    pointer: str  # JSON Pointer in the document
    value: Any
    read: bool  # on a property node `leaf_annotations` reaches; elsewhere it is ignored


def declarations(schema: dict[str, Any], keyword: str) -> list[Placed]:
    """Every place in one schema document where `keyword` is written, by pointer.

    `leaf_annotations` reads the keyword on property nodes only: on an array's `items`, on a
    definition itself, on the root, inside `if` or `allOf`, it is written but never read.
    """
    found: list[Placed] = []
    # (pointer, node, whether it is a property node, whether the walk can reach it)
    pending: list[tuple[str, Any, bool, bool]] = [("", schema, False, True)]
    while pending:
        pointer, node, is_property, reached = pending.pop()
        if isinstance(node, list):
            pending.extend((f"{pointer}/{i}", item, False, False) for i, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        if keyword in node:
            found.append(Placed(pointer or "/", node[keyword], is_property and reached))
        for key, value in node.items():
            where = f"{pointer}/{_escaped(key)}"
            if key in ("properties", "$defs") and isinstance(value, dict):
                pending.extend(
                    (
                        f"{where}/{_escaped(name)}",
                        child,
                        key == "properties",
                        reached or key == "$defs",
                    )
                    for name, child in value.items()
                )
            elif key != keyword:
                pending.append((where, value, False, reached and key == "items"))
    return sorted(found, key=lambda placed: placed.pointer)


def _escaped(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _is_object(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("properties"), dict)


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
