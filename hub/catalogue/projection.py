"""Projection: the part of a notice one office may see (need to know, CASF L226-2-2).

A projection is a list of field paths. `child` keeps the whole object, `child.birth_date` one
field of it, `guardians[].last_name` that field in every item of the array. Anything not named
is withheld.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SEGMENT = re.compile(r"^([a-z_][a-z0-9_]*)(\[\])?$")


@dataclass(frozen=True, slots=True)
class Step:
    """One segment of a field path; `each` walks into every item of an array."""

    name: str
    each: bool = False


FieldPath = tuple[Step, ...]
# name -> (walks an array, sub-tree; None keeps the whole value)
Tree = dict[str, tuple[bool, "Tree | None"]]


def parse_path(text: str) -> FieldPath:
    """Parse `a.b[].c` into steps; raise `ValueError` on a malformed path."""
    steps = []
    for segment in text.split("."):
        match = SEGMENT.match(segment)
        if not match:
            raise ValueError(f"malformed field path {text!r}")
        steps.append(Step(match.group(1), each=match.group(2) is not None))
    return tuple(steps)


Split = tuple[tuple[str, ...], tuple[str, ...]]
SPLIT_CACHE_SIZE = 1024


class Projection:
    """A compiled list of field paths, applied to payloads by `apply`."""

    def __init__(self, paths: tuple[str, ...]) -> None:
        """Compile a projection from its field paths."""
        self.paths = paths
        self.tree: Tree = {}
        for text in paths:
            _merge(self.tree, parse_path(text))
        self._prefixes = tuple(p + "." for p in paths) + tuple(p + "[" for p in paths)
        self._splits: dict[frozenset[str], Split] = {}

    def apply(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload reduced to the named fields (the input is not modified)."""
        return _apply(payload, self.tree)

    def split(self, leaves: frozenset[str]) -> Split:
        """Of a payload's leaf fields, those this projection sends and those it withholds.

        Notices of one contract come in few shapes, so the answer is remembered per shape.
        """
        known = self._splits.get(leaves)
        if known is None:
            sent = {
                leaf for leaf in leaves if leaf in self.paths or leaf.startswith(self._prefixes)
            }
            known = (tuple(sorted(sent)), tuple(sorted(leaves - sent)))
            if len(self._splits) < SPLIT_CACHE_SIZE:
                self._splits[leaves] = known
        return known


def _merge(tree: Tree, path: FieldPath) -> None:
    step, rest = path[0], path[1:]
    each, sub = tree.get(step.name, (step.each, {}))
    if sub is None:
        return  # the whole value is already kept
    if not rest:
        tree[step.name] = (step.each, None)
        return
    _merge(sub, rest)
    tree[step.name] = (each or step.each, sub)


def _apply(value: dict[str, Any], tree: Tree) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (each, sub) in tree.items():
        if name not in value:
            continue
        item = value[name]
        if sub is None:
            out[name] = item
        elif each and isinstance(item, list):
            out[name] = [_apply(x, sub) if isinstance(x, dict) else x for x in item]
        elif isinstance(item, dict):
            out[name] = _apply(item, sub)
    return out


def leaf_paths(value: Any) -> set[str]:
    """Every leaf field of a JSON value, as paths in the projection syntax."""
    found: set[str] = set()
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        prefix, node = pending.pop()
        if isinstance(node, dict):
            dot = prefix + "." if prefix else ""
            pending.extend((dot + name, item) for name, item in node.items())
        elif isinstance(node, list) and any(isinstance(x, dict | list) for x in node):
            pending.extend((prefix + "[]", item) for item in node)
        else:
            found.add(prefix)
    return found
