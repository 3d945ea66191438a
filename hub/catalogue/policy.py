"""The recipient policy: the legal kinds of offices, and what each kind may lawfully receive.

`contracts/_policy/recipients.yaml` defines the legal kinds an office of the partner directory
can be of (`child-protection`: the CRIP; `housing-fund`: the FSL...) and the policy lines: each
lets some legal kinds receive some categories of data, on a legal basis, for a stated reason.
A data category is what a schema's leaf field holds (`x-category`: `child-identity`,
`child-protection-facts`, `partner-file-number`...). An office may receive a category only if
a line grants it to the office's legal kind (`hub.catalogue.entitlements`).

A legal kind is not the kind of offices an office id begins with (`mdd` in
`mdd:87-bellac`, `etablissement` in `etablissement:0870015U`): that one says how the directory
names and routes offices; the legal kind says what the law lets an office receive.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hub.catalogue.meta import ContractError

POLICY_FILE = Path("_policy") / "recipients.yaml"  # under the contracts folder
LEGAL_KIND = re.compile(r"^[a-z][a-z0-9-]{1,63}$")
LINE_ID = re.compile(r"^[a-z][a-z0-9-]{1,63}$")


class LegalKind(BaseModel):
    """One legal kind of office, and what it covers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1)


class PolicyLine(BaseModel):
    """Some legal kinds may receive some categories, on a legal basis, for a reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=LINE_ID.pattern)
    kinds: tuple[str, ...] = Field(min_length=1)
    categories: tuple[str, ...] = Field(min_length=1)
    basis: str = Field(description="The law that allows it, e.g. `CASF L226-2-1, L226-3`.")
    why: str
    contracts: tuple[str, ...] = Field(
        default=(),
        description="The flows the law covers: contract ids, or `family.*`; none: every one.",
    )

    def covers(self, contract: str | None) -> bool:
        """Whether this line speaks of `contract` (None: of some contract)."""
        return (
            contract is None
            or not self.contracts
            or any(fnmatch.fnmatchcase(contract, c) for c in self.contracts)
        )

    @model_validator(mode="after")
    def _said(self) -> PolicyLine:
        if not self.basis.strip() or not self.why.strip():
            raise ValueError(f"{self.id}: a line names its legal `basis` and says `why`")
        return self


class RecipientPolicy(BaseModel):
    """The whole policy file: the legal kinds, and the lines granting categories to them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: dict[str, LegalKind] = Field(min_length=1)
    lines: tuple[PolicyLine, ...] = Field(min_length=1)

    @field_validator("kinds")
    @classmethod
    def _kind_ids(cls, kinds: dict[str, LegalKind]) -> dict[str, LegalKind]:
        bad = [kind for kind in kinds if not LEGAL_KIND.match(kind)]
        if bad:
            raise ValueError(f"invalid legal kinds: {', '.join(bad)}")
        return kinds

    @model_validator(mode="after")
    def _lines_name_known_kinds_once(self) -> RecipientPolicy:
        ids = [line.id for line in self.lines]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"line ids given twice: {', '.join(twice)}")
        for line in self.lines:
            unknown = [k for k in line.kinds if k not in self.kinds]
            if unknown:
                raise ValueError(
                    f"line {line.id} names legal kinds not defined under `kinds`: "
                    f"{', '.join(unknown)}"
                )
        return self

    @property
    def line_ids(self) -> frozenset[str]:
        """Every line's id."""
        return frozenset(line.id for line in self.lines)

    def allows(self, kind: str, category: str, contract: str | None = None) -> bool:
        """Whether some line lets offices of the legal kind `kind` receive `category`.

        In notices of `contract`, when it is given: a line naming flows covers only those.
        """
        return bool(self.granting(category, contract, kind))

    def granting(
        self, category: str, contract: str | None = None, kind: str | None = None
    ) -> tuple[PolicyLine, ...]:
        """The lines that grant `category` (in `contract`, to `kind`, when given).

        Those naming the contract first: the law of that flow before a general one.
        """
        found = [
            line
            for line in self.lines
            if category in line.categories
            and line.covers(contract)
            and (kind is None or kind in line.kinds)
        ]
        return tuple(sorted(found, key=lambda line: not line.contracts))


def load_policy(contracts_root: Path, categories: Collection[str]) -> RecipientPolicy:
    """Read the policy under a contracts folder; raise `ContractError` naming the file's fault.

    Its lines may name only the data categories `categories` defines (`hub.catalogue.categories`).
    """
    path = contracts_root / POLICY_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        policy = RecipientPolicy.model_validate(raw)
    except OSError as error:
        raise ContractError(f"cannot read the recipient policy {path}: {error}") from error
    except (yaml.YAMLError, ValidationError) as error:
        raise ContractError(f"the recipient policy {path} is wrong: {error}") from error
    for line in policy.lines:
        unknown = [c for c in line.categories if c not in categories]
        if unknown:
            raise ContractError(
                f"the recipient policy {path} is wrong: line {line.id} names categories "
                f"{', '.join(unknown)}, which the data categories do not define "
                f"(known: {', '.join(categories)})"
            )
    return policy
