"""The rules a scope names (`age`, `arrears`, `unpaid`, `consent`, `orientation`), and their checks.

Each rule is a model of the parameters a scope gives it, and says where a payload breaches it,
in the rule's words, never with a value. `hub.catalogue.scopes` applies them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from hub.catalogue.periods import check_period, parse_period
from hub.catalogue.projection import parse_path


def _field(text: str) -> str:
    """A payload path that names one value (no `[]`: a scope reads one value, not a list)."""
    if any(step.each for step in parse_path(text)):
        raise ValueError(f"{text}: a scope reads one value; `[]` walks a list")
    return text


FieldName = Annotated[str, AfterValidator(_field)]
Scalar = str | bool | int


class Rule(BaseModel, ABC):
    """A rule's parameters, as a scope declares them, and the check they make."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @abstractmethod
    def fields(self) -> tuple[str, ...]:
        """The payload paths the rule reads; the schema must define each one."""

    @abstractmethod
    def breaches(self, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """Where the payload is out of scope: (the field at fault, why), words of the rule only."""


class Age(Rule):
    """The person must be under an age on a date of the notice (its date, not the hub's)."""

    birth_date: FieldName
    date: FieldName
    under: int = Field(ge=1, le=150)

    def fields(self) -> tuple[str, ...]:
        """The birth date and the date the age is taken on."""
        return (self.birth_date, self.date)

    def breaches(self, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """The birth date, when the person is `under` or older on the date."""
        born, on = _date(value(payload, self.birth_date)), _date(value(payload, self.date))
        if born is None or on is None:
            return []  # what must be present is the schema's to say
        if whole_years(born, on) < self.under:
            return []
        return [(self.birth_date, f"must be under {self.under} years old on `{self.date}`")]


def whole_years(born: date, on: date) -> int:
    """A person's age on a day, in whole years (born on 29 February: a year older on 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class Condition(BaseModel):
    """A payload field with one of some values."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: FieldName
    values: tuple[Scalar, ...] = Field(alias="in", min_length=1)

    def holds(self, payload: Mapping[str, Any]) -> bool:
        """Whether the field has one of the values (`true` is not `1`)."""
        return _one_of(value(payload, self.field), self.values)


class NetOf(BaseModel):
    """An amount deducted from the monthly sum when a condition holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: FieldName
    when: Condition


class Arrears(Rule):
    """The debt must reach some months of rent and charges (less a benefit paid to the landlord).

    The months are counted on rent and charges together; where the housing benefit is paid to
    the landlord (tiers payant), on what is left for the tenant to pay, since the arrears are
    then counted net of it (CCH R824-1, where décret n° 2016-748 was codified).
    """

    debt: FieldName
    rent: FieldName
    charges: FieldName
    months: int = Field(ge=1, le=24)
    net_of: NetOf | None = None

    def fields(self) -> tuple[str, ...]:
        """The debt, the rent, the charges and, when declared, the benefit and its condition."""
        deducted = (self.net_of.amount, self.net_of.when.field) if self.net_of else ()
        return (self.debt, self.rent, self.charges, *deducted)

    def breaches(self, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """The debt, when it is less than `months` times the monthly rent and charges."""
        debt, rent, charges = (_amount(value(payload, f)) for f in self.fields()[:3])
        if debt is None or rent is None or charges is None:
            return []
        monthly = rent + charges
        if self.net_of and self.net_of.when.holds(payload):
            monthly -= _amount(value(payload, self.net_of.amount)) or Decimal(0)
        if debt >= self.months * monthly:
            return []
        net = (
            f", less `{self.net_of.amount}` when `{self.net_of.when.field}` is "
            f"{_listed(self.net_of.when.values)}"
            if self.net_of
            else ""
        )
        why = f"must be at least {self.months} months of `{self.rent}` and `{self.charges}`{net}"
        return [(self.debt, why)]


class Unpaid(Rule):
    """The debt must be unpaid some time after the first default, or above an amount.

    Arrears as décret n° 2026-84 defines them from 1 January 2027: the housing expense still
    unpaid three months after a first default, whatever the amount, or a debt above 450 euros.
    The time is counted from the first default (`since`) to the notice's own `date`.
    """

    debt: FieldName
    since: FieldName
    date: FieldName
    unpaid_for: Annotated[str, AfterValidator(check_period)] = Field(
        description="How long after the first default (ISO 8601: `P3M`)."
    )
    above: float = Field(ge=0, description="A debt above this, in euros, is arrears at once.")

    def fields(self) -> tuple[str, ...]:
        """The debt, the first default and the notice's date."""
        return (self.debt, self.since, self.date)

    def breaches(self, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """The debt, when it is neither above the amount nor unpaid for long enough."""
        debt = _amount(value(payload, self.debt))
        since, on = _date(value(payload, self.since)), _date(value(payload, self.date))
        if debt is None or since is None or on is None:
            return []
        if debt > Decimal(str(self.above)) or on >= parse_period(self.unpaid_for).after(since):
            return []
        why = (
            f"must be above {self.above:g} euros, or unpaid {self.unpaid_for} after "
            f"`{self.since}` on `{self.date}`"
        )
        return [(self.debt, why)]


class Consent(Rule):
    """Each named field must be `true`: the person was told, and agreed, before it was sent.

    `unless` names where the law asks no agreement (a diagnosis due at the judicial stage,
    whatever the household says): there, the fields are not judged.
    """

    fields_: tuple[FieldName, ...] = Field(alias="fields", min_length=1)
    unless: Condition | None = None

    def fields(self) -> tuple[str, ...]:
        """The fields that record the information and the agreement, and the exception's."""
        return self.fields_ + ((self.unless.field,) if self.unless else ())

    def breaches(self, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """Each field that is not `true` (absent included: no agreement recorded is none)."""
        if self.unless is not None and self.unless.holds(payload):
            return []
        why = (
            "must be true: the notice is sent only once the people it is about were told and agreed"
        )
        return [(f, why) for f in self.fields_ if value(payload, f) is not True]


class Orientation(Rule):
    """An agreement is recorded only for an orientation to the services it lets a notice reach.

    A consumer reached on the agreement alone (`when:` one field) would otherwise receive a
    notice whose family agreed to another service.
    """

    agreement: FieldName
    service: FieldName
    services: tuple[Scalar, ...] = Field(min_length=1)

    def fields(self) -> tuple[str, ...]:
        """The agreement and the service oriented to."""
        return (self.agreement, self.service)

    def breaches(self, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """The agreement, when it is given for an orientation to another service."""
        given = value(payload, self.agreement) is not None
        if not given or _one_of(value(payload, self.service), self.services):
            return []
        why = f"recorded only for an orientation to {_listed(self.services)} (`{self.service}`)"
        return [(self.agreement, why)]


RULES: dict[str, type[Rule]] = {
    "age": Age,
    "arrears": Arrears,
    "consent": Consent,
    "unpaid": Unpaid,
    "orientation": Orientation,
}


def value(payload: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted payload path (`procedure.hearing_on`); None when a step is missing."""
    node: Any = payload
    for step in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(step)
    return node


def pointer(path: str) -> str:
    """The JSON Pointer of a dotted payload path (`child.birth_date` is `/child/birth_date`)."""
    return "".join("/" + step.replace("~", "~0").replace("/", "~1") for step in path.split("."))


def _date(found: Any) -> date | None:
    if not isinstance(found, str):
        return None
    try:
        return date.fromisoformat(found)
    except ValueError:
        return None


def _amount(found: Any) -> Decimal | None:
    # Amounts are decimal euros: compared exactly, not as binary floats.
    if isinstance(found, bool) or not isinstance(found, int | float):
        return None
    return Decimal(str(found))


def _one_of(found: Any, values: tuple[Scalar, ...]) -> bool:
    # `true` is not `1`, nor `1` `true`, as Python's `==` would have it.
    return any(type(found) is type(v) and found == v for v in values)


def _listed(values: tuple[Scalar, ...]) -> str:
    return ", ".join(f"`{str(v).lower() if isinstance(v, bool) else v}`" for v in values)
