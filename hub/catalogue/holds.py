"""A deadline's holds (`held_by`): answers that put its alert off for a while, never closing it.

The DASEN's formal notice gives a family 15 days to enrol the child, or to tell the DASEN of
steps under way (a home-education request, care being arranged, an enrolment under way): a
regularisation saying so does not close the deadline, it holds its alert until the end of the
day the steps were declared plus a period. The contract declares it beside the deadline:

    held_by:
      - contract: instruction.regularisation
        when: {field: outcome, in: [steps_under_way]}
        from: steps.declared_on
        period: P2M
        basis: agreement
        description: ...

The hold's arithmetic is the core's (`hub.core.holds`), its checks `hub.catalogue.hold_checks`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.catalogue.periods import check_period
from hub.catalogue.scope_rules import Condition, FieldName


class Hold(BaseModel):
    """A notice of `contract` meeting `when`, answering the deadline's notice, holds its alert.

    It holds until the end of its `from` day plus `period` (in the département), provided that
    day is no later than the deadline's own due day; it never closes the deadline.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    contract: str
    when: Condition
    held_from: FieldName = Field(
        alias="from", description="The holding notice's date it runs from."
    )
    period: str = Field(description="How long it holds from that day (ISO 8601).")
    basis: Literal["law", "agreement"]
    article: str | None = Field(default=None, description="The law's article, for `law`.")
    description: str

    @field_validator("period")
    @classmethod
    def _period_is_read(cls, value: str) -> str:
        return check_period(value)

    @model_validator(mode="after")
    def _law_names_its_article(self) -> Hold:
        if self.basis == "law" and not self.article:
            raise ValueError(f"a hold by {self.contract} that the law sets names its `article`")
        return self


def hold_line(hold: Hold) -> str:
    """A hold in the words of the catalogue's deadline line."""
    values = ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in hold.when.values)
    basis = f"law: {hold.article}" if hold.basis == "law" else "partners' agreement"
    return (
        f"held (not closed) by {hold.contract} when `{hold.when.field}` in {values}: "
        f"{hold.period} from `{hold.held_from}`, declared by its due day ({basis}). "
        + " ".join(hold.description.split())
    )
