"""A contract's metadata (`contract.yaml`): who sends it, who sees which fields, its deadlines.

Read by `hub.catalogue.contracts`, which loads and checks a whole catalogue.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hub.catalogue.agreements import AgePeriod
from hub.catalogue.holds import Hold
from hub.catalogue.identifiers import Identifier
from hub.catalogue.in_force import InForce
from hub.catalogue.matches import Match
from hub.catalogue.periods import check_period
from hub.catalogue.retirements import Major, Retirement
from hub.catalogue.scope_rules import FieldName
from hub.catalogue.scopes import Scope


class ContractError(ValueError):
    """A contract folder is missing a piece or contradicts itself."""


class Localized(BaseModel):
    """A text in French and in English."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: str
    en: str


class Route(BaseModel):
    """How to pick the office of a kind that receives a notice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    commune: str = Field(
        description="Payload path of the INSEE commune code that selects the office."
    )


class Condition(BaseModel):
    """A consumer that receives a notice only when a payload field has one of some values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    values: tuple[str | bool | int, ...] = Field(alias="in", min_length=1)


# Consumer offices that are not named in advance: the sender of a refused record, and the
# office that sent the notice this one answers.
SENDER = "sender"
ANSWERED = "answered"
RECIPIENTS = "recipients"  # every office the answered notice was delivered to (a recall's)

# In `answers`: every contract of kind `notice` but those that answer every notice themselves
# (`hub.receipt`, `hub.recall`), so that a new contract is receipted and recalled as it is
# added. It has no dot, so no contract id can be it.
EVERY_NOTICE = "every-notice"


class Consumer(BaseModel):
    """An office (an office kind, when routed) that receives a contract's notices, and its view."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    office: str = Field(pattern=r"^(sender|answered|recipients|[a-z][a-z0-9-]*/[a-z][a-z0-9:-]*)$")
    route: Route | None = None
    when: Condition | None = None
    fields: tuple[str, ...] = Field(min_length=1)
    in_force: InForce | None = None

    @property
    def partner(self) -> str:
        """The partner that owns the office."""
        return self.office.split("/", 1)[0]

    @property
    def office_name(self) -> str:
        """The office id, or the office kind when the consumer is routed."""
        return self.office.split("/", 1)[1]


ACCEPTED = "accepted"  # a deadline's `opens_on` for the time the hub accepted the notice


class Deadline(BaseModel):
    """A deadline a notice opens: from when, until when, on what basis, and what closes it.

    It is due after a `period` (`P15D`, `P3M`, `P6W`, `PT24H`), or on a payload date (`due_on`:
    to the end of that day; `due_before`: before that day starts). A département may set its
    own period in the directory's `agreements`: an agreement's as it likes, the law's, a
    maximum, only shorter; and, when `age` names whose birth date counts, shorter periods by
    age (`by_age`), which the directory alone gives (`hub.catalogue.deadlines.agreed`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    opens_on: str = Field(
        description="Payload date or date-time field it runs from; `accepted`: the acceptance."
    )
    fallback: str | None = Field(default=None, description="Used when `opens_on` is absent.")
    period: str | None = Field(default=None, description="How long it runs (ISO 8601).")
    due_on: str | None = Field(default=None, description="Payload date it is due on, all day.")
    due_before: str | None = Field(default=None, description="Payload date it is due before.")
    when: Condition | None = Field(
        default=None, description="Opened only when a payload field has one of these values."
    )
    age: FieldName | None = Field(
        default=None, description="The birth date whose age an agreement's `by_age` reads."
    )
    by_age: tuple[AgePeriod, ...] = Field(
        default=(), description="The département's periods by age: its directory's, not here."
    )
    closed_by: tuple[str, ...] = Field(
        min_length=1, description="Contracts whose notice, answering this one, closes it."
    )
    closed_from: tuple[str, ...] = Field(
        default=(),
        description="Only a closing notice from these offices (a kind: any of it) closes it.",
    )
    closed_in: Literal["answer", "case"] = Field(
        default="answer",
        description="`case`: a later notice of `closed_by` in the same case closes it too.",
    )
    alert: tuple[str, ...] = Field(
        min_length=1, description="Offices alerted when it is overdue; `sender` is allowed."
    )
    held_by: tuple[Hold, ...] = Field(
        default=(), description="Answers that hold its alert for a while instead of closing it."
    )
    basis: Literal["law", "agreement"] = Field(
        description="Whether the law sets it (`article` says where) or the partners' agreement."
    )
    article: str | None = Field(default=None, description="The law's article, for `law`.")
    description: str
    in_force: InForce | None = None
    regime: str | None = Field(default=None, description="The group of rules it replaces.")

    @field_validator("period")
    @classmethod
    def _period_is_read(cls, value: str | None) -> str | None:
        return None if value is None else check_period(value)

    @field_validator("by_age")
    @classmethod
    def _by_age_is_the_departement_s(cls, by_age: tuple[AgePeriod, ...]) -> tuple[AgePeriod, ...]:
        if by_age:  # `agreed` puts the directory's in place, past this check
            raise ValueError(
                "periods by age are a département's: write them in its directory's "
                "`agreements`, and here only `age:`, the birth date they read"
            )
        return by_age

    @model_validator(mode="after")
    def _due_one_way_on_a_basis(self) -> Deadline:
        dues = [d for d in (self.period, self.due_on, self.due_before) if d is not None]
        if len(dues) != 1:
            raise ValueError(f"{self.name}: give one of period, due_on and due_before")
        if self.basis == "law" and not self.article:
            raise ValueError(f"{self.name}: a deadline the law sets names its `article`")
        return self


class ContractMeta(BaseModel):
    """The metadata file `contract.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$")
    kind: Literal["notice", "hub"]
    title: Localized
    description: Localized
    legal_basis: tuple[str, ...] = Field(
        min_length=1, description="The law each flow rests on: every contract names one."
    )
    sensitivity: str
    retention: str = Field(pattern=r"^P(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?$")
    producers: tuple[str, ...] = Field(min_length=1)
    producers_in_force: dict[str, InForce] = Field(
        default_factory=dict,
        description="Producers given as `{office, in_force}`: when each one may send it.",
    )
    consumers: tuple[Consumer, ...] = Field(min_length=1)
    answers: tuple[str, ...] = Field(
        default=(),
        description="Contracts a notice of this one may answer (ce_causationid); "
        f"`{EVERY_NOTICE}` for every notice contract (`every_notice_answered`).",
    )
    matches: dict[str, Match] = Field(
        default_factory=dict,
        description="Per contract it answers: the fields both share, the dates it may not precede.",
    )
    deadlines: tuple[Deadline, ...] = ()
    retired: Retirement | None = None
    scopes: tuple[Scope, ...] = Field(
        default=(), description="Whom its notices are for, as its documents say, checked."
    )
    identifiers: tuple[Identifier, ...] = Field(
        default=(), description="Numbers it carries of one partner's files, and who sees them all."
    )
    in_force: InForce | None = Field(default=None, description="When its rules are in force.")
    regime: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$",
        description="The group of contracts that replace one another on dated days.",
    )
    majors: dict[int, Major] = Field(
        default_factory=dict, description="Per major: its own dates and retirement."
    )

    @model_validator(mode="before")
    @classmethod
    def _dated_producers(cls, declared: Any) -> Any:
        """A producer given as `{office: ..., in_force: ...}` is named, its dates kept beside."""
        if not isinstance(declared, dict) or not isinstance(declared.get("producers"), list):
            return declared
        named: list[Any] = []
        dated: dict[str, Any] = {}
        for entry in declared["producers"]:
            if isinstance(entry, dict) and set(entry) == {"office", "in_force"}:
                named.append(entry["office"])
                dated[str(entry["office"])] = entry["in_force"]
            else:
                named.append(entry)
        return {**declared, "producers": named, "producers_in_force": dated}

    def produced_by(self, partner: str, office: str) -> bool:
        """Whether `partner/office` may send this contract (`partner/kind` covers a kind)."""
        return self.producer_entry(partner, office) is not None

    def producer_entry(self, partner: str, office: str) -> str | None:
        """The producer entry that lets `partner/office` send it (itself, or its kind)."""
        for entry in (f"{partner}/{office}", f"{partner}/{office.split(':', 1)[0]}"):
            if entry in self.producers:
                return entry
        return None


def every_notice_answered(metas: dict[str, ContractMeta]) -> dict[str, ContractMeta]:
    """`metas`, `every-notice` in each `answers` replaced by the contracts it stands for.

    Those are every contract of kind `notice` that does not itself answer every notice, in id
    order, where the word stood; a contract named beside it (`hub.recall` for `hub.receipt`)
    keeps its place, once.
    """
    wide = {name for name, meta in metas.items() if EVERY_NOTICE in meta.answers}
    notices = [n for n, meta in sorted(metas.items()) if meta.kind == "notice" and n not in wide]
    derived = {}
    for name, meta in metas.items():
        answers = [
            answered
            for named in meta.answers
            for answered in (notices if named == EVERY_NOTICE else [named])
        ]
        derived[name] = meta.model_copy(update={"answers": tuple(dict.fromkeys(answers))})
    return derived


# What to write where `contract.yaml` leaves a list empty, by its key.
WHAT_TO_WRITE = {
    "producers": "name each office that sends it, one a line: `- partner/office`, or "
    "`- partner/kind` for every office of a kind (`- departement/mdd`)",
    "consumers": "name each office that receives it and the fields it sees: "
    "`- office: partner/office` and under it `fields:`, one field a line (`- sent_on`)",
    "legal_basis": "name the law each flow rests on, one a line: `- CASF, art. L226-5`",
    "fields": "name the fields this office sees, one a line (`- sent_on`), each a field of "
    "the schema",
}
EMPTY = ("too_short", "tuple_type")  # `producers: []`, or `producers:` and nothing


def meta_faults(error: ValidationError) -> list[str]:
    """Each fault of a `contract.yaml`, as a sentence naming its key and what to write."""
    faults = []
    for fault in error.errors():
        location = fault["loc"]
        if not location:
            faults.append("the file holds no mapping: write its keys (id, kind, title, ...)")
            continue
        key = ".".join(str(part) for part in location)
        if location[0] == "consumers" and len(location) > 1 and isinstance(location[1], int):
            key = f"consumers entry {location[1] + 1}" + "".join(f", {p}" for p in location[2:])
        hint = WHAT_TO_WRITE.get(str(location[-1]))
        if fault["type"] == "missing":
            faults.append(f"`{key}` is missing" + (f": {hint}" if hint else ""))
        elif fault["type"] in EMPTY and hint is not None and not fault.get("input"):
            faults.append(f"`{key}` is empty: {hint}")
        elif fault["type"] == "extra_forbidden":
            faults.append(f"`{key}` is not a key contract.yaml has: remove it, or correct its name")
        else:
            faults.append(f"`{key}`: {fault['msg']}")
    return faults
