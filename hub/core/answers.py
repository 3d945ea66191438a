"""Answers: the notice an answer names, checked, and what it is compared with.

An answer (a receipt and a recall too) names the notice it answers by source and id
(`ce_causationsource` + `ce_causationid`), never by id alone, and carries that notice's case
as its key. The notice must be one the answering office sent or received, of a contract it
answers, in that case; whatever fails, the refusal is the same (`answer.unknown-notice`), so
no answer tells a partner which notices exist. Only then is it compared (`matches`).

The intake compares an answer with the notice it answers when the answering contract declares
`matches` (hub/catalogue/matches.py). The intake stays a function of what it is given: before
it runs, the relay (and the redelivery, which decides a kept answer again) asks here which
answered notices to read, reads them from the vault, where every accepted notice is sealed
under its case's key, and hands them over inside the `Origin`s. A notice whose case was erased
cannot be read: its `Origin` keeps no content, and the intake refuses an answer to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.matches import ERASED
from hub.core.recall import RECALL, recalled
from hub.core.routing import NoticeKey, Origin
from hub.wire.envelope import (
    CAUSATION_HEADER,
    CAUSATION_SOURCE_HEADER,
    EVENT_ID,
    SOURCE,
    Envelope,
    Record,
    header_map,
    header_value,
    key_case_id,
    read_envelope,
)
from hub.wire.json_value import read_object
from hub.wire.reasons import Reason, Refusal
from hub.wire.topics import partner_of


def causes(records: Sequence[Record]) -> set[NoticeKey]:
    """The notices records name as the one they answer (source and id, both well formed)."""
    found = set()
    for record in records:
        notice_id = header_value(record, CAUSATION_HEADER)
        source = header_value(record, CAUSATION_SOURCE_HEADER)
        if notice_id and source and EVENT_ID.match(notice_id) and SOURCE.match(source):
            found.add(NoticeKey(source, notice_id))
    return found


def to_read(
    catalogue: Catalogue,
    directory: PartnerDirectory,
    records: Sequence[Record],
    origins: Mapping[NoticeKey, Origin],
) -> set[NoticeKey]:
    """The answered notices whose content answers among `records` are compared with.

    Only for an answer its sender may give: written by an office of the topic's partner that
    produces the contract, naming a notice (as the ledger knows it, `origins`) of its key's
    case that this office sent or received. Any other is refused by the intake, and no notice
    is unsealed for it: what a record costs the hub follows its sender's rights.
    """
    return {key for r in records if (key := _compared(catalogue, directory, r, origins))}


def _compared(
    catalogue: Catalogue,
    directory: PartnerDirectory,
    record: Record,
    origins: Mapping[NoticeKey, Origin],
) -> NoticeKey | None:
    """The notice `record` is compared with, when the intake would get that far."""
    contract = catalogue.get(header_value(record, "ce_type") or "")
    if contract is None or not contract.meta.matches:
        return None
    try:
        envelope = read_envelope(header_map(record))
        key, case_id = answered_key(envelope), answer_case(record)
    except Refusal:
        return None
    partner, office = envelope.partner, envelope.office
    if (
        partner != partner_of(record.topic)
        or not directory.has_office(partner, office)
        or not contract.meta.produced_by(partner, office)
    ):
        return None
    origin = origins.get(key)
    if origin is None or origin.contract not in contract.meta.matches:
        return None
    return key if _answerable(contract, envelope, case_id, origin) else None


def with_contents(
    origins: Mapping[NoticeKey, Origin], kept: Mapping[NoticeKey, Record]
) -> dict[NoticeKey, Origin]:
    """The origins, each read from the vault (`kept`) carrying its payload."""
    return {key: _with_content(origin, kept.get(key)) for key, origin in origins.items()}


def _with_content(origin: Origin, record: Record | None) -> Origin:
    if record is None or record.value is None:
        return origin
    return replace(origin, content=read_object(record.value))  # accepted, so a JSON object


def answered_notice(
    contract: Contract,
    envelope: Envelope,
    record: Record,
    payload: dict[str, Any],
    origins: Mapping[NoticeKey, Origin],
) -> Origin | None:
    """The accepted notice this one answers, checked; None for a notice that answers nothing.

    An answer names the notice by source and id, and its case in its key. Unknown, of another
    case, of a contract this one does not answer, or neither sent nor received by the
    answering office: one refusal for all, so that no answer tells a partner which notices
    exist (a recall's rules are stricter: `hub.core.recall`).
    """
    if not contract.meta.answers:
        return None
    wanted = answered_key(envelope)
    case_id = answer_case(record)
    if contract.id == RECALL:
        return recalled(contract.meta.answers, envelope, payload, case_id, origins)
    origin = origins.get(wanted)
    if origin is None or not _answerable(contract, envelope, case_id, origin):
        detail = "no notice this office sent or received has this source and id in this case"
        raise Refusal(Reason("answer.unknown-notice", detail, "ce_causationid"))
    return origin


def _answerable(contract: Contract, envelope: Envelope, case_id: str, origin: Origin) -> bool:
    """Whether the answering office may answer `origin` in `case_id` with `contract`."""
    return (
        origin.contract in contract.meta.answers
        and origin.case_id == case_id
        and (envelope.sender in origin.recipients or envelope.source == origin.source)
    )


def answered_key(envelope: Envelope) -> NoticeKey:
    """The notice an answer names; `Refusal` (`answer.missing`) when it names none whole."""
    notice_id, source = envelope.causation_id, envelope.causation_source
    if notice_id is None or source is None:
        header = "ce_causationid" if notice_id is None else "ce_causationsource"
        detail = f"an answer names the notice it answers: give {header}"
        raise Refusal(Reason("answer.missing", detail, header))
    return NoticeKey(source, notice_id)


def answer_case(record: Record) -> str:
    """The case an answer names in its key; `Refusal` when it names none."""
    if not record.key:
        detail = "an answer carries the case of the notice it answers as its key"
        raise Refusal(Reason("answer.missing", detail, "key"))
    case_id = key_case_id(record.key)
    if case_id is None:
        raise Refusal(Reason("envelope.key", "the record key must be the case id, a UUID", "key"))
    return case_id


def check_match(contract: Contract, answered: Origin, payload: dict[str, Any]) -> None:
    """An answer shares with the notice it answers what its contract declares (`matches`)."""
    match = contract.meta.matches.get(answered.contract)
    if match is None:
        return
    if answered.content is None:  # an accepted notice is unreadable once its case is erased
        detail = "the notice this one answers can no longer be read: its case was erased"
        raise Refusal(Reason(ERASED, detail, "ce_causationid"))
    if reasons := match.reasons(payload, answered.content):
        raise Refusal(*reasons)


def as_latest(catalogue: Catalogue, answered: Origin) -> Origin:
    """The answered notice with its content read as its contract's latest major.

    `matches` compare an answer with the latest major of what it answers: a notice sent in an
    older major (a v1 referral naming the CAF's allocataire) is converted first.
    """
    contract = catalogue.get(answered.contract)
    content, major = answered.content, answered.major
    if contract is None or content is None or major is None or major == contract.latest.major:
        return answered
    return replace(answered, content=contract.convert(content, major, contract.latest.major))
