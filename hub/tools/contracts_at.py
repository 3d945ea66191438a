"""`hub contracts at DAY`: what the catalogue puts in force on one day, as an operator reads it.

For each contract in force that day (an undated one always is), in id order: its live majors
in force (one retired by then marked, with the major to send instead), its producers and
consumers in force (a consumer's route and `when`), its scopes in force (rule, the field it
qualifies, its prose) and its deadlines in force (period or due date, opening, basis and
article; a period the département's agreement sets in place of the contract's is said so).
Each dated piece is followed by its dates and the text that sets them. Then one line for each
contract retired by that day, or not in force on it:

    not in force: logement.decision-payeur (from 2027-01-01, Décret n° 2026-84, art. 3)

The day is a day of acceptance: a file opened before it stays under the rules of its first
day (`hub.catalogue.in_force.Calendar`), which this listing does not follow.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Mapping
from datetime import date

from hub.catalogue.agreements import Agreement
from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.deadlines import agreed_deadline
from hub.catalogue.in_force import InForce
from hub.catalogue.meta import ACCEPTED, Consumer, Deadline
from hub.catalogue.scopes import Scope

ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
WIDTH = 100  # an operator's terminal
ITEM = " " * 4
Agreements = Mapping[str, Mapping[str, Agreement]]  # the directory's, by contract and deadline


def calendar_day(text: str) -> date:
    """A day written `YYYY-MM-DD`, for argparse: anything else is refused with how to write it."""
    try:
        if ISO_DAY.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    message = f"{text!r} is not a day: write it YYYY-MM-DD, as 2027-01-01"
    raise argparse.ArgumentTypeError(message)


def in_force_on(catalogue: Catalogue, day: date, agreements: Agreements | None = None) -> str:
    """What is in force on `day`, contract by contract, then what is retired or not in force.

    `agreements` are the periods the département sets for its partners' deadlines (the
    directory's); a deadline shows the one in force here, and the contract's beside it.
    """
    header = (
        f"In force on {day.isoformat()} (for a file opened that day: a file opened earlier keeps "
        "the rules of its first day):"
    )
    shown: list[str] = [header]
    out: list[str] = []
    for name in sorted(catalogue.contracts):
        contract = catalogue.contracts[name]
        meta = contract.meta
        if meta.retired is not None and meta.retired.over(day):
            last = meta.retired.last_accepted_on.isoformat()
            out.append(
                f"retired: {name} (after {last}: send {' or '.join(meta.retired.replaced_by)})"
            )
        elif meta.in_force is not None and not meta.in_force.holds(day):
            out.append(f"not in force: {name} ({dates(meta.in_force)})")
        else:
            shown += ["", *_contract(contract, day, (agreements or {}).get(name, {}))]
    if len(shown) == 1:
        shown.append("no contract")
    return "\n".join([*shown, "", *out] if out else shown) + "\n"


def dates(in_force: InForce) -> str:
    """A rule's dates and the text that sets them: `from 2027-01-01, Décret n° ...`."""
    said = ", ".join(part for part in (in_force.label(), in_force.text.strip()) if part)
    if in_force.older_files:
        said += f"; reaches files opened before: {in_force.older_files}"
    return said


def _contract(contract: Contract, day: date, agreed: Mapping[str, Agreement]) -> list[str]:
    """A contract in force on `day`: its heading, then each of its sections."""
    meta = contract.meta
    heading = meta.id + (f", regime {meta.regime}" if meta.regime else "")
    lines = [heading + _dated(meta.in_force)]  # one line, as the ends are: an operator greps them
    if meta.retired is not None:  # announced, not over: the caller lists those retired
        retired = meta.retired
        lines += _wrapped(
            f"retiring: last accepted {retired.last_accepted_on.isoformat()}, then send "
            f"{' or '.join(retired.replaced_by)}",
            "  ",
        )
    producers = [
        entry + _dated(meta.producers_in_force.get(entry))
        for entry in meta.producers
        if _holds(meta.producers_in_force.get(entry), day)
    ]
    return [
        *lines,
        *_section("versions", _majors(contract, day)),
        *_section("producers", producers),
        *_section("consumers", [_consumer(c) for c in meta.consumers if _holds(c.in_force, day)]),
        *_section("scopes", [_scope(s) for s in meta.scopes if _holds(s.in_force, day)], empty=""),
        *_section(
            "deadlines",
            [_deadline(d, agreed.get(d.name)) for d in meta.deadlines if _holds(d.in_force, day)],
            empty="",
        ),
    ]


def _majors(contract: Contract, day: date) -> list[str]:
    """The live majors in force on `day`, each retired one marked, or announced."""
    said = []
    for number in sorted(contract.versions):
        major = contract.meta.majors.get(number)
        if major is None:
            said.append(f"v{number}")
            continue
        if not _holds(major.in_force, day):
            continue
        line = f"v{number}{_dated(major.in_force)}"
        retired = major.retired
        if retired is not None:
            last, instead = retired.last_accepted_on.isoformat(), retired.replaced_by
            line += (
                f": retired after {last}, send v{instead}"
                if retired.over(day)
                else f": retiring, last accepted {last}, then v{instead}"
            )
        said.append(line)
    return said


def _consumer(consumer: Consumer) -> str:
    said = consumer.office
    if consumer.route is not None:
        said += f", the office serving the commune of {consumer.route.commune}"
    if consumer.when is not None:
        values = ", ".join(_value(v) for v in consumer.when.values)
        among = "is" if len(consumer.when.values) == 1 else "is one of"
        said += f", when {consumer.when.field} {among} {values}"
    return said + _dated(consumer.in_force)


def _scope(scope: Scope) -> str:
    said = scope.rule
    said += f", qualifies {scope.qualifies}" if scope.qualifies else ""
    said += f" (v{', v'.join(map(str, scope.majors))})" if scope.majors else ""
    return f"{said}{_dated(scope.in_force)}: {' '.join(scope.description.split())}"


def _deadline(deadline: Deadline, agreement: Agreement | None) -> str:
    start = "the acceptance" if deadline.opens_on == ACCEPTED else deadline.opens_on
    start += f" (else {deadline.fallback})" if deadline.fallback else ""
    if deadline.period is not None:
        own = deadline.period
        agreed = agreed_deadline(deadline, agreement)  # what the hub runs on, as it does
        periods = [agreed.period or own]
        periods += [f"{p.period} under {p.under} years of {deadline.age}" for p in agreed.by_age]
        if agreed != deadline:
            term = (
                f"{', '.join(periods)} (the département's agreement; the contract's: {own}) "
                f"from {start}"
            )
        else:
            term = f"{own} from {start}"
    elif deadline.due_on is not None:
        term = f"due at the end of {deadline.due_on}, from {start}"
    else:
        term = f"due before {deadline.due_before} begins, from {start}"
    basis = f"law, {deadline.article}" if deadline.basis == "law" else "partners' agreement"
    return f"{deadline.name}: {term}; {basis}{_dated(deadline.in_force)}"


def _section(title: str, items: list[str], empty: str = "none in force") -> list[str]:
    """A section's title and its items, one a line, wrapped; a section with none says so."""
    if not items:
        return [f"  {title}: {empty}"] if empty else []
    return [f"  {title}:"] + [line for item in items for line in _wrapped(item, ITEM)]


def _wrapped(text: str, indent: str) -> list[str]:
    """`text` in lines of the terminal's width, its following lines indented two more."""
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "    ",
        break_on_hyphens=False,
    )


def _dated(in_force: InForce | None) -> str:
    """` (from ..., text)` after a dated piece; nothing after an undated one."""
    if in_force is None or (in_force.from_ is None and in_force.until is None):
        return ""
    return f" ({dates(in_force)})"


def _holds(in_force: InForce | None, day: date) -> bool:
    return in_force is None or in_force.holds(day)


def _value(value: str | bool | int) -> str:  # noqa: FBT001 - a `when` value as written
    return str(value).lower() if isinstance(value, bool) else str(value)
