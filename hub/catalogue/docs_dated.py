"""The catalogue's dated rules in `docs/contracts.md`: dates, texts, regimes, retirements.

A contract, one of its majors, a producer or consumer entry, a scope and a deadline may each be
in force from and until a day, under a text (`hub.catalogue.in_force`); rules that replace one
another form a `regime:` group. `hub.catalogue.docs` writes each contract's section and calls
this module for what is dated in it, and for the section that lists every group with its
members in date order and every other dated rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.deadlines import deadline_line
from hub.catalogue.in_force import InForce
from hub.catalogue.meta import Consumer, Deadline
from hub.catalogue.scopes import QUALIFICATION, QUALIFIED, UNDER, Scope

NOT_IN_FORCE = "contract.not-in-force"  # the intake's code (hub.core.dated), which docs name
MAJOR_RETIRED = "contract.major-retired"
SECTION = "Dated rules and regimes"


@dataclass(frozen=True, slots=True)
class DatedRule:
    """One dated piece of a contract: what it is, in words, its dates and its group."""

    what: str  # `logement.demande-avis`, `scope `arrears` of `logement.saisine-impayes``
    contract: str
    in_force: InForce
    regime: str | None = None


def dates(in_force: InForce) -> str:
    """Its dates in words (`from 2027-01-01`), and whether it reaches older files."""
    older = f", and files opened before it: {_flat(in_force.older_files)}"
    return in_force.label() + (older if in_force.older_files else "")


def in_force_text(in_force: InForce) -> str:
    """`<dates>, under <text>`, on one line (`always` when it has a text but no dates)."""
    text = _flat(in_force.text)
    return f"{dates(in_force)}, under {text}" if text else dates(in_force)


def dated_lines(contract: Contract) -> list[str]:
    """The lines of a contract's section that say what in it is dated, and how it retires."""
    meta = contract.meta
    lines = []
    if meta.in_force or meta.regime:
        said = in_force_text(meta.in_force) if meta.in_force else "undated"
        group = f"; regime {regime_link(meta.regime)}" if meta.regime else ""
        instead = ", naming the rules of its group in force for that file" if meta.regime else ""
        lines.append(
            f"- **In force** {said}{group}. A notice of a file whose rules are not these is "
            f"refused as `{NOT_IN_FORCE}` (`ce_type`){instead}."
        )
    for major, declared in sorted(meta.majors.items()):
        if declared.in_force:
            lines.append(f"- **v{major} in force** {in_force_text(declared.in_force)}")
        if retired := declared.retired:
            lines.append(
                f"- **v{major} retired on its own**: announced {retired.announced_on.isoformat()}, "
                f"accepted until {retired.last_accepted_on.isoformat()}, refused after it "
                f"(`{MAJOR_RETIRED}`, `ce_dataschema`): send v{retired.replaced_by}. "
                + _flat(retired.why)
            )
    lines += [
        f"- **Sent by `{producer}`** {in_force_text(when)} (else `{NOT_IN_FORCE}`, `ce_source`)"
        for producer, when in meta.producers_in_force.items()
    ]
    lines += [
        f"- **Received by `{c.office}`** {in_force_text(c.in_force)} (not delivered in other files)"
        for c in meta.consumers
        if c.in_force
    ]
    return lines


def consumer_dates(consumer: Consumer) -> str:
    """What a dated consumer's row adds to its `when` cell: its dates."""
    return f"; {dates(consumer.in_force)}" if consumer.in_force else ""


def scope_line(scope: Scope, contract: Contract) -> str:
    """A scope in one line: what it refuses or the field it fills, its dates and text, why."""
    held = [m for m in sorted(contract.versions) if shown_in(scope, contract, m)]
    whole = len(held) == len(contract.versions)
    majors = "" if whole else f", v{', v'.join(map(str, held))} only"
    reads = ", ".join(f"`{field}`" for field in scope.fields)
    if scope.qualifies:
        does = (
            f"qualifies `{scope.qualifies}`: the hub fills it with `{QUALIFIED}` and the "
            f"`{UNDER}` of the rule, refusing nothing; a sender filling it is refused as "
            f"`{QUALIFICATION}`"
        )
    else:
        does = f"refused as `{scope.code}`"
    said = f"; in force {in_force_text(scope.in_force)}" if scope.in_force else ""
    group = f"; regime {regime_link(scope.regime)}" if scope.regime else ""
    why = _flat(scope.description)
    return f"- Scope `{scope.rule}` ({does}{majors}; reads {reads}{said}{group}): {why}"


def shown_in(scope: Scope, contract: Contract, major: int) -> bool:
    """Whether a scope acts on notices of that major: one it holds for, with its field if any."""
    fields = contract.versions[major].schema.get("properties", {})
    return scope.holds_for(major) and (scope.qualifies is None or scope.qualifies in fields)


def message_dates(contract: Contract, major: int) -> list[str]:
    """For the AsyncAPI message of a major: when the contract and the major are in force."""
    meta, declared = contract.meta, contract.meta.majors.get(major)
    found = [f"In force {in_force_text(meta.in_force)}."] if meta.in_force else []
    if declared and declared.in_force:
        found.append(f"v{major} in force {in_force_text(declared.in_force)}.")
    if declared and (retired := declared.retired):
        found.append(
            f"v{major} is accepted until {retired.last_accepted_on.isoformat()}, then refused "
            f"as `{MAJOR_RETIRED}`: send v{retired.replaced_by}."
        )
    return found


def scope_summary(scope: Scope) -> str:
    """A scope for the AsyncAPI message: what the hub does with it, when, and why."""
    said = f" (in force {in_force_text(scope.in_force)})" if scope.in_force else ""
    if scope.qualifies:
        head = (
            f"The hub fills `{scope.qualifies}` by this rule and refuses nothing, a sender "
            f"filling it being refused as `{QUALIFICATION}`"
        )
    else:
        head = f"Refused as `{scope.code}` out of this scope"
    return f"{head}{said}: {_flat(scope.description)}"


def deadline_text(deadline: Deadline) -> str:
    """A deadline's line of the catalogue, with its dates, text and group when it has them."""
    line = deadline_line(deadline)
    if deadline.in_force:
        line += f" Opened only in files it governs: in force {in_force_text(deadline.in_force)}."
    if deadline.regime:
        line += f" Regime {regime_link(deadline.regime)}."
    return line


def dated_rules(contract: Contract) -> list[DatedRule]:
    """Every dated piece of a contract: itself, majors, producers, consumers, scopes, deadlines."""
    meta, name = contract.meta, f"`{contract.id}`"
    found = [DatedRule(name, contract.id, meta.in_force, meta.regime)] if meta.in_force else []
    found += [
        DatedRule(f"v{n} of {name}", contract.id, major.in_force)
        for n, major in sorted(meta.majors.items())
        if major.in_force
    ]
    found += [
        DatedRule(f"producer `{office}` of {name}", contract.id, when)
        for office, when in meta.producers_in_force.items()
    ]
    found += [
        DatedRule(f"consumer `{c.office}` of {name}", contract.id, c.in_force)
        for c in meta.consumers
        if c.in_force
    ]
    found += [
        DatedRule(_scope_name(s, name), contract.id, s.in_force, s.regime)
        for s in meta.scopes
        if s.in_force
    ]
    found += [
        DatedRule(f"deadline `{d.name}` of {name}", contract.id, d.in_force, d.regime)
        for d in meta.deadlines
        if d.in_force
    ]
    return found


def dated_section(catalogue: Catalogue) -> list[str]:
    """The section listing each `regime:` group, members in date order, then every other rule."""
    rules = [rule for c in _sorted(catalogue) for rule in dated_rules(c)]
    groups: dict[str, list[DatedRule]] = {}
    for rule in rules:
        if rule.regime:
            groups.setdefault(rule.regime, []).append(rule)
    lines = [
        "",
        f"## {SECTION}",
        "",
        (
            "The law changes on fixed days: a contract, a major, a producer or consumer entry, a "
            "scope and a deadline may say from and until which day they are in force (both "
            "included), each with the text that sets its dates (`in_force` in its "
            "`contract.yaml`; [contracts/README.md](../contracts/README.md#dated-rules-and-"
            "regimes)). A file is judged by the rules in force on the day the hub accepted its "
            "first notice, on the hub's calendar (Europe/Paris), and every later notice of its "
            "case by that day, unless a rule says it reaches older files. A notice of a "
            f"contract, major or producer not in force for its file is refused as "
            f"`{NOT_IN_FORCE}`; of a major retired on its own, after its last day, as "
            f"`{MAJOR_RETIRED}`. Rules that replace one another form a `regime:` group."
        ),
    ]
    for name, members in sorted(groups.items()):
        lines += ["", f"### Regime `{name}`", "", "| in force | rule | text |", "|---|---|---|"]
        lines += [_row(rule.in_force, rule.what) for rule in sorted(members, key=_in_date_order)]
    lines += ["", "### Other dated rules", "", "| in force | rule | text |", "|---|---|---|"]
    lines += [_row(rule.in_force, rule.what) for rule in rules if not rule.regime]
    lines += _retirement_rows(catalogue)
    return lines


def regime_link(name: str) -> str:
    """A group's name, linking to its table in the dated rules' section."""
    return f"[`{name}`](#regime-{name.replace('.', '')})"


def _retirement_rows(catalogue: Catalogue) -> list[str]:
    rows = []
    for contract in _sorted(catalogue):
        meta, name = contract.meta, f"`{contract.id}`"
        if meta.retired:
            last = meta.retired.last_accepted_on.isoformat()
            rows.append(
                f"| accepted until {last}, then `contract.retired` | {name}, retired: send "
                f"{', '.join(meta.retired.replaced_by)} | {_cell(meta.retired.why)} |"
            )
        for n, major in sorted(meta.majors.items()):
            if major.retired:
                last = major.retired.last_accepted_on.isoformat()
                rows.append(
                    f"| accepted until {last}, then `{MAJOR_RETIRED}` | v{n} of {name}, retired "
                    f"on its own: send v{major.retired.replaced_by} | {_cell(major.retired.why)} |"
                )
    return rows


def _row(in_force: InForce, what: str) -> str:
    return f"| {_cell(dates(in_force))} | {what} | {_cell(in_force.text) or 'none given'} |"


def _scope_name(scope: Scope, contract: str) -> str:
    fills = f" (qualifies `{scope.qualifies}`)" if scope.qualifies else ""
    return f"scope `{scope.rule}` of {contract}{fills}"


def _in_date_order(rule: DatedRule) -> tuple[date, str]:
    return (rule.in_force.from_ or date.min, rule.what)


def _sorted(catalogue: Catalogue) -> list[Contract]:
    return [catalogue.contracts[k] for k in sorted(catalogue.contracts)]


def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


def _cell(text: str | None) -> str:
    """A text on one line, fit for a table cell."""
    return _flat(text).replace("|", "\\|")
