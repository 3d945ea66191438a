"""What `hub contracts check` (and the hub at start) refuses about a deadline's holds (`held_by`).

A hold names a contract that answers the deadline's contract, a `when` its schemas can meet, a
`from` date they define, and a period that can be read (read as the contract is loaded). A
notice that meets a hold's `when` holds the deadline and never closes it, so a hold that would
leave its contract, named in `closed_by`, no notice that closes is refused, and so are two holds
of one contract that one notice could both meet. A deadline closed by any later notice of its
case (`closed_in: case`) cannot be held: the watch finds those notices in the ledger, which
keeps no payload, and could not tell one that holds from one that closes.
"""

from __future__ import annotations

import itertools

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.examples import shown
from hub.catalogue.holds import Hold
from hub.catalogue.meta import Deadline
from hub.catalogue.projection import parse_path
from hub.catalogue.schemas import held_values, schema_at


def hold_problems(contract: Contract, deadline: Deadline, catalogue: Catalogue) -> list[str]:
    """Faults of a deadline's holds, each naming the contract's file and what to change there."""
    where = f"{shown(contract.folder / 'contract.yaml')}: deadline {deadline.name}"
    problems = []
    if deadline.held_by and deadline.closed_in == "case":
        problems.append(
            f"{where}: `held_by` with `closed_in: case`: any later notice of the case closes it, "
            "and the ledger keeps no payload to tell one that holds: remove one of the two"
        )
    for hold in deadline.held_by:
        holder = catalogue.get(hold.contract)
        if holder is None:
            problems.append(
                f"{where}: `held_by` names {hold.contract}, which is no contract of the catalogue"
            )
        elif contract.id not in holder.meta.answers:
            problems.append(
                f"{where}: `held_by` names {hold.contract}, which does not answer "
                f"{contract.id}: add {contract.id} to its `answers`, or remove the hold"
            )
        else:
            problems += [f"{where}: {fault}" for fault in _fields(hold, holder, catalogue)]
            problems += [
                f"{where}: {fault}" for fault in _closes(hold, holder, deadline, catalogue)
            ]
    problems += [
        f"{where}: two holds by {one.contract} that one notice could both meet: give them "
        f"`when`s on one field with no value in common, or merge them"
        for one, other in itertools.combinations(deadline.held_by, 2)
        if one.contract == other.contract
        and (one.when.field != other.when.field or set(one.when.values) & set(other.when.values))
    ]
    return problems


def _fields(hold: Hold, holder: Contract, catalogue: Catalogue) -> list[str]:
    """The hold's `when` field and `from` date, each defined by some major of its contract."""
    faults = []
    for key, field in (("when", hold.when.field), ("from", hold.held_from)):
        node = _field_schema(holder, field, catalogue)
        if node is None:
            faults.append(
                f"`held_by` {hold.contract}: `{key}` names {field}, which no version of its "
                "schema defines: correct the path"
            )
        elif key == "from" and (not isinstance(node, dict) or node.get("format") != "date"):
            faults.append(
                f"`held_by` {hold.contract}: `from` names {field}, which is not a date: name "
                "the date the hold runs from"
            )
        elif key == "when" and (held := held_values(node)) is not None:
            faults += [
                f"`held_by` {hold.contract}: `when` names {value} for {field}, which it can "
                f"never be (it holds {', '.join(map(str, held))}): name only values it holds"
                for value in hold.when.values
                if not _among(value, held)
            ]
    return faults


def _closes(hold: Hold, holder: Contract, deadline: Deadline, catalogue: Catalogue) -> list[str]:
    """A contract in `closed_by` keeps values of the hold's field that close the deadline."""
    if hold.contract not in deadline.closed_by:
        return []
    held = held_values(_field_schema(holder, hold.when.field, catalogue))
    if held is None or any(not _among(value, hold.when.values) for value in held):
        return []
    fault = (
        f"`held_by` {hold.contract}: every {hold.when.field} it can hold meets the hold's "
        "`when`, so no notice of it closes the deadline: remove it from `closed_by`, or narrow "
        "that `when`"
    )
    return [fault]


def _among(value: object, values: tuple[object, ...]) -> bool:
    """Whether `value` is one of `values`, `true` not being `1`."""
    return any(type(value) is type(v) and value == v for v in values)


def _field_schema(contract: Contract, field: str, catalogue: Catalogue) -> object | None:
    """The schema of `field` in the latest major that defines it; None when none does."""
    for _, version in sorted(contract.versions.items(), reverse=True):
        found: object | None = schema_at(version.schema, parse_path(field), catalogue.registry)
        if found is not None:
            return found
    return None
