"""The intake: what the hub decides about one inbound record, as a pure function of the record.

Order of checks: size, headers, envelope, sender (a partner cannot speak for another),
contract and producer, version, payload, schema, scopes (whom the contract is for, as its
documents say), identifiers (a payer names only its own files), the notice an answer answers
(by source and id, one refusal whatever fails) and what it must share with it (`matches`).
The first blocking stage stops the record; within a stage every fault is reported.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from hub.catalogue.contracts import Catalogue, Contract, ContractVersion
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.identifiers import foreign_reasons
from hub.catalogue.in_force import Calendar, local_day
from hub.catalogue.scopes import check_scopes, qualifications
from hub.catalogue.validation import schema_reasons
from hub.core.answers import answered_notice, as_latest, check_match
from hub.core.cases import case_id_for
from hub.core.dated import check_in_force, check_retired, delivered
from hub.core.routing import NoticeKey, Origin, Recipient, Router, Unrouted
from hub.wire.bounded import refused_batch
from hub.wire.envelope import (
    EVENT_ID,
    Envelope,
    Record,
    header_map,
    key_case_id,
    read_envelope,
    readable_headers,
)
from hub.wire.json_value import read_object
from hub.wire.reasons import Reason, Refusal
from hub.wire.topics import partner_of

DEFAULT_MAX_RECORD_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Delivery:
    """One office's copy of an accepted notice, in the major version its partner reads."""

    recipient: Recipient
    payload: dict[str, Any]
    version: ContractVersion


@dataclass(frozen=True, slots=True)
class Admitted:
    """A record that passed every check: the notice and where it goes."""

    record: Record
    envelope: Envelope
    contract: Contract
    version: ContractVersion
    payload: dict[str, Any]
    case_id: str
    digest: str
    deliveries: tuple[Delivery, ...]
    unrouted: tuple[Unrouted, ...] = ()
    resumed: bool = False
    answered: Origin | None = None
    calendar: Calendar | None = None  # the days its file's rules are read on
    qualified: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def key(self) -> NoticeKey:
        """The notice's identity: CloudEvents `source` and `id`."""
        return NoticeKey(self.envelope.source, self.envelope.id)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record the hub refuses, and who must be told."""

    record: Record
    reasons: tuple[Reason, ...]
    partner: str
    office: str | None = None
    notice_id: str | None = None
    contract: str | None = None
    case_id: str | None = None

    @property
    def recipient(self) -> str:
        """The sender's address for the rejection notice."""
        return f"{self.partner}/{self.office}" if self.office else self.partner


class Intake:
    """Examines inbound records against the catalogue and the directory."""

    def __init__(
        self,
        catalogue: Catalogue,
        directory: PartnerDirectory,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
        today: Callable[[], date] | None = None,
        case_key: bytes | None = None,
    ) -> None:
        """Check records with these contracts and partners; `today` is the hub's calendar.

        `case_key` derives the case ids of keyless notices (`hub.core.cases`); without one, a
        random key of this intake's own (tests: a hub always gives the key it keeps).
        """
        self._today = today or (lambda: local_day(datetime.now(UTC)))
        self._case_key = case_key or secrets.token_bytes(32)
        self._catalogue = catalogue
        self._directory = directory
        self._router = Router(directory)
        self._max_record_bytes = max_record_bytes
        self._again = False

    def deciding_again(self) -> Intake:
        """The same intake, for records it accepted before (redelivery): later retirements pass.

        A contract or major retired after a notice of it was accepted stops new notices, not
        the delivery of those accepted: their retirement is judged on their file's first day.
        """
        again = copy.copy(self)
        again._again = True  # noqa: SLF001 - a copy of itself
        return again

    @property
    def catalogue(self) -> Catalogue:
        """The contracts it checks against."""
        return self._catalogue

    @property
    def directory(self) -> PartnerDirectory:
        """The partners and offices it checks senders and routes notices against."""
        return self._directory

    def refuse(self, record: Record, *reasons: Reason) -> Rejected:
        """A rejection of this record, told to the office that wrote it when it is known."""
        try:
            envelope: Envelope | None = read_envelope(header_map(record))
        except Refusal:
            envelope = None
        return self._rejected(
            record, Refusal(*reasons), partner_of(record.topic) or "", {}, envelope
        )

    def examine(
        self,
        record: Record,
        origins: Mapping[NoticeKey, Origin] | None = None,
        parties: Mapping[str, frozenset[str]] | None = None,
        opened: Mapping[str, date] | None = None,
    ) -> Admitted | Rejected:
        """Decide on one record: admitted with its deliveries, or rejected with reasons.

        `origins` are the accepted notices that records of this batch name as the one they
        answer (`ce_causationsource` + `ce_causationid`), `parties` the partners that took
        part in the cases their keys name, and `opened` the day each of those cases was
        opened (its rules are that day's), all looked up beforehand by the relay.
        """
        partner = partner_of(record.topic) or ""
        headers: dict[str, str] = {}
        envelope: Envelope | None = None
        try:
            self._check_size(record)
            headers = header_map(record)
            envelope = read_envelope(headers)
            self._check_sender(partner, envelope)
            keyed = key_case_id(record.key)  # read once: the case's rules and its id
            calendar = self._calendar(keyed, opened or {})
            contract, version = self._contract(envelope)
            # A notice decided again (its redelivery) was accepted: retired since, it still is.
            check_retired(contract, version, calendar.opened_on if self._again else calendar.today)
            payload = read_object(record.value or b"")
            _check_schema(version, payload)
            check_in_force(self._catalogue, contract, version, envelope, calendar)
            check_scopes(contract.meta.scopes, version.major, payload, calendar)
            _check_owner(contract, partner, payload)
            answered = answered_notice(contract, envelope, record, payload, origins or {})
            case_id = answered.case_id if answered else self._case_id(record.key, keyed, envelope)
            if answered is None:
                _check_party(envelope.partner, case_id, parties or {})
            else:
                check_match(contract, as_latest(self._catalogue, answered), payload)
        except Refusal as refusal:
            return self._rejected(record, refusal, partner, headers, envelope)
        recipients, unrouted = self._router.recipients(contract, payload, answered, calendar)
        qualified = qualifications(contract.meta.scopes, version.major, payload, calendar)
        return Admitted(
            record,
            envelope,
            contract,
            version,
            payload,
            case_id,
            _digest(envelope, payload),  # as sent: a copy sent again on another day is the same
            self._deliveries(contract, version, payload, recipients, qualified),
            tuple(unrouted),
            answered=answered,
            calendar=calendar,
            qualified=qualified,
        )

    def _calendar(self, case_id: str | None, opened: Mapping[str, date]) -> Calendar:
        """The days a notice is judged on: its case's first day (today for a new case), today."""
        today = self._today()
        return Calendar(opened.get(case_id, today) if case_id else today, today)

    def _case_id(self, key: bytes | None, case_id: str | None, envelope: Envelope) -> str:
        """The case: the record key (a UUID), or one derived from the notice with the hub's key.

        `case_id` is the key read as a UUID (None when it is none).
        """
        if key is None or key == b"":
            return case_id_for(self._case_key, envelope.source, envelope.id)
        if case_id is None:
            detail = "the record key must be the case id, a UUID"
            raise Refusal(Reason("envelope.key", detail, "key"))
        return case_id

    def _deliveries(
        self,
        contract: Contract,
        version: ContractVersion,
        payload: dict[str, Any],
        recipients: list[Recipient],
        qualified: Mapping[str, dict[str, Any]],
    ) -> tuple[Delivery, ...]:
        converted = {version.major: delivered(payload, qualified, version)}
        deliveries = []
        for recipient in recipients:
            major = (  # the office's own pin, else its partner's, else the sender's major
                self._directory.consumed_major(recipient.partner, contract.id, recipient.office)
                or version.major
            )
            if major not in converted:
                into = contract.versions[major]
                moved = contract.convert(payload, version.major, major)
                converted[major] = delivered(moved, qualified, into)
            view = recipient.projection.apply(converted[major])
            deliveries.append(Delivery(recipient, view, contract.versions[major]))
        return tuple(deliveries)

    def _check_size(self, record: Record) -> None:
        if refused := refused_batch(record.headers):  # a batch refused before it was read
            raise Refusal(Reason(*refused))
        if record.value is None:
            raise Refusal(Reason("record.empty", "the record has no value"))
        size = len(record.value) + sum(len(k) + len(v) for k, v in record.headers)
        if size > self._max_record_bytes:
            detail = f"the record exceeds {self._max_record_bytes} bytes"
            raise Refusal(Reason("record.oversize", detail))

    def _check_sender(self, partner: str, envelope: Envelope) -> None:
        if envelope.partner != partner:
            detail = "the source names another partner than the one writing to this topic"
            raise Refusal(Reason("sender.spoofed", detail, "ce_source"))
        if not self._directory.has_office(partner, envelope.office):
            detail = "the partner directory has no such office for this partner"
            raise Refusal(Reason("sender.unknown-office", detail, "ce_source"))

    def _contract(self, envelope: Envelope) -> tuple[Contract, ContractVersion]:
        contract = self._catalogue.get(envelope.type)
        if contract is None:
            raise Refusal(Reason("contract.unknown", "no contract has this id", "ce_type"))
        if not contract.meta.produced_by(envelope.partner, envelope.office):
            detail = "this office is not a declared producer of the contract"
            raise Refusal(Reason("sender.not-producer", detail, "ce_source"))
        version = self._catalogue.version_for(envelope.dataschema)
        if version is None or version.contract_id != contract.id:
            detail = "not the schema URI of a live version of this contract"
            raise Refusal(Reason("contract.version-unknown", detail, "ce_dataschema"))
        return contract, version

    def _rejected(
        self,
        record: Record,
        refusal: Refusal,
        partner: str,
        headers: dict[str, str],
        envelope: Envelope | None,
    ) -> Rejected:
        # The rejection goes to the partner that wrote on the topic, never to a spoofed one.
        office = None
        if (
            envelope
            and envelope.partner == partner
            and self._directory.has_office(partner, envelope.office)
        ):
            office = envelope.office
        headers = headers or readable_headers(record)
        notice_id = headers.get("ce_id")
        contract = headers.get("ce_type")
        return Rejected(
            record=record,
            reasons=refusal.reasons,
            partner=partner,
            office=office,
            notice_id=notice_id if notice_id and EVENT_ID.match(notice_id) else None,
            # Only a contract of the catalogue is named back: a made-up type could carry a name.
            contract=contract if contract and self._catalogue.get(contract) else None,
            case_id=key_case_id(record.key),
        )


def _check_owner(contract: Contract, partner: str, payload: dict[str, Any]) -> None:
    """A partner owning the contract's numbers (a payer) names only itself as their owner."""
    if foreign := foreign_reasons(contract.meta.identifiers, partner, payload):
        raise Refusal(*foreign)


def _check_party(partner: str, case_id: str, parties: Mapping[str, frozenset[str]]) -> None:
    """A notice may open a case or join one its partner has a part in, not another's."""
    known = parties.get(case_id)
    if known is not None and partner not in known:
        detail = "the key names a case this partner has no part in"
        raise Refusal(Reason("case.foreign", detail, "key"))


def _check_schema(version: ContractVersion, payload: dict[str, Any]) -> None:
    if version.accepts(payload):
        return
    # Never accept what the deciding validator refused, even if the explanation finds nothing.
    fallback = Reason("schema.invalid", "the payload does not satisfy the contract version")
    raise Refusal(*(schema_reasons(version.validator, payload) or [fallback]))


def case_key(record: Record) -> str | None:
    """The case a record's key names, when it is a well-formed case id."""
    return key_case_id(record.key)


def _digest(envelope: Envelope, payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = f"{envelope.type}\n{envelope.dataschema}\n{canonical}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
