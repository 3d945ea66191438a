"""Identifiers: the numbers a contract carries that belong to one partner's files.

A housing notice names an allocataire by the number the organisation that pays the benefit
gives it. Such a number belongs to that organisation's files: an office of another partner
that received the contract's notices unbound to its own would receive every file of it. The
contract says so, and names the offices entitled to every such number, each on a basis:

```yaml
identifiers:
  - field: payer.allocataire_number
    owner_in: payer.organisation     # the partner whose number it is, named by this field
    owners: [caf, msa]               # the partners whose numbers it can hold
    shared_with:
      ccapex/ccapex:
        basis: housing-arrears       # one of the contract's legal_basis, or a policy line's id
        why: the payer asks the commission's avis on its allocataire (CCH L824-2)
  - field: caf_allocataire.caf_number
    owner: caf                       # always this partner's
```

`hub contracts check` (and the hub at start) refuses a consumer of another partner than the
number's owner that no condition binds to its own files (`hub.catalogue.recipients`), unless
`shared_with` names it on a basis; and owners that are not partners of the directory. The
intake refuses a notice in which one of the `owners` names another as the owner
(`foreign_reasons`): a partner names only its own files.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.catalogue.scope_rules import pointer, value
from hub.wire.reasons import Reason

FOREIGN = "identifier.foreign"


class Sharing(BaseModel):
    """Why an office not bound to its own files may see every number: a basis and a reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    basis: str = Field(
        description="One of the contract's `legal_basis` entries, or a recipient policy line id."
    )
    why: str

    @model_validator(mode="after")
    def _said(self) -> Sharing:
        if not self.basis.strip() or not self.why.strip():
            raise ValueError("each office of shared_with names its `basis` and says `why`")
        return self


class Identifier(BaseModel):
    """A payload field holding a number of one partner's files, and who else may see them all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(description="Payload path of the number.")
    owner: str | None = Field(default=None, description="The partner whose number it is.")
    owner_in: str | None = Field(
        default=None, description="Payload path naming the partner whose number it is."
    )
    owners: tuple[str, ...] = Field(
        default=(),
        description="With owner_in: the partners whose numbers the field can hold.",
    )
    shared_with: dict[str, Sharing] = Field(
        default_factory=dict,
        description="Offices bound to no owner that may see every such number: basis and why.",
    )

    @model_validator(mode="after")
    def _one_owner(self) -> Identifier:
        if (self.owner is None) == (self.owner_in is None):
            raise ValueError(f"{self.field}: give one of owner and owner_in")
        if self.owner_in is not None and not self.owners:
            raise ValueError(
                f"{self.field}: owner_in needs `owners`, the partners whose numbers it can hold"
            )
        if self.owner is not None and self.owners:
            raise ValueError(
                f"{self.field}: `owners` goes with owner_in; `owner` names the one partner"
            )
        return self

    @property
    def owner_set(self) -> frozenset[str]:
        """The partners the number may belong to."""
        return frozenset((self.owner,) if self.owner else self.owners)


def foreign_reasons(
    identifiers: tuple[Identifier, ...], sender_partner: str, payload: dict[str, Any]
) -> list[Reason]:
    """Where a partner whose files a number belongs to names another partner as its owner.

    An identifier's `owners` (the CAF, the MSA) each send only the numbers of their own files:
    one naming another in the `owner_in` field speaks for a file that is not its own. A sender
    that is not among the owners (the CCAPEX, the département) may name any of them. The reason
    names the field, never its value; empty when nothing is foreign.
    """
    found: list[Reason] = []
    for identifier in identifiers:
        path = identifier.owner_in
        if path is None or sender_partner not in identifier.owners:
            continue
        named = value(payload, path)
        where = pointer(path)
        if named is not None and named != sender_partner and all(r.pointer != where for r in found):
            why = (
                f"must name the sender's own organisation: a partner names only its own files "
                f"({identifier.field} is a number of the files of the partner `{path}` names)"
            )
            found.append(Reason(FOREIGN, why, where))
    return found
