"""The data categories a field may fall in: `contracts/_policy/categories.yaml`, read.

Each category is an id and what it covers in French and English; a schema declares a field's
category with the annotation keyword `x-category` (`hub.catalogue.categories`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import RootModel, StringConstraints, ValidationError

from hub.catalogue.meta import ContractError, Localized

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
