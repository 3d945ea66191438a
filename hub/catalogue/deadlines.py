"""The catalogue's deadlines, checked, and the periods a département's agreements set.

A contract's deadline says whether the law sets it (`basis: law`, with its article) or the
partners' agreement (`basis: agreement`), with a default period. A département sets its own
periods in its directory file, by contract and deadline name (`hub.catalogue.agreements`):

    agreements:
      ip.transmission:
        urgent_receipt: PT12H
        evaluation: {period: P2M, by_age: [{under: 2, period: P1M}]}

An agreement's period is the partners' to set. The law's is a maximum: a département may
shorten it (CASF D226-2-4 II: the evaluation, notably for a child under two), never lengthen
it. Periods by age need the deadline to say whose birth date counts (`age:`). A deadline due
on a date its notice carries has no period to set. `hub contracts check` (and the hub at
start) refuses an agreement breaking one of these or naming no deadline, and a deadline
naming a field its schemas lack, an unknown office, or an office the alert contract does not
let be told about that contract.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from hub.catalogue.agreements import Agreement, longer_from
from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.hold_checks import hold_problems
from hub.catalogue.holds import hold_line
from hub.catalogue.hub_contracts import ALERT
from hub.catalogue.meta import ACCEPTED, Deadline
from hub.catalogue.periods import parse_period
from hub.catalogue.projection import parse_path
from hub.catalogue.schemas import schema_has_path


def deadline_problems(catalogue: Catalogue, directory: PartnerDirectory) -> list[str]:
    """Faults of the deadlines and of the département's agreements, each saying what to change."""
    problems = agreement_problems(catalogue, directory)
    for contract in catalogue.contracts.values():
        for deadline in contract.meta.deadlines:
            problems += _fields(contract, deadline, catalogue)
            problems += _closers(contract, deadline, directory)
            problems += _alerted(contract, deadline, catalogue)
            problems += hold_problems(contract, deadline, catalogue)
    return problems


def agreement_problems(catalogue: Catalogue, directory: PartnerDirectory) -> list[str]:
    """Agreed periods naming no deadline, one with no period, or lengthening the law's."""
    where = f"{_shown(directory.path)}: agreements" if directory.path else "agreements"
    problems = []
    for contract_id, agreements in directory.agreements.items():
        contract = catalogue.get(contract_id)
        if contract is None:
            problems.append(f"{where}: {contract_id} is no contract of the catalogue")
            continue
        deadlines = {d.name: d for d in contract.meta.deadlines}
        for name, agreement in agreements.items():
            deadline = deadlines.get(name)
            said = f"{where}: {contract_id} {name}"
            if deadline is None:
                named = ", ".join(deadlines) or "none"
                problems.append(
                    f"{where}: {contract_id} has no deadline {name} (its deadlines: {named})"
                )
            elif deadline.period is None:
                problems.append(
                    f"{said} is due on a date its notice carries: it has no period to set"
                )
            else:
                problems += _agreement_faults(said, contract, deadline, agreement)
    return problems


def agreed(catalogue: Catalogue, directory: PartnerDirectory) -> Catalogue:
    """The catalogue with the département's agreed periods in place of the contracts' own.

    Only a deadline with a period takes them, periods by age only one naming whose age
    counts, and a law's only those no longer than its own; `agreement_problems` names the rest.
    """
    if not directory.agreements:
        return catalogue
    contracts = dict(catalogue.contracts)
    for contract_id, agreements in directory.agreements.items():
        contract = contracts.get(contract_id)
        if contract is None:
            continue
        deadlines = tuple(
            agreed_deadline(d, agreements.get(d.name)) for d in contract.meta.deadlines
        )
        meta = contract.meta.model_copy(update={"deadlines": deadlines})
        contracts[contract_id] = dataclasses.replace(contract, meta=meta)
    return Catalogue(
        contracts,
        catalogue.registry,
        catalogue.fast_registry,
        catalogue.categories,
        catalogue.policy,
    )


def agreed_deadline(deadline: Deadline, agreement: Agreement | None) -> Deadline:
    """`deadline` with the periods of its agreement that `agreement_problems` accepts.

    None of them on a deadline due on a payload date; periods by age only where the deadline
    says whose age counts; on a law's deadline, only periods that never end later than its own.
    """
    if agreement is None or deadline.period is None:
        return deadline
    update: dict[str, object] = {}
    if agreement.period is not None and _longer_from(deadline, agreement.period) is None:
        update["period"] = agreement.period
    by_age = tuple(p for p in agreement.by_age if _longer_from(deadline, p.period) is None)
    if by_age and deadline.age is not None:
        update["by_age"] = by_age
    return deadline.model_copy(update=update) if update else deadline


def _agreement_faults(
    said: str, contract: Contract, deadline: Deadline, agreement: Agreement
) -> list[str]:
    """An agreement on a deadline with a period: by age without an age, longer than the law."""
    faults = []
    if agreement.by_age and deadline.age is None:
        faults.append(
            f"{said}: `by_age` gives periods by age, and the deadline names no birth date to "
            f"take an age from (no `age:` in {_shown(contract.folder / 'contract.yaml')}): give "
            "a plain period"
        )
    periods = [(agreement.period, "")] + [
        (p.period, f" (under {p.under})") for p in agreement.by_age
    ]
    for period, under in periods:
        start = None if period is None else _longer_from(deadline, period)
        if start is not None:
            faults.append(
                f"{said}: the agreed period {period}{under} ends later than the law's "
                f"{deadline.period} ({deadline.article}) on some start days ({start}, for "
                "one): a law's period is a maximum, which an agreement may only shorten"
            )
    return faults


def _longer_from(deadline: Deadline, period: str) -> date | None:
    """For a law's deadline, the first day from which `period` ends later than its own."""
    if deadline.basis != "law" or deadline.period is None:
        return None
    return longer_from(parse_period(period), parse_period(deadline.period))


def _fields(contract: Contract, deadline: Deadline, catalogue: Catalogue) -> list[str]:
    """The payload fields a deadline reads, each defined by some version of the schema."""
    named = [
        ("opens_on", deadline.opens_on if deadline.opens_on != ACCEPTED else None),
        ("fallback", deadline.fallback),
        ("due_on", deadline.due_on),
        ("due_before", deadline.due_before),
        ("when", deadline.when.field if deadline.when else None),
        ("age", deadline.age),
    ]
    return [
        f"{_shown(contract.folder / 'contract.yaml')}: deadline {deadline.name}: `{key}` names "
        f"{field}, which no version of the schema defines"
        + (f" (`{ACCEPTED}` is the hub's acceptance)" if key == "opens_on" else "")
        for key, field in named
        if field is not None
        and not any(
            schema_has_path(v.schema, parse_path(field), catalogue.registry)
            for v in contract.versions.values()
        )
    ]


def _closers(contract: Contract, deadline: Deadline, directory: PartnerDirectory) -> list[str]:
    return [
        f"{contract.id}: deadline {deadline.name} is closed from {office}, which is not in "
        "the directory"
        for office in deadline.closed_from
        if "/" not in office or not directory.knows(*office.split("/", 1))
    ]


def _alerted(contract: Contract, deadline: Deadline, catalogue: Catalogue) -> list[str]:
    """Each office a deadline alerts may be told: the alert contract has it for this contract."""
    alert = catalogue.get(ALERT)
    if alert is None:
        return []
    about = {"contract": contract.id, "deadline": deadline.name}
    return [
        f"{contract.id}: deadline {deadline.name} alerts {office}, which {ALERT} does not let "
        f"be told about {contract.id}: add it to that consumer's `when`, or a consumer "
        f"`{{office: {office}, when: {{field: contract, in: [{contract.id}]}}}}`"
        for office in deadline.alert
        if not any(
            c.office == office and (c.when is None or about.get(c.when.field) in c.when.values)
            for c in alert.meta.consumers
        )
    ]


def _shown(path: Path) -> str:
    """A file as its reader finds it: relative to the working folder when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def deadline_line(d: Deadline) -> str:
    """A deadline in one line of the catalogue: its basis, its term, what closes it, who is told."""
    start = "the hub's acceptance" if d.opens_on == ACCEPTED else f"`{d.opens_on}`"
    start += f" (else `{d.fallback}`)" if d.fallback else ""
    if d.period is not None:
        term = f"{d.period} from {start}"
    elif d.due_on is not None:
        term = f"from {start} to the end of `{d.due_on}`"
    else:
        term = f"from {start} until `{d.due_before}` begins"
    by_age = f", also by age from `{d.age}`" if d.age else ""
    if d.basis == "law" and d.period is not None:
        basis = (
            f"law: {d.article}; a maximum, which a département may shorten, never lengthen, in "
            f"its directory `agreements`{by_age}"
        )
    elif d.basis == "law":
        basis = f"law: {d.article}"
    elif d.period is not None:
        basis = (
            "partners' agreement: a département sets its own period, directory "
            f"`agreements`{by_age}"
        )
    else:
        basis = "partners' agreement: due on the notice's own date"
    if d.when:
        values = ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in d.when.values)
        term += f", when `{d.when.field}` in {values}"
    closed = ", ".join(d.closed_by) + (f" from {', '.join(d.closed_from)}" if d.closed_from else "")
    closed += ", or a later one in its case" if d.closed_in == "case" else ""
    held = "".join(f" It is {hold_line(hold)}" for hold in d.held_by)
    return (
        f"- Deadline `{d.name}` ({basis}): {term}; closed by {closed}; alerts "
        f"{', '.join(d.alert)}. " + " ".join(d.description.split()) + held
    )
