"""What the kit plays: notices a partner sends, and notices the hub delivers to it.

Both come from the catalogue's own valid examples, so a new contract is covered without
touching the kit. Sent samples are the contracts the partner may produce that answer nothing
(an answer needs a notice the partner received, which the delivery checks cover); deliveries
are built by the hub's intake from another office's notice, so their routing and projection
are the hub's.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.identifiers import foreign_reasons
from hub.catalogue.in_force import local_day
from hub.core.intake import Admitted, Intake
from hub.core.outgoing import RECEIPT
from hub.core.reach import unreached
from hub.core.routing import NoticeKey, Origin
from hub.wire.envelope import CAUSATION_HEADER, CAUSATION_SOURCE_HEADER, Record
from hub.wire.topics import inbound

KIT_NAMESPACE = uuid.UUID("9a3c5e71-2b4d-4f60-8e1a-7c9b0d2e4f13")


@dataclass(frozen=True, slots=True)
class Sample:
    """A notice the institution side is asked to send: contract, sending office, payload."""

    contract: str
    office: str
    payload: dict[str, Any]


def examples(contract: Contract) -> list[dict[str, Any]]:
    """The valid examples of a contract's latest version, without their `$comment`."""
    folder = contract.folder / f"v{contract.latest.major}" / "examples" / "valid"
    found = []
    for path in sorted(folder.glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        payload.pop("$comment", None)
        found.append(payload)
    return found


def offices_for(directory: PartnerDirectory, producer: str) -> list[tuple[str, str]]:
    """The (partner, office) pairs a producer entry (`partner/office` or a kind) names."""
    partner, _, office = producer.partition("/")
    if partner not in directory.partners:
        return []
    return [(partner, o) for o in directory.offices(partner) if office in (o, o.split(":", 1)[0])]


def taken_on(contract: Contract, day: date | None = None) -> bool:
    """Whether the hub takes a new file's notices of it on `day`: in force, and not retired.

    The kit checks what an adapter must do on the day it judges on (the suite's `on_day`, else
    the real day in the département): a contract whose rules start on a later day, or ended, is
    left out (a file opened earlier keeps it: the hub's to judge).
    """
    today = day or local_day(datetime.now(UTC))
    meta = contract.meta
    retired = meta.retired is not None and meta.retired.over(today)
    return not retired and (meta.in_force is None or meta.in_force.holds(today))


def sent_samples(
    catalogue: Catalogue, directory: PartnerDirectory, partner: str, day: date | None = None
) -> list[Sample]:
    """One sample per contract the partner may send on its own initiative, taken on `day`."""
    samples = []
    for contract in sorted(catalogue.contracts.values(), key=lambda c: c.id):
        if contract.meta.kind != "notice" or contract.meta.answers or not taken_on(contract, day):
            continue
        offices = [o for p in contract.meta.producers for o in offices_for(directory, p)]
        mine = [office for owner, office in offices if owner == partner]
        ids = contract.meta.identifiers  # a payer sends only its own allocataires' files
        payloads = [p for p in examples(contract) if not foreign_reasons(ids, partner, p)]
        if mine and payloads:
            samples.append(Sample(contract.id, mine[0], payloads[0]))
    return samples


def deliveries_to(
    catalogue: Catalogue, directory: PartnerDirectory, partner: str, day: date | None = None
) -> list[Admitted]:
    """One accepted notice per contract the partner receives, as the hub delivers it on `day`."""
    intake = Intake(catalogue, directory, today=(lambda: day) if day else None)
    found = []
    for contract in sorted(catalogue.contracts.values(), key=lambda c: c.id):
        if contract.meta.kind != "notice" or contract.id == RECEIPT or not taken_on(contract, day):
            continue
        notice = _first_delivered(intake, catalogue, directory, contract, partner)
        if notice is not None:
            found.append(notice)
    return found


def from_another_sender(notice: Admitted, directory: PartnerDirectory) -> Admitted:
    """`notice` again, under its id, from another office and in a case of its own.

    Two senders whose numbering collides: another producer of its contract if there is one,
    else another office of its partner, else any other office.
    """
    envelope = notice.envelope
    producers = [o for p in notice.contract.meta.producers for o in offices_for(directory, p)]
    candidates = [
        *producers,
        *((envelope.partner, o) for o in directory.offices(envelope.partner)),
        *((p, o) for p in sorted(directory.partners) for o in directory.offices(p)),
    ]
    partner, office = next(o for o in candidates if o != (envelope.partner, envelope.office))
    source = f"/{partner}/{office}"
    other = dataclasses.replace(envelope, source=source, partner=partner, office=office)
    case_id = str(uuid.uuid5(KIT_NAMESPACE, f"{source}\n{envelope.id}"))
    return dataclasses.replace(notice, envelope=other, case_id=case_id)


def nothing_delivered(catalogue: Catalogue, directory: PartnerDirectory, partner: str) -> str:
    """Why the kit has no notice to deliver to a partner, and what to change where."""
    causes = unreached(catalogue, directory, partner)
    if causes:
        return (
            f"{partner} receives no contract the catalogue's valid examples reach: nothing to "
            f"check. {' '.join(f'{cause}.' for cause in causes)} (`hub contracts check` names "
            "these too)"
        )
    return (
        f"{partner} receives no contract: nothing to check. Name its offices as consumers of "
        "the notices they receive (`consumers` in contracts/<id>/contract.yaml), with a valid "
        "example that reaches them"
    )


def _first_delivered(
    intake: Intake,
    catalogue: Catalogue,
    directory: PartnerDirectory,
    contract: Contract,
    partner: str,
) -> Admitted | None:
    senders = [o for p in contract.meta.producers for o in offices_for(directory, p)]
    for sender in senders:
        for origin in _origins(catalogue, directory, contract, sender):
            for payload in examples(contract):
                verdict = intake.examine(
                    _record(contract, sender, payload, origin),
                    origin_index([origin] if origin else []),
                )
                if isinstance(verdict, Admitted) and any(
                    d.recipient.partner == partner for d in verdict.deliveries
                ):
                    return verdict
    return None


def _origins(
    catalogue: Catalogue,
    directory: PartnerDirectory,
    contract: Contract,
    sender: tuple[str, str],
) -> list[Origin | None]:
    """For an answer, notices it may answer (ones the sender received); else nothing.

    One per valid example of the answered contract: an answer must match what it answers.
    """
    if not contract.meta.answers:
        return [None]
    found: list[Origin | None] = []
    for answered in contract.meta.answers:
        for producer in catalogue.contracts[answered].meta.producers:
            for owner, office in offices_for(directory, producer):
                notice_id = str(uuid.uuid5(KIT_NAMESPACE, f"{answered}/{owner}/{office}"))
                case_id = str(uuid.uuid5(KIT_NAMESPACE, notice_id))
                source, recipients = f"/{owner}/{office}", frozenset({"/".join(sender)})
                found += [
                    Origin(notice_id, source, answered, case_id, recipients, content=payload)
                    for payload in examples(catalogue.contracts[answered])
                ]
    return found


def origin_index(origins: Iterable[Origin]) -> dict[NoticeKey, Origin]:
    """Accepted notices as the hub's intake looks up those that answers name: by source and id."""
    return {NoticeKey(o.source, o.notice_id): o for o in origins}


def _record(
    contract: Contract, sender: tuple[str, str], payload: dict[str, Any], origin: Origin | None
) -> Record:
    partner, office = sender
    headers = {
        "ce_specversion": "1.0",
        "ce_id": str(uuid.uuid4()),
        "ce_source": f"/{partner}/{office}",
        "ce_type": contract.id,
        "ce_time": datetime.now(UTC).isoformat(timespec="seconds"),
        "ce_dataschema": contract.latest.schema_id,
        "content-type": "application/json",
        "traceparent": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01",
    }
    if origin:
        headers[CAUSATION_HEADER] = origin.notice_id
        headers[CAUSATION_SOURCE_HEADER] = origin.source
    key = origin.case_id if origin else str(uuid.uuid4())
    return Record(
        inbound(partner),
        0,
        0,
        key.encode(),
        json.dumps(payload, ensure_ascii=False).encode(),
        tuple((k, v.encode()) for k, v in headers.items()),
    )
