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
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import yaml
from pydantic import RootModel, StringConstraints, ValidationError

from hub.catalogue.meta import ContractError, Localized
from hub.catalogue.projection import Projection
from hub.catalogue.schemas import Declared, Placed, declarations, leaf_annotations

if TYPE_CHECKING:
    from referencing import Registry

    from hub.catalogue.contracts import Catalogue, ContractVersion

KEYWORD = "x-category"
PARTNER_FILE_NUMBER = "partner-file-number"  # a number of one partner's files: `identifiers`
CATEGORIES_FILE = Path("_policy") / "categories.yaml"  # under the contracts folder
SHOWN_FILE = "contracts/_policy/categories.yaml"  # as the faults name it

CategoryId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")]


class Categories(RootModel[dict[CategoryId, Localized]]):
    """The categories a field may fall in: each id and what it covers (fr, en)."""

    def __contains__(self, category: object) -> bool:
        """Whether `category` is an id this file defines."""
        return category in self.root

    @property
    def ids(self) -> tuple[str, ...]:
        """The ids, in the file's order."""
        return tuple(self.root)


def load_categories(path: Path) -> Categories:
    """Read the categories file; raise `ContractError` naming the file and what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        categories = Categories.model_validate(raw)
    except OSError as error:
        raise ContractError(f"{path}: cannot read the data categories: {error}") from error
    except yaml.YAMLError as error:
        raise ContractError(f"{path}: not YAML: {error}") from error
    except ValidationError as error:
        wrong = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'the file'}: {e['msg']}"
            for e in error.errors(include_input=False)
        )
        raise ContractError(
            f"{path}: each entry is a category id (lower case, words joined by -) and its "
            f"description, `{{fr: ..., en: ...}}`: {wrong}"
        ) from error
    if not categories.root:
        raise ContractError(f"{path}: defines no data category")
    return categories


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
