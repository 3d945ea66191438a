"""Data categories: every leaf field of a contract falls in one, declared in its schema.

The categories are defined once, in `contracts/_policy/categories.yaml` (an id, and what it
covers in French and English); a schema declares a field's category with the annotation
keyword `x-category` on its property, or on a property above it: the nearest declaration from
the leaf up wins, across `$ref`s into the shared definitions. What an office may receive is
then said per category, not per field.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from referencing import Registry

from hub.catalogue.category_file import KEYWORD, SHOWN_FILE, Categories
from hub.catalogue.contracts import Catalogue, ContractVersion
from hub.catalogue.meta import ContractError
from hub.catalogue.projection import Projection
from hub.catalogue.schemas import Declared, Placed, declarations, leaf_annotations


def declared_categories(version: ContractVersion, registry: Registry[Any]) -> dict[str, Any]:
    """Every leaf field of a contract version and its declared category, None if it has none.

    A value may be an id the categories file does not define: `category_problems` says so.
    """
    found = leaf_annotations(version.schema, registry, KEYWORD)
    return {path: _value(declared) for path, declared in found.items()}


def _value(declared: Declared | None) -> Any:
    return None if declared is None else declared.value


def leaf_categories(version: ContractVersion, registry: Registry[Any]) -> dict[str, str]:
    """Field path -> category id, for every leaf field of a contract version.

    Raises `ContractError` naming the first field with no category (never a value): no leaf
    is left out, so a caller judging what an office receives cannot miss one.
    """
    categories: dict[str, str] = {}
    for path, category in declared_categories(version, registry).items():
        if not isinstance(category, str):
            raise ContractError(_missing(version, path))
        categories[path] = category
    return categories


def received(leaves: dict[str, str], fields: Sequence[str]) -> dict[str, str]:
    """The leaves a projection (a consumer's `fields`) delivers, with their categories.

    A field naming an object or an array delivers every leaf under it.
    """
    sent, _ = Projection(tuple(fields)).split(frozenset(leaves))
    return {leaf: category for leaf, category in leaves.items() if leaf in sent}


def category_problems(catalogue: Catalogue) -> list[str]:
    """Faults of the categories' declarations: for `hub contracts check` and the hub's start.

    A leaf field with no category (the contract, the version and the field named); an
    `x-category` naming an id the categories file does not define, or sitting where it is
    never read (on no property), each named by its schema file and place.
    """
    problems: list[str] = []
    for uri in sorted(catalogue.registry):
        for placed in declarations(catalogue.registry.contents(uri), KEYWORD):
            problems += _declaration_faults(_file(uri), placed, catalogue.categories)
    for contract_id in sorted(catalogue.contracts):
        contract = catalogue.contracts[contract_id]
        for major in sorted(contract.versions):
            version = contract.versions[major]
            problems += [
                _missing(version, path)
                for path, category in declared_categories(version, catalogue.registry).items()
                if category is None
            ]
    return problems


def _missing(version: ContractVersion, path: str) -> str:
    return (
        f"{version.contract_id} v{version.major}: field {path} has no data category: declare "
        f'`"{KEYWORD}": "<id>"` on its property, or on a property above it '
        f"(the ids are in {SHOWN_FILE})"
    )


def _declaration_faults(file: str, placed: Placed, categories: Categories) -> list[str]:
    faults = []
    if not isinstance(placed.value, str) or placed.value not in categories:
        faults.append(
            f"{file}: `{KEYWORD}` at {placed.pointer} names {json.dumps(placed.value)}, which "
            f"{SHOWN_FILE} does not define: use one of {', '.join(categories.ids)}"
        )
    if not placed.read:
        faults.append(
            f"{file}: `{KEYWORD}` at {placed.pointer} is on no property, where nothing reads "
            "it: declare it on the property whose fields it is for (`properties/<name>`), "
            "or on one above it"
        )
    return faults


def _file(uri: str) -> str:
    """A schema's file, from its `$id`, which mirrors the contracts' folders."""
    return urlsplit(uri).path.lstrip("/")
