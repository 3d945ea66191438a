"""The law's dates at the intake: retirements, rules in force for a notice's file, qualifications.

A notice is judged by the rules in force for its file (`Calendar`): those of the day the hub
accepted the case's first notice, on the hub's calendar in the département (Europe/Paris), so a
backdated notice cannot move its file to other rules and a file opened in December stays under
December's rules in January. Retirements are about days of acceptance: a contract or a major
retired is refused from the day after its last day, whatever the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from hub.catalogue.contracts import Catalogue, Contract, ContractVersion
from hub.catalogue.in_force import Calendar, InForce
from hub.wire.envelope import Envelope
from hub.wire.reasons import Reason, Refusal

NOT_IN_FORCE = "contract.not-in-force"
MAJOR_RETIRED = "contract.major-retired"


def check_retired(contract: Contract, version: ContractVersion, today: date) -> None:
    """Refuse a contract, or one major of it, retired before `today`."""
    retired = contract.meta.retired
    if retired and retired.over(today):
        detail = (
            f"this contract was retired after {retired.last_accepted_on.isoformat()}: "
            f"send {' or '.join(retired.replaced_by)}"
        )
        raise Refusal(Reason("contract.retired", detail, "ce_type"))
    major = contract.meta.majors.get(version.major)
    if major and major.retired and major.retired.over(today):
        detail = (
            f"v{version.major} of this contract was retired after "
            f"{major.retired.last_accepted_on.isoformat()}: send v{major.retired.replaced_by}"
        )
        raise Refusal(Reason(MAJOR_RETIRED, detail, "ce_dataschema"))


def check_in_force(
    catalogue: Catalogue,
    contract: Contract,
    version: ContractVersion,
    envelope: Envelope,
    calendar: Calendar,
) -> None:
    """Refuse a notice whose contract, major or producer entry is not in force for its file."""
    meta = contract.meta
    if not calendar.applies(meta.in_force):
        instead = [
            other.id
            for other in catalogue.contracts.values()
            if meta.regime and other.meta.regime == meta.regime and other.id != meta.id
            if calendar.applies(other.meta.in_force)
        ]
        send = f": send {' or '.join(instead)}" if instead else ""
        detail = f"{_when(meta.in_force, calendar)}{send}"
        raise Refusal(Reason(NOT_IN_FORCE, detail, "ce_type"))
    major = meta.majors.get(version.major)
    if major and not calendar.applies(major.in_force):
        detail = f"v{version.major}: {_when(major.in_force, calendar)}"
        raise Refusal(Reason(NOT_IN_FORCE, detail, "ce_dataschema"))
    entry = meta.producer_entry(envelope.partner, envelope.office)
    dates = meta.producers_in_force.get(entry) if entry else None
    if not calendar.applies(dates):
        detail = f"this office sends it {_when(dates, calendar)}"
        raise Refusal(Reason(NOT_IN_FORCE, detail, "ce_source"))


def _when(in_force: InForce | None, calendar: Calendar) -> str:
    """Why a dated rule does not govern this file: its dates and text, the file's first day."""
    dates = in_force.label() if in_force else "always"
    text = f" ({in_force.text})" if in_force and in_force.text else ""
    return (
        f"in force {dates}{text}, not for a file opened on {calendar.opened_on.isoformat()}, "
        "whose rules are those of that day"
    )


def delivered(
    payload: dict[str, Any], qualified: Mapping[str, dict[str, Any]], version: ContractVersion
) -> dict[str, Any]:
    """`payload` with the hub's qualifications its major's schema has a field for."""
    fields = version.schema.get("properties", {})
    found = {name: value for name, value in qualified.items() if name in fields}
    return {**payload, **found} if found else payload
