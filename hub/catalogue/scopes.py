"""Scopes: whom a contract is for, as its documents say, checked or qualified on every notice.

A contract's prose says which notices it carries: a copy of a formal notice is for a child
under 16, an orientation for a household that agreed to it. The schema cannot say that;
`contract.yaml` declares it, each scope naming a rule of `hub.catalogue.scope_rules` with its
parameters:

```yaml
scopes:
  - rule: age
    birth_date: child.birth_date
    date: sent_on
    under: 16
    description: The copies are for minors under 16 (Code de l'éducation, L131-1).
```

The intake applies the scopes in force for the notice's file and major after its schema, and
refuses a notice out of one as `scope.<rule>`, with the pointer of the field at fault and
never a value. A scope that `qualifies` a field refuses nothing: the hub says in that field
whether the notice meets the rule (a rent-arrears referral is arrears, or not yet, under the
definition in force), the sender leaving it out. Loading the catalogue refuses a scope whose
rule is not implemented, or whose fields the schema lacks.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hub.catalogue.in_force import Calendar, InForce
from hub.catalogue.scope_rules import RULES, Rule, pointer, value
from hub.wire.reasons import Reason, Refusal

CODE_PREFIX = "scope."
QUALIFICATION = "scope.qualification"  # a sender filling the field the hub fills
QUALIFIED = "qualified"  # in a qualifying field: whether the notice meets the rule
UNDER = "text"  # in a qualifying field: the text of the rule it was judged under


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
    in_force: InForce | None = None
    regime: str | None = Field(default=None, description="The group of rules it replaces.")
    qualifies: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="The top-level field the hub fills with whether the notice meets the rule; "
        "such a scope refuses nothing.",
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

    def holds_for(self, major: int, calendar: Calendar | None = None) -> bool:
        """Whether it applies to notices of this major, in a file judged on these days."""
        in_major = not self.majors or major in self.majors
        return in_major and (calendar is None or calendar.applies(self.in_force))

    def reasons(self, payload: dict[str, Any]) -> list[Reason]:
        """Why the payload is out of this scope; empty when it is within."""
        check = self.check
        if check is None:
            raise ScopeError(f"scope {self.rule}: {self.fault}")
        return [Reason(self.code, why, pointer(f)) for f, why in check.breaches(payload)]


# A scope's own keys; the rest are its rule's parameters.
OWN = frozenset(("rule", "description", "majors", "in_force", "regime", "qualifies"))


def scope_reasons(
    scopes: tuple[Scope, ...],
    major: int,
    payload: dict[str, Any],
    calendar: Calendar | None = None,
) -> list[Reason]:
    """Every refusing scope in force the payload of that major is out of, as reasons.

    A qualifying scope in force refuses only a payload that fills its field itself: the hub
    says whether the notice meets the rule, not its sender.
    """
    reasons = []
    for scope in scopes:
        if not scope.holds_for(major, calendar):
            continue
        if scope.qualifies is None:
            reasons += scope.reasons(payload)
        elif scope.qualifies in payload:
            why = "is filled by the hub, with whether the notice meets the rule: leave it out"
            reasons.append(Reason(QUALIFICATION, why, pointer(scope.qualifies)))
    return reasons


def check_scopes(
    scopes: tuple[Scope, ...],
    major: int,
    payload: dict[str, Any],
    calendar: Calendar | None = None,
) -> None:
    """Refuse a payload out of any of its contract's scopes (after its schema has passed)."""
    if scopes and (reasons := scope_reasons(scopes, major, payload, calendar)):
        raise Refusal(*reasons)


def qualifications(
    scopes: tuple[Scope, ...], major: int, payload: dict[str, Any], calendar: Calendar
) -> dict[str, dict[str, Any]]:
    """What the qualifying scopes in force say of the payload, by the field each one fills.

    Each value is `{"qualified": bool, "text": the text of the rule in force}`; the first
    scope in force for a field decides it (a regime's dated scopes do not overlap).
    """
    found: dict[str, dict[str, Any]] = {}
    for scope in scopes:
        if scope.qualifies is None or scope.qualifies in found:
            continue
        if scope.holds_for(major, calendar):
            text = scope.in_force.text if scope.in_force else scope.description
            found[scope.qualifies] = {QUALIFIED: not scope.reasons(payload), UNDER: text}
    return found


__all__ = ["RULES", "Rule", "pointer", "value"]
