"""Every contract's valid examples through the running hub: each recipient gets its projection.

One run sends everything, the answers once what they answer is through, and each contract is
then checked on its own. Expected deliveries come from the contract metadata through the
hub's routing and projection (tested on their own in tests/test_pipeline.py and
tests/test_projection.py); here what is checked is what actually arrives over the broker.

No one day has every dated rule in force: the run is played on two days of the hub's calendar,
one under each housing regime (the payer's decision in 2026, the CCAPEX's from 2027), each
sending what is in force for a file opened that day; a major retired by then is not sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

import pytest

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.examples import examples
from hub.catalogue.identifiers import foreign_reasons
from hub.catalogue.in_force import Calendar, local_day
from hub.core.intake import Admitted, Intake
from hub.core.routing import NoticeKey, Origin
from hub.wire.envelope import Record
from hub.wire.topics import outbound
from tests.conftest import CCAPEX_DECIDES, CONTRACTS, PAYER_DECIDES
from tests.integration.conftest import HubProcess, on_calendar
from tests.integration.plain import PlainKafka, Received, notice_headers

pytestmark = pytest.mark.kafka
HUB_CALENDAR = PAYER_DECIDES  # `own_hub`'s calendar, then moved on to the next of DAYS
DAYS = (PAYER_DECIDES, CCAPEX_DECIDES)

NOTICE_CONTRACTS = [
    *sorted(
        p.name
        for p in CONTRACTS.iterdir()
        if (p / "contract.yaml").exists() and not p.name.startswith("hub.")
    ),
    "hub.receipt",
]


@dataclass
class Sent:
    """A notice sent, and what each office should receive: payload and schema."""

    contract: str
    notice_id: str
    expected: dict[str, tuple[dict[str, Any], str]]
    major: int
    payload: dict[str, Any]


@dataclass
class Run:
    sent: list[Sent] = field(default_factory=list)
    received: dict[tuple[str, str], Received] = field(default_factory=dict)


def _office(directory: PartnerDirectory, producer: str) -> str:
    partner, office = producer.split("/", 1)
    if directory.has_office(partner, office):
        return producer
    return f"{partner}/{next(o for o in directory.offices(partner) if o.startswith(office + ':'))}"


def _sender(directory: PartnerDirectory, contract: Contract, payload: dict[str, Any]) -> str:
    """The first producer that may send this example: a payer names only its own files."""
    offices = (_office(directory, producer) for producer in contract.meta.producers)
    return next(
        office
        for office in offices
        if not foreign_reasons(contract.meta.identifiers, office.split("/", 1)[0], payload)
    )


@dataclass
class Partners:
    """Partners' systems writing notices, and the intake that says what should come of them."""

    plain: PlainKafka
    intake: Intake

    def send(
        self,
        contract: Contract,
        sender: str,
        payload: dict[str, Any],
        major: int,
        origin: Origin | None = None,
    ) -> Admitted:
        notice_id = str(uuid.uuid4())
        case = origin.case_id if origin else str(uuid.uuid4())
        answers, answers_from = (origin.notice_id, origin.source) if origin else (None, None)
        headers = notice_headers(
            notice_id, f"/{sender}", contract.id, major, answers, answers_from=answers_from
        )
        value = json.dumps(payload).encode()
        topic = f"hub.in.{sender.split('/', 1)[0]}"
        raw = tuple((k, v) for k, v in headers if isinstance(v, bytes))
        record = Record(topic, 0, 0, case.encode(), value, raw)
        known = {NoticeKey(origin.source, origin.notice_id): origin} if origin else {}
        expected = self.intake.examine(record, known)
        assert isinstance(expected, Admitted), expected
        self.plain.send(topic, value, headers, key=case.encode())
        return expected


@pytest.fixture(scope="module")
def run(own_hub: HubProcess, catalogue: Catalogue, directory: PartnerDirectory) -> Iterator[Run]:
    plain = PlainKafka(own_hub.bootstrap)
    result = Run()
    for day in DAYS:
        if day != HUB_CALENDAR:
            _live_on(own_hub, day)
        intake = Intake(catalogue, directory, today=partial(local_day, day))  # the hub's day
        _play(Partners(plain, intake), result, catalogue, directory, local_day(day))
    yield result
    plain.close()


def _live_on(hub: HubProcess, as_of: datetime) -> None:
    """The hub stopped, and started again on the calendar of `as_of`."""
    assert hub.stop() == 0, hub.log.read_text()
    hub.env.update(on_calendar(as_of))
    hub.start()
    hub.wait_ready()


def _play(
    partners: Partners,
    result: Run,
    catalogue: Catalogue,
    directory: PartnerDirectory,
    day: date,
) -> None:
    """Send the valid examples in force for a file opened on `day`, then the answers to them."""
    origins: dict[str, list[Origin]] = {}
    answering = [
        catalogue.contracts[c] for c in NOTICE_CONTRACTS if catalogue.contracts[c].meta.answers
    ]
    for contract in (
        catalogue.contracts[c] for c in NOTICE_CONTRACTS if not catalogue.contracts[c].meta.answers
    ):
        for example in (e for e in examples(contract) if e.valid):
            if not _in_force(contract, example.major, day):
                continue
            sender = _sender(directory, contract, example.payload)
            sent = partners.send(contract, sender, example.payload, example.major)
            result.sent.append(_expectation(sent))
            origins.setdefault(contract.id, []).append(_origin(sent))
    _wait(partners.plain, result, directory)
    for contract in answering:
        # An answer to what was sent that day (logement.avis answers a request of 2026 only).
        if not any(origins.get(answered) for answered in contract.meta.answers):
            continue
        for example in (e for e in examples(contract) if e.valid):
            if not _in_force(contract, example.major, day):
                continue
            origin = _answered(catalogue, contract, example.payload, origins)
            sender = next(o for o in origin.parties if contract.meta.produced_by(*o.split("/", 1)))
            sent = partners.send(contract, sender, example.payload, example.major, origin)
            result.sent.append(_expectation(sent))
    _wait(partners.plain, result, directory)


def _in_force(contract: Contract, major: int, day: date) -> bool:
    """Whether a file opened on `day` may carry this major: not retired, in force, as dated."""
    meta, calendar = contract.meta, Calendar(day, day)
    dated = meta.majors.get(major)
    retired = meta.retired is not None and meta.retired.over(day)
    if dated is not None:
        retired = retired or (dated.retired is not None and dated.retired.over(day))
    in_force = calendar.applies(meta.in_force) and (
        dated is None or calendar.applies(dated.in_force)
    )
    return in_force and not retired


def _expectation(notice: Admitted) -> Sent:
    expected = {d.recipient.address: (d.payload, d.version.schema_id) for d in notice.deliveries}
    return Sent(
        notice.contract.id, notice.envelope.id, expected, notice.version.major, notice.payload
    )


def _origin(notice: Admitted) -> Origin:
    recipients = frozenset(d.recipient.address for d in notice.deliveries)
    env = notice.envelope
    return Origin(
        env.id,
        env.source,
        notice.contract.id,
        notice.case_id,
        recipients,
        content=notice.payload,
        major=notice.version.major,  # as the hub keeps it: an answer compares it as the latest
    )


def _answered(
    catalogue: Catalogue,
    contract: Contract,
    answer: dict[str, Any],
    origins: dict[str, list[Origin]],
) -> Origin:
    """A notice sent that the answer may answer and matches (`matches`), read as its latest."""
    return next(
        origin
        for answered in contract.meta.answers
        for origin in origins.get(answered, [])
        if (match := contract.meta.matches.get(answered)) is None
        or match.agrees(answer, _as_latest(catalogue.contracts[answered], origin))
    )


def _as_latest(contract: Contract, origin: Origin) -> dict[str, Any]:
    """The answered notice's content in its contract's latest major, as the hub compares it."""
    content, major = origin.content or {}, origin.major or contract.latest.major
    return contract.convert(content, major, contract.latest.major)


def _wait(plain: PlainKafka, run: Run, directory: PartnerDirectory) -> None:
    wanted = {(s.notice_id, office) for s in run.sent for office in s.expected}
    for partner in directory.partners:
        mine = {w for w in wanted if w[1].split("/", 1)[0] == partner}
        if mine:
            for r in plain.read(outbound(partner), _holds(mine)):
                run.received[r.headers["ce_id"], r.headers.get("ce_recipient", "")] = r


def _holds(wanted: set[tuple[str, str]]) -> Callable[[list[Received]], bool]:
    def done(got: list[Received]) -> bool:
        return wanted <= {
            (r.headers.get("ce_id", ""), r.headers.get("ce_recipient", "")) for r in got
        }

    return done


@pytest.mark.parametrize("contract", NOTICE_CONTRACTS)
def test_each_recipient_receives_exactly_its_projection(run: Run, contract: str) -> None:
    mine = [s for s in run.sent if s.contract == contract]
    assert mine, f"{contract}: no valid example was sent"
    for sent in mine:
        assert sent.expected, f"{contract}: an example reaches no office"
        for office, (payload, schema) in sent.expected.items():
            record = run.received[sent.notice_id, office]
            assert record.json() == payload
            assert record.headers["ce_dataschema"] == schema
        others = {o for (i, o) in run.received if i == sent.notice_id} - set(sent.expected)
        assert others == set(), f"{contract}: delivered to offices it does not name"


def test_the_crip_receives_the_latest_ip_other_minors_included(
    run: Run, catalogue: Catalogue
) -> None:
    """The département reads v3: what v2 says of the other minors reaches the CRIP, with the
    Parquet's alert, which v2 cannot say, not stated."""
    contract = catalogue.contracts["ip.transmission"]
    v2 = [(s, s.payload) for s in run.sent if s.contract == contract.id and s.major == 2]
    assert [p for _, p in v2 if p.get("other_minors")], "no v2 example names other minors"
    for sent, payload in v2:
        record = run.received[sent.notice_id, "departement/crip"]
        assert record.headers["ce_dataschema"] == contract.versions[3].schema_id
        assert record.json()["other_minors"] == payload["other_minors"]
        assert record.json()["parquet_alert"] == {"alerted_by": "not_stated"}
