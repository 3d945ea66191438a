"""Dated rules checked across the catalogue: groups that replace one another, dates and texts.

`in_force` dates a contract, a major, a producer or consumer entry, a scope or a deadline
(`hub.catalogue.in_force`); `regime:` names a group of rules that replace one another on dated
days: contracts across the catalogue, scopes within one contract, deadlines within one
contract. `hub contracts check` (and the hub at start) refuses, each fault naming the
contract's file and what to change there:

- a group whose days do not follow one another: sorted by `from`, the first may have no
  `from`, the last no `until`, every other has both, and each begins the day after the one
  before it ends (a gap names the days no member holds, an overlap the days two hold); a group
  of one member; a member with no `in_force`;
- a date without the text that sets it (`in_force.text`);
- a dated piece of a dated contract (a major, a producer or consumer entry, a scope, a
  deadline) holding on a day the contract does not;
- a retirement whose last accepted day comes before the end of its rules plus the longest
  deadline of its flow (`retirement_problems`);
- `majors` naming a major that is not live, or retiring one for a major not live or retired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.examples import shown
from hub.catalogue.in_force import InForce
from hub.catalogue.periods import parse_period

ONE_DAY = timedelta(days=1)
MINUTES_A_DAY = 24 * 60
DATES_AND_TEXT = "`in_force: {from: ..., until: ..., text: ...}`"


@dataclass(frozen=True, slots=True)
class Member:
    """One rule of a `regime:` group: what it is, the file that declares it, its dates."""

    what: str  # `logement.demande-avis`, `scope arrears (scopes entry 2)`
    where: str  # the contract.yaml that declares it
    in_force: InForce | None


def regime_problems(catalogue: Catalogue) -> list[str]:
    """Every fault of the catalogue's dates and `regime:` groups, each naming its file and fix."""
    contracts = [catalogue.contracts[name] for name in sorted(catalogue.contracts)]
    groups: dict[str, list[Member]] = {}
    for contract in contracts:
        if contract.meta.regime is not None:
            member = Member(contract.id, _file(contract), contract.meta.in_force)
            groups.setdefault(contract.meta.regime, []).append(member)
    problems = [
        problem
        for name, members in sorted(groups.items())
        for problem in group_problems(name, members)
    ]
    for contract in contracts:
        problems += _groups_within(contract)
        problems += untexted_dates(contract)
        problems += outside_the_contract(contract)
        problems += major_problems(contract)
        problems += retirement_problems(contract, catalogue)
    return problems


def group_problems(name: str, members: list[Member]) -> list[str]:
    """Faults of one `regime:` group: alone, undated, or days that do not follow one another."""
    if len(members) == 1:
        alone = members[0]
        lonely = (
            f"{alone.where}: {alone.what} is the only rule of `regime: {name}`, which names rules "
            "that replace one another on dated days: give the same `regime` to the rule it "
            "replaces or that replaces it, or remove its `regime`"
        )
        return [lonely]
    problems = [
        f"{member.where}: {member.what} is in `regime: {name}` but has no `in_force`: say from "
        f"and until which day it holds and the text that says so ({DATES_AND_TEXT}), or remove "
        "its `regime`"
        for member in members
        if member.in_force is None
    ]
    dated = sorted(
        ((m, m.in_force) for m in members if m.in_force is not None),
        key=lambda pair: pair[1].from_ or date.min,
    )
    for index, (member, dates) in enumerate(dated):
        if index > 0 and dates.from_ is None:
            before, its = dated[index - 1]
            day = f"{(its.until + ONE_DAY).isoformat()}, " if its.until else ""
            problems.append(
                f"{member.where}: {member.what} follows {_other(before, member)} in `regime: "
                f"{name}` but has no `in_force.from`: only the first rule of a group may have "
                f"none; set it to {day}the day after {before.what} ends"
            )
        if index < len(dated) - 1 and dates.until is None:
            after, its = dated[index + 1]
            day = f"{(its.from_ - ONE_DAY).isoformat()}, " if its.from_ else ""
            problems.append(
                f"{member.where}: {member.what} is followed by {_other(after, member)} in "
                f"`regime: {name}` but has no `in_force.until`: only the last rule of a group "
                f"may have none; set it to {day}the day before {after.what} begins"
            )
    seams = [_seam(name, *early, *late) for early, late in pairwise(dated)]
    return problems + [seam for seam in seams if seam is not None]


def _seam(name: str, early: Member, ends: InForce, late: Member, begins: InForce) -> str | None:
    """The fault where one rule of a group hands over to the next, if they leave or share days."""
    if ends.until is None or begins.from_ is None:
        return None  # named by `group_problems`
    first_day = ends.until + ONE_DAY
    if begins.from_ == first_day:
        return None
    fix = (
        f"set {late.what}'s `in_force.from` to {first_day.isoformat()}, or {early.what}'s "
        f"`in_force.until` to {(begins.from_ - ONE_DAY).isoformat()}"
    )
    if begins.from_ > first_day:
        fault = f"no rule of the group holds {_days(first_day, begins.from_ - ONE_DAY)} (a gap)"
    else:
        last_shared = min(ends.until, begins.until or ends.until)
        fault = f"both hold {_days(begins.from_, last_shared)} (an overlap)"
    return (
        f"{late.where}: {late.what} begins on {begins.from_.isoformat()} and "
        f"{_other(early, late)} ends on {ends.until.isoformat()}, in `regime: {name}`: "
        f"{fault}: {fix}"
    )


def _groups_within(contract: Contract) -> list[str]:
    """The `regime:` groups of scopes, and of deadlines, within one contract."""
    where = _file(contract)
    groups: dict[tuple[str, str], list[Member]] = {}
    for index, scope in enumerate(contract.meta.scopes, 1):
        if scope.regime is not None:
            member = Member(f"scope `{scope.rule}` (scopes entry {index})", where, scope.in_force)
            groups.setdefault(("scopes", scope.regime), []).append(member)
    for index, deadline in enumerate(contract.meta.deadlines, 1):
        if deadline.regime is not None:
            what = f"deadline `{deadline.name}` (deadlines entry {index})"
            groups.setdefault(("deadlines", deadline.regime), []).append(
                Member(what, where, deadline.in_force)
            )
    return [
        problem
        for (_, name), members in sorted(groups.items())
        for problem in group_problems(name, members)
    ]


def dated_pieces(contract: Contract) -> list[tuple[str, InForce | None]]:
    """Each piece of a contract that may be dated, named as its file says it, with its dates.

    The contract itself first, then its majors, producer entries, consumers, scopes, deadlines.
    """
    meta = contract.meta
    pieces: list[tuple[str, InForce | None]] = [(f"the contract {meta.id}", meta.in_force)]
    pieces += [(f"v{n} (`majors.{n}`)", major.in_force) for n, major in sorted(meta.majors.items())]
    pieces += [(f"the producer {e}", meta.producers_in_force.get(e)) for e in meta.producers]
    pieces += [
        (f"the consumer {c.office} (consumers entry {i})", c.in_force)
        for i, c in enumerate(meta.consumers, 1)
    ]
    pieces += [
        (f"scope `{s.rule}` (scopes entry {i})", s.in_force) for i, s in enumerate(meta.scopes, 1)
    ]
    pieces += [
        (f"deadline `{d.name}` (deadlines entry {i})", d.in_force)
        for i, d in enumerate(meta.deadlines, 1)
    ]
    return pieces


def untexted_dates(contract: Contract) -> list[str]:
    """Dates (`from`, `until`) given without the text that sets them."""
    return [
        f"{_file(contract)}: the `in_force` of {what} says {dates.label()} but names no text: "
        "add the text that sets its dates, `text: <the act>, art. <n>` (as `text: Décret n° "
        "2026-84 du 12 février 2026, art. 3`)"
        for what, dates in dated_pieces(contract)
        if dates is not None and (dates.from_ or dates.until) and not dates.text.strip()
    ]


def outside_the_contract(contract: Contract) -> list[str]:
    """Dated pieces of a dated contract that hold on a day the contract does not."""
    own = contract.meta.in_force
    if own is None or (own.from_ is None and own.until is None):
        return []
    problems = []
    for what, dates in dated_pieces(contract)[1:]:
        if dates is None or (dates.from_ is None and dates.until is None):
            continue  # undated: it holds whenever the contract does
        early = own.from_ is not None and (dates.from_ is None or dates.from_ < own.from_)
        late = own.until is not None and (dates.until is None or dates.until > own.until)
        if early or late:
            problems.append(
                f"{_file(contract)}: {what} is in force {dates.label()}, outside the days of "
                f"{contract.id} ({own.label()}): give it `from` and `until` within them, or no "
                "dates (it then holds whenever the contract does)"
            )
    return problems


def major_problems(contract: Contract) -> list[str]:
    """`majors` entries for a major that is not live; retirements for one not live or retired."""
    meta, where = contract.meta, _file(contract)
    live = ", ".join(f"v{n}" for n in sorted(contract.versions))
    problems = [
        f"{where}: `majors` names v{n}, which is not a live version (no folder "
        f"{shown(contract.folder / f'v{n}')}; live: {live}): correct the number, or remove "
        "its entry"
        for n in sorted(meta.majors)
        if n not in contract.versions
    ]
    for n, major in sorted(meta.majors.items()):
        if major.retired is None:
            continue
        instead = major.retired.replaced_by
        key = f"`majors.{n}.retired.replaced_by`"
        if instead not in contract.versions:
            problems.append(
                f"{where}: {key} names v{instead}, which is not live (live: {live}): name the "
                "live major its senders send instead"
            )
        elif (other := meta.majors.get(instead)) is not None and other.retired is not None:
            itself = (
                "the retired major itself"
                if instead == n
                else f"retired too (`majors.{instead}.retired`)"
            )
            problems.append(
                f"{where}: {key} names v{instead}, which is {itself}: name a live major "
                "that is not retired"
            )
    return problems


def retirement_problems(contract: Contract, catalogue: Catalogue) -> list[str]:
    """Retirements that refuse notices of files their rules still govern.

    A contract (or a major) whose rules end on a day (`in_force.until`: the major's own, else
    the contract's) and that is retired must accept notices until that day plus the longest
    deadline of its flow, one opened on its last day: the deadlines of the contract, of the
    contracts it answers and of those whose notices answer it. A period in hours counts as
    whole days, rounded up. A deadline due on a date its notice carries (`due_on`,
    `due_before`) has no length known in advance and is not counted.
    """
    meta = contract.meta
    ends = meta.in_force.until if meta.in_force else None
    retirements: list[tuple[str, date, date, str]] = []
    if meta.retired is not None and ends is not None:
        key = "`retired.last_accepted_on`"
        retirements.append((key, meta.retired.last_accepted_on, ends, "its `in_force.until`"))
    for n, major in sorted(meta.majors.items()):
        own = major.in_force.until if major.in_force else None
        whose = f"`majors.{n}.in_force.until`" if own else "the contract's `in_force.until`"
        if major.retired is not None and (until := own or ends) is not None:
            key = f"`majors.{n}.retired.last_accepted_on`"
            retirements.append((key, major.retired.last_accepted_on, until, whose))
    problems = []
    for key, last, until, whose in retirements:
        needed, longest = _end_of_files(contract, catalogue, until)
        if last >= needed:
            continue
        why = f"its rules end on {until.isoformat()} ({whose})"
        if longest:
            why += f", and the flow's longest deadline, {longest}, opened that day runs until then"
        problems.append(
            f"{_file(contract)}: {key} is {last.isoformat()}, before {needed.isoformat()}: "
            f"{why}; a file opened on their last day would see its notices refused: set it to "
            f"{needed.isoformat()} or later"
        )
    return problems


def _end_of_files(contract: Contract, catalogue: Catalogue, until: date) -> tuple[date, str]:
    """The last day a file opened on `until` may still need, and the deadline that says so."""
    meta = contract.meta
    flow = [contract.id, *meta.answers]
    flow += [
        name for name, other in sorted(catalogue.contracts.items()) if meta.id in other.meta.answers
    ]
    needed, longest = until, ""
    for name in dict.fromkeys(flow):
        member = catalogue.get(name)
        for deadline in member.meta.deadlines if member else ():
            if deadline.period is None:
                continue  # due on a date its notice carries: no length known in advance
            end = _after(until, deadline.period)
            if end > needed:
                needed, longest = end, f"`{deadline.name}` of {name} ({deadline.period})"
    return needed, longest


def _after(day: date, text: str) -> date:
    """`day` plus a period, its hours and minutes rounded up to whole days."""
    period = parse_period(text)
    minutes = period.hours * 60 + period.minutes
    return period.after(day) + timedelta(days=math.ceil(minutes / MINUTES_A_DAY))


def _days(first: date, last: date) -> str:
    """A run of days in words: `on 2027-01-01`, `from 2027-01-01 to 2027-01-03`."""
    if first == last:
        return f"on {first.isoformat()}"
    return f"from {first.isoformat()} to {last.isoformat()}"


def _other(member: Member, seen_from: Member) -> str:
    """A member named from another's message: with its file when that is another file."""
    return member.what if member.where == seen_from.where else f"{member.what} ({member.where})"


def _file(contract: Contract) -> str:
    return shown(contract.folder / "contract.yaml")
