"""When a contract, or one of its majors, stops being accepted: its retirement, its dates.

Declared in `contract.yaml` (`retired:`, `majors: {1: {in_force, retired}}`) and read into the
contract's metadata (`hub.catalogue.meta`); the intake refuses what is past its last day.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.catalogue.in_force import InForce


class Retirement(BaseModel):
    """A contract announced as retired: accepted until a last date, refused after it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    announced_on: date
    last_accepted_on: date = Field(
        description="The last day a notice of it is accepted; from the next, `contract.retired`."
    )
    replaced_by: tuple[str, ...] = Field(min_length=1)
    why: str

    @model_validator(mode="after")
    def _announced_before_the_last_day(self) -> Retirement:
        if self.last_accepted_on < self.announced_on:
            raise ValueError("last_accepted_on comes before announced_on")
        return self

    def over(self, day: date) -> bool:
        """Whether a notice sent on `day` is refused."""
        return day > self.last_accepted_on


class MajorRetirement(BaseModel):
    """A major retired on its own while the next goes on: refused as `contract.major-retired`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    announced_on: date
    last_accepted_on: date
    replaced_by: int = Field(ge=1, description="The major to send instead.")
    why: str

    def over(self, day: date) -> bool:
        """Whether a notice of this major accepted on `day` is refused."""
        return day > self.last_accepted_on


class Major(BaseModel):
    """What `contract.yaml` says of one major (`majors: {1: ...}`): its dates, its retirement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    in_force: InForce | None = None
    retired: MajorRetirement | None = None
