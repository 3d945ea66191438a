"""Scopes: whom a contract is for, as its documents say, checked on every notice.

A contract's prose says which notices it carries: a copy of a formal notice is for a child
under 16, a rent-arrears referral for two months of rent and charges owed at least, an
orientation for a household that agreed to it. The schema cannot say that; `contract.yaml`
declares it, each scope naming a rule implemented here with its parameters:

```yaml
scopes:
  - rule: age
    birth_date: child.birth_date
    date: sent_on
    under: 16
    description: The copies are for minors under 16 (Code de l'éducation, L131-1).
```

The intake applies the scopes that hold for the notice's major after its schema, and refuses a
notice out of one as `scope.<rule>`, with the pointer of the field at fault and never a value.
Loading the catalogue refuses a scope whose rule is not here, or whose fields the schema lacks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from hub.catalogue.projection import parse_path
from hub.wire.reasons import Reason, Refusal

CODE_PREFIX = "scope."


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
        if on.year - born.year - ((on.month, on.day) < (born.month, born.day)) < self.under:
            return []
        return [(self.birth_date, f"must be under {self.under} years old on `{self.date}`")]


class Condition(BaseModel):
    """A payload field with one of some values."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: FieldName
    values: tuple[Scalar, ...] = Field(alias="in", min_length=1)

    def holds(self, payload: dict[str, Any]) -> bool:
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
    then counted net of it (décret n° 2016-748 du 6 juin 2016).
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


class Consent(Rule):
    """Each named field must be `true`: the person was told, and agreed, before it was sent."""

    fields_: tuple[FieldName, ...] = Field(alias="fields", min_length=1)

    def fields(self) -> tuple[str, ...]:
        """The fields that record the information and the agreement."""
        return self.fields_

    def breaches(self, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """Each field that is not `true` (absent included: no agreement recorded is none)."""
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
    "orientation": Orientation,
}


class ScopeError(LookupError):
    """A scope applied although it names no rule the hub implements (the catalogue refuses it)."""


class Scope(BaseModel):
    """One scope a contract declares: its rule, the rule's parameters, its majors, why.

    Declared flat (`rule`, `description`, `majors` and the rule's own parameters); read, the
    parameters become the rule's model, compiled once when the catalogue loads.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    description: str
    majors: tuple[int, ...] = Field(
        default=(), description="The majors it holds for; every live one when empty."
    )
    check: Rule | None = Field(default=None, exclude=True)
    fault: str | None = Field(
        default=None,
        exclude=True,
        description="Why it cannot be applied (no such rule, parameters its rule does not take).",
    )

    @model_validator(mode="before")
    @classmethod
    def _compile(cls, declared: Any) -> Any:
        # A fault is kept for the catalogue's load to report with the contract's file, in the
        # hub's words rather than pydantic's; such a scope is never applied.
        if not isinstance(declared, dict):
            return declared
        own = {k: v for k, v in declared.items() if k in OWN}
        parameters = {k: v for k, v in declared.items() if k not in OWN}
        kind = RULES.get(str(own.get("rule")))
        if kind is None:
            fault = (
                "names no rule the hub implements (a scope without its rule): implement it in "
                f"hub/catalogue/scopes.py, or name one of {', '.join(sorted(RULES))}"
            )
            return {**own, "fault": fault}
        try:
            return {**own, "check": kind.model_validate(parameters)}
        except ValidationError as error:
            faults = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'parameters'}: {e['msg']}"
                for e in error.errors()
            )
            return {**own, "fault": f"has parameters its rule does not take: {faults}"}

    @property
    def code(self) -> str:
        """The rejection code of a notice out of this scope."""
        return CODE_PREFIX + self.rule

    @property
    def fields(self) -> tuple[str, ...]:
        """The payload paths its rule reads (none when the rule is unknown)."""
        return self.check.fields() if self.check else ()

    def holds_for(self, major: int) -> bool:
        """Whether it applies to notices of this major."""
        return not self.majors or major in self.majors

    def reasons(self, payload: dict[str, Any]) -> list[Reason]:
        """Why the payload is out of this scope; empty when it is within."""
        check = self.check
        if check is None:
            raise ScopeError(f"scope {self.rule}: {self.fault}")
        return [Reason(self.code, why, pointer(f)) for f, why in check.breaches(payload)]


OWN = frozenset(("rule", "description", "majors"))  # a scope's own keys; the rest: parameters


def scope_reasons(scopes: tuple[Scope, ...], major: int, payload: dict[str, Any]) -> list[Reason]:
    """Every scope of a contract the payload of that major is out of, as reasons."""
    return [r for scope in scopes if scope.holds_for(major) for r in scope.reasons(payload)]


def check_scopes(scopes: tuple[Scope, ...], major: int, payload: dict[str, Any]) -> None:
    """Refuse a payload out of any of its contract's scopes (after its schema has passed)."""
    if scopes and (reasons := scope_reasons(scopes, major, payload)):
        raise Refusal(*reasons)


def value(payload: dict[str, Any], path: str) -> Any:
    """The value at a dotted payload path; None when a step is missing."""
    node: Any = payload
    for step in path.split("."):
        if not isinstance(node, dict):
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
