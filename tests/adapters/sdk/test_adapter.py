"""The SDK's `Adapter` without a broker: building, checking, queueing and reading notices.

An adapter that is never started needs no broker: everything here happens before sending.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import pytest_asyncio
from aiokafka import ConsumerRecord
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.message import KafkaMessage as Message
from faststream.kafka.parser import AioKafkaParser

from adapters.conformance.samples import origin_index
from adapters.sdk import (
    Adapter,
    FileExchangeSettings,
    Handling,
    Incoming,
    InvalidNotice,
    ReceivedFolder,
)
from adapters.sdk.notices import UnreadableRecordError, answered, arrival, tolerant_parser
from adapters.sdk.outbox import Outbox
from adapters.sdk.receipts import receipt_id
from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Admitted, Intake
from hub.core.recall import RECALL, recall_id
from hub.core.routing import Origin
from hub.wire.envelope import (
    CAUSATION_HEADER,
    CAUSATION_SOURCE_HEADER,
    TRACEPARENT,
    Outgoing,
    Record,
    read_envelope,
)
from hub.wire.reasons import Reason
from tests.conftest import CONTRACTS, FORMAL_NOTICE, example

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
CASE = "8f0d1c52-1f5e-4a7e-9d61-1c8b9e2f3a40"
NOWHERE = "127.0.0.1:9"  # never connected to


@pytest_asyncio.fixture
async def adapter(tmp_path: Path, catalogue: Catalogue) -> AsyncIterator[Adapter]:
    school = Adapter(
        "academie", NOWHERE, tmp_path / "etat", ReceivedFolder(tmp_path / "recus"), catalogue
    )
    yield school
    await school.stop()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("example_name", "pointer", "value"),
    [
        ("bad-birth-date", "/child/birth_date", "2016-02-30"),
        ("bad-commune-code", "/address/commune_insee", "8708"),
        ("missing-child", "/child", "Roux"),
    ],
)
async def test_a_payload_its_contract_refuses_is_never_queued(
    adapter: Adapter, example_name: str, pointer: str, value: str
) -> None:
    payload = example(FORMAL_NOTICE, example_name, "invalid")
    with pytest.raises(InvalidNotice) as refused:
        await adapter.send(FORMAL_NOTICE, "dsden", payload)
    assert str(refused.value).startswith(f"{FORMAL_NOTICE}: {pointer}: ")
    assert [r.pointer for r in refused.value.reasons] == [pointer]
    assert value not in str(refused.value)  # rules and pointers, never the institution's data
    assert adapter.unsettled() == 0


def test_invalid_notice_names_each_broken_rule_by_its_pointer() -> None:
    refused = InvalidNotice(
        "c.d", [Reason("schema.min-length", "too short", "/a"), Reason("schema.type", "no")]
    )
    assert str(refused) == "c.d: /a: too short; /: no"
    assert [r.code for r in refused.reasons] == ["schema.min-length", "schema.type"]


@pytest.mark.asyncio
async def test_a_notice_is_a_cloudevents_record_the_hub_reads(
    adapter: Adapter, catalogue: Catalogue
) -> None:
    record = adapter.notice(
        FORMAL_NOTICE,
        "dsden",
        LIMOGES,
        case_id=CASE,
        answers="an-earlier",
        answers_from="/departement/sdas",
    )
    envelope = read_envelope(record.headers)  # the hub's own check of the attributes
    assert record.topic == "hub.in.academie"
    assert record.key == CASE.encode()
    assert json.loads(record.value) == LIMOGES
    assert (envelope.source, envelope.type) == ("/academie/dsden", FORMAL_NOTICE)
    assert envelope.dataschema == catalogue.contracts[FORMAL_NOTICE].latest.schema_id
    assert envelope.causation_id == "an-earlier"
    assert record.headers[CAUSATION_SOURCE_HEADER] == "/departement/sdas"
    assert uuid.UUID(envelope.id).version == 4
    assert TRACEPARENT.match(record.headers["traceparent"])
    assert record.headers["content-type"] == "application/json"
    assert adapter.unsettled() == 0  # built, not queued


@pytest.mark.asyncio
async def test_a_new_notice_gets_its_own_id_key_and_trace(adapter: Adapter) -> None:
    first = adapter.notice(FORMAL_NOTICE, "dsden", LIMOGES)
    second = adapter.notice(FORMAL_NOTICE, "dsden", LIMOGES, notice_id="chosen-id")
    assert CAUSATION_HEADER not in first.headers
    assert CAUSATION_SOURCE_HEADER not in first.headers
    assert second.headers["ce_id"] == "chosen-id"
    assert first.headers["ce_id"] != second.headers["ce_id"]
    assert first.key is not None
    assert second.key is not None
    assert uuid.UUID(first.key.decode()) != uuid.UUID(second.key.decode())
    traces = {r.headers["traceparent"].split("-")[1] for r in (first, second)}
    assert len(traces) == 2


@pytest.mark.asyncio
async def test_an_unknown_contract_is_a_key_error(adapter: Adapter) -> None:
    with pytest.raises(KeyError, match=r"no\.such-contract"):
        adapter.notice("no.such-contract", "dsden", {})


@pytest.mark.asyncio
async def test_send_queues_the_notice_on_disk(adapter: Adapter, tmp_path: Path) -> None:
    notice_id = await adapter.send(FORMAL_NOTICE, "dsden", LIMOGES, case_id=CASE)
    assert adapter.state_of(notice_id) == "pending"
    assert adapter.unsettled() == 1
    [queued] = Outbox(tmp_path / "etat" / "outbox.sqlite").due()  # a second reader of the file
    assert queued.headers["ce_id"] == notice_id
    assert (queued.key, json.loads(queued.value)) == (CASE.encode(), LIMOGES)


@pytest.mark.asyncio
async def test_queue_refuses_a_second_record_with_the_same_id(adapter: Adapter) -> None:
    record = adapter.notice(FORMAL_NOTICE, "dsden", LIMOGES, notice_id="line-1")
    again = adapter.notice(
        FORMAL_NOTICE, "dsden", {**LIMOGES, "sent_on": "2026-11-03"}, notice_id="line-1"
    )
    assert adapter.queue(record) is True
    assert adapter.queue(again) is False
    assert adapter.queue(record) is False
    assert adapter.unsettled() == 1


@pytest.mark.asyncio
async def test_a_fresh_adapter_knows_no_notice(adapter: Adapter) -> None:
    assert adapter.state_of("never-sent") is None
    assert adapter.settlement("never-sent") is None
    assert adapter.unsettled() == 0


@pytest.mark.asyncio
async def test_state_and_settlement_follow_the_hubs_answer(
    adapter: Adapter, tmp_path: Path
) -> None:
    accepted = await adapter.send(FORMAL_NOTICE, "dsden", LIMOGES)
    rejected = await adapter.send(FORMAL_NOTICE, "dsden", LIMOGES)
    assert adapter.settlement(accepted) is None
    outbox = Outbox(tmp_path / "etat" / "outbox.sqlite")  # as the adapter settles on an answer
    outbox.settle(accepted, "accepted", {"case_id": CASE})
    assert (adapter.state_of(accepted), adapter.state_of(rejected)) == ("accepted", "pending")
    assert adapter.unsettled() == 1
    outbox.settle(rejected, "rejected", {"reasons": [{"code": "sender.not-producer"}]})
    settlement = adapter.settlement(rejected)
    assert settlement is not None
    assert (settlement.state, settlement.outcome["reasons"][0]["code"]) == (
        "rejected",
        "sender.not-producer",
    )
    assert adapter.unsettled() == 0
    outbox.close()


class Recorded(Adapter):
    """An adapter that keeps what it was built with."""

    def __init__(self, *args: Any, **options: Any) -> None:
        self.built_with = (args, options)
        super().__init__(*args, **options)


class Keeper:
    async def receive(self, notice: Incoming) -> Handling:
        raise AssertionError(notice)  # never delivered to: the adapter is not started


async def _settled(notice_id: str, state: str, answer: dict[str, Any]) -> None:
    raise AssertionError((notice_id, state, answer))


@pytest.mark.asyncio
async def test_from_settings_wires_broker_state_contracts_and_resending(tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, contracts)
    shutil.rmtree(contracts / "logement.diagnostic")
    settings = FileExchangeSettings(
        kafka_bootstrap=NOWHERE,
        root=tmp_path / "caf",
        contracts_path=contracts,
        resend_after_seconds=7,
        kafka_idempotence=True,
    )
    side = Keeper()
    adapter = Recorded.from_settings("caf", settings, side, on_settled=_settled)
    try:
        assert isinstance(adapter, Recorded)
        args, options = adapter.built_with
        assert args[:4] == ("caf", NOWHERE, tmp_path / "caf" / "etat", side)
        assert "logement.diagnostic" not in args[4].contracts
        assert "logement.saisine-impayes" in args[4].contracts
        assert options == {
            "resend_after": 7.0,
            "idempotence": True,
            "on_settled": _settled,
            "security": None,  # PLAINTEXT
        }
        assert adapter.partner == "caf"
        assert sorted(p.name for p in settings.state.glob("*.sqlite")) == [
            "inbox.sqlite",
            "outbox.sqlite",
        ]
    finally:
        await adapter.stop()


def test_the_state_folder_is_under_the_root(tmp_path: Path) -> None:
    settings = FileExchangeSettings(kafka_bootstrap=NOWHERE, root=tmp_path)
    assert (settings.state, settings.drop, settings.received) == (
        tmp_path / "etat",
        tmp_path / "depot",
        tmp_path / "recus",
    )


Headers = list[tuple[str, bytes]]


def delivery(
    notice_id: str,
    source: str = "/departement/crip",
    contract: str = "ip.retour",
    recipient: str = "academie/dsden",
) -> Headers:
    """The headers of a delivery (to the académie's DSDEN), as the hub writes them."""
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", notice_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", contract.encode()),
        ("ce_time", b"2026-11-23T09:00:00+01:00"),
        ("ce_dataschema", f"https://example.org/{contract}/v1".encode()),
        ("content-type", b"application/json"),
        ("ce_recipient", recipient.encode()),
        ("ce_causationid", b"ip-1"),
        ("ce_causationsource", b"/academie/dsden"),
    ]


def record(
    value: bytes, headers: Headers, key: bytes | None = b"c-1"
) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("hub.out.academie", 0, 7, 0, 0, key, value, None, 0, len(value), headers)


def consumed(value: bytes, headers: Headers) -> KafkaMessage:
    """A record as FastStream hands it to the adapter's handler."""
    return cast("KafkaMessage", SimpleNamespace(raw_message=record(value, headers)))


def _replaced(headers: Headers, name: str, value: bytes | None) -> Headers:
    kept = [(k, v) for k, v in headers if k != name]
    return kept if value is None else [*kept, (name, value)]


RETOUR = b'{"outcome": "Zqx-canari"}'


@pytest.mark.parametrize(
    ("value", "headers", "key", "reason"),
    [
        (b"\xffZqx-canari", delivery("n-1"), b"c", "a header, the key or the value is not UTF-8"),
        (RETOUR, _replaced(delivery("n-1"), "ce_source", b"/\xff"), b"c", "a header, the key"),
        (RETOUR, delivery("n-1"), b"\xff", "a header, the key or the value is not UTF-8"),
        (b"Zqx-canari", delivery("n-1"), b"c", "the value is not JSON"),
        (b"[" * 100_000, delivery("n-1"), b"c", "the value is not JSON"),
        (
            json.dumps("Zqx-canari").encode(),
            delivery("n-1"),
            b"c",
            "the value is not a JSON object",
        ),
        ("{}".encode("utf-16"), delivery("n-1"), b"c", "a header, the key or the value is not"),
        (RETOUR, _replaced(delivery("n-1"), "ce_id", None), b"c", "missing ce_id"),
        (RETOUR, _replaced(delivery("n-1"), "ce_recipient", b""), b"c", "missing ce_recipient"),
        (RETOUR, [], b"c", "missing ce_id, ce_source, ce_type, ce_recipient, ce_dataschema"),
        (
            RETOUR,
            _replaced(delivery("n-1"), "ce_recipient", b"isg/isg"),
            b"c",
            "addressed to another",
        ),
        (b"{}", delivery("a", contract="hub.acceptance"), b"c", "a hub.acceptance not written"),
        (b"{}", delivery("a", contract="hub.deadline-alert"), b"c", "a hub.deadline-alert not"),
        (b"{}", delivery("a", contract="hub.routing-alert"), b"c", "a hub.routing-alert not"),
        (b"{}", delivery("a", "/hub", "hub.acceptance"), b"c", "a hub.acceptance that names no"),
        (
            b'{"accepted": {"id": null}}',
            delivery("a", "/hub", "hub.acceptance"),
            b"c",
            "a hub.acceptance that names no notice",
        ),
        (b'{"refused": []}', delivery("r", "/hub", "hub.rejection"), b"c", "a hub.rejection that"),
    ],
)
def test_an_unreadable_record_is_refused_saying_why_and_quoting_none_of_it(
    value: bytes, headers: Headers, key: bytes, reason: str
) -> None:
    with pytest.raises(UnreadableRecordError) as refused:
        arrival(headers, key, value, "academie")
    assert str(refused.value).startswith(reason)
    assert "canari" not in str(refused.value)
    assert "\\x" not in str(refused.value)


def test_a_delivery_a_receipt_an_alert_and_the_hubs_answers_are_read() -> None:
    notice, headers = arrival(delivery("n-1"), b"c-1", RETOUR, "academie")
    assert notice == Incoming(
        "n-1",
        "ip.retour",
        "/departement/crip",
        "academie/dsden",
        "c-1",
        "https://example.org/ip.retour/v1",
        "ip-1",
        {"outcome": "Zqx-canari"},
        "/academie/dsden",
    )
    assert notice.as_document()["answers_from"] == "/academie/dsden"
    assert headers["ce_causationid"] == "ip-1"
    receipt, _ = arrival(
        delivery("r-1", "/departement/sdas", "hub.receipt"), None, b"{}", "academie"
    )
    assert (receipt.source, receipt.case_id) == ("/departement/sdas", None)  # an office's
    alert, _ = arrival(delivery("a-1", "/hub", "hub.deadline-alert"), b"c", b"{}", "academie")
    assert alert.contract == "hub.deadline-alert"
    accepted = b'{"accepted": {"id": "n-9"}}'
    acceptance, _ = arrival(delivery("a-2", "/hub", "hub.acceptance"), b"c", accepted, "academie")
    assert answered(acceptance) == "n-9"
    unreadable = b'{"refused": {"id": null}, "reasons": []}'
    rejection, _ = arrival(delivery("a-3", "/hub", "hub.rejection"), b"c", unreadable, "academie")
    assert answered(rejection) is None


@pytest.mark.asyncio
async def test_a_record_whose_headers_are_not_utf_8_reaches_the_handler_raw() -> None:
    bad = record(RETOUR, _replaced(delivery("n-1"), "ce_source", b"/\xff"))
    with pytest.raises(UnicodeDecodeError):
        await AioKafkaParser(Message, None).parse_message(bad)
    message = await tolerant_parser(bad, AioKafkaParser(Message, None).parse_message)
    assert message.raw_message is bad
    good = record(RETOUR, delivery("n-1"))
    parsed = await tolerant_parser(good, AioKafkaParser(Message, None).parse_message)
    assert parsed.headers["ce_id"] == "n-1"


@pytest.mark.asyncio
async def test_only_the_hub_settles_a_notice_and_an_unreadable_record_is_counted(
    adapter: Adapter,
) -> None:
    notice_id = await adapter.send(FORMAL_NOTICE, "dsden", LIMOGES)
    accepted = json.dumps({"accepted": {"id": notice_id}, "case_id": CASE}).encode()
    forged = delivery("a-1", "/departement/sdas", "hub.acceptance")
    await adapter._on_record(consumed(accepted, forged))  # noqa: SLF001 - as the broker hands it
    assert (adapter.state_of(notice_id), adapter.skipped()) == ("pending", 1)
    await adapter._on_record(consumed(b"{", delivery("n-2")))  # noqa: SLF001
    assert adapter.skipped() == 2
    genuine = delivery("a-1", "/hub", "hub.acceptance")
    await adapter._on_record(consumed(accepted, genuine))  # noqa: SLF001
    assert (adapter.state_of(notice_id), adapter.skipped()) == ("accepted", 2)


@pytest.mark.asyncio
async def test_a_recall_answers_an_accepted_notice_in_its_case_under_one_id(
    adapter: Adapter, tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    notice_id = await adapter.send(FORMAL_NOTICE, "dsden", LIMOGES)
    with pytest.raises(InvalidNotice, match="sent through this adapter and accepted"):
        await adapter.recall(notice_id, "wrong_person")  # not accepted yet: it may never be
    outbox = Outbox(tmp_path / "etat" / "outbox.sqlite")  # as the adapter settles on an answer
    outbox.settle(notice_id, "accepted", {"case_id": CASE})
    recalled = await adapter.recall(notice_id, "wrong_person")
    assert recalled == recall_id("/academie/dsden", notice_id)
    assert await adapter.recall(notice_id, "duplicate") == recalled  # one recall, queued once
    assert adapter.state_of(recalled) == "pending"
    record = outbox.sent(recalled)
    assert record is not None
    assert (record.key, record.headers["ce_type"]) == (CASE.encode(), RECALL)
    assert record.headers["ce_source"] == "/academie/dsden"
    assert record.headers[CAUSATION_HEADER] == notice_id
    assert record.headers[CAUSATION_SOURCE_HEADER] == "/academie/dsden"  # its own notice
    body = json.loads(record.value)
    assert {k: body[k] for k in ("notice_id", "contract", "reason_code")} == {
        "notice_id": notice_id,
        "contract": FORMAL_NOTICE,
        "reason_code": "wrong_person",
    }
    # The hub's own intake accepts it, against the notice as its ledger holds it.
    origin = Origin(notice_id, "/academie/dsden", FORMAL_NOTICE, CASE, frozenset({"x/y"}))
    raw = Record(
        "hub.in.academie",
        0,
        0,
        record.key,
        record.value,
        tuple((k, v.encode()) for k, v in record.headers.items()),
    )
    verdict = Intake(catalogue, directory).examine(raw, origin_index([origin]))
    assert isinstance(verdict, Admitted)
    outbox.close()


@pytest.mark.asyncio
async def test_a_recall_of_no_notice_of_its_own_or_for_no_reason_is_never_queued(
    adapter: Adapter, tmp_path: Path
) -> None:
    with pytest.raises(InvalidNotice, match="sent through this adapter and accepted"):
        await adapter.recall("never-sent", "sent_in_error")
    notice_id = await adapter.send(FORMAL_NOTICE, "dsden", LIMOGES)
    outbox = Outbox(tmp_path / "etat" / "outbox.sqlite")
    outbox.settle(notice_id, "accepted", {"case_id": CASE})
    with pytest.raises(InvalidNotice, match="/reason_code"):
        await adapter.recall(notice_id, "changed my mind")
    assert adapter.unsettled() == 0
    outbox.close()


RECALLED = {
    "notice_id": "sent-elsewhere",
    "contract": FORMAL_NOTICE,
    "reason_code": "sent_in_error",
    "recalled_at": "2026-11-23T11:05:00+01:00",
}


@pytest.mark.asyncio
async def test_a_recall_built_from_its_payload_answers_its_offices_own_notice_in_its_case(
    adapter: Adapter,
) -> None:
    """As an export or the API gives it: the SDK names the notice, its source, the recall's id."""
    record = adapter.notice(RECALL, "dsden", RECALLED, case_id=CASE)
    assert record.headers[CAUSATION_HEADER] == "sent-elsewhere"
    assert record.headers[CAUSATION_SOURCE_HEADER] == "/academie/dsden"
    assert record.key == CASE.encode()
    assert record.headers["ce_id"] == recall_id("/academie/dsden", "sent-elsewhere")
    chosen = adapter.notice(RECALL, "dsden", RECALLED, case_id=CASE, notice_id="r-9")
    assert (chosen.key, chosen.headers["ce_id"]) == (CASE.encode(), "r-9")
    named = adapter.notice(RECALL, "dsden", RECALLED, case_id=CASE, answers_from="/academie/dsden")
    assert named.headers[CAUSATION_SOURCE_HEADER] == "/academie/dsden"


@pytest.mark.asyncio
async def test_a_recall_without_its_case_or_of_another_offices_notice_is_refused(
    adapter: Adapter,
) -> None:
    with pytest.raises(InvalidNotice) as keyless:  # the hub refuses a keyless recall
        adapter.notice(RECALL, "dsden", RECALLED)
    assert [(r.code, r.pointer) for r in keyless.value.reasons] == [("answer.missing", "key")]
    assert "sent-elsewhere" in str(keyless.value)
    with pytest.raises(InvalidNotice) as foreign:  # only a notice's sender recalls it
        adapter.notice(RECALL, "dsden", RECALLED, case_id=CASE, answers_from="/caf/caf")
    assert [r.code for r in foreign.value.reasons] == ["recall.unknown-notice"]
    assert "/caf/caf" not in str(foreign.value)
    await adapter.send(FORMAL_NOTICE, "dsden", LIMOGES, notice_id="mine")
    with pytest.raises(InvalidNotice, match="sent no notice mine through this adapter"):
        adapter.notice(RECALL, "service-social", {**RECALLED, "notice_id": "mine"})  # dsden's
    assert adapter.unsettled() == 1


@pytest.mark.asyncio
async def test_a_recall_delivered_is_handed_over_once_and_receipted(
    adapter: Adapter, tmp_path: Path
) -> None:
    await adapter._on_record(consumed(RETOUR, delivery("n-1")))  # noqa: SLF001 - as delivered
    recall_of = json.dumps(
        {
            "notice_id": "n-1",
            "contract": "ip.retour",
            "reason_code": "wrong_person",
            "recalled_at": "2026-11-23T11:05:00+01:00",
        }
    ).encode()
    headers = _replaced(delivery("r-1", contract=RECALL), "ce_causationid", b"n-1")
    headers = _replaced(headers, "ce_causationsource", b"/departement/crip")
    for _ in range(2):  # delivered twice: handed over once, answered by one receipt
        await adapter._on_record(consumed(recall_of, headers))  # noqa: SLF001
    name = "departement_crip__n-1__academie_dsden"
    assert not (tmp_path / "recus" / "ip.retour" / f"{name}.json").exists()
    moved = tmp_path / "rappels" / "ip.retour" / f"{name}.json"
    assert json.loads(moved.read_text())["notice_id"] == "n-1"
    note = json.loads(moved.with_name(f"{name}.rappel.json").read_text())
    assert (note["reason_code"], note["recall_id"]) == ("wrong_person", "r-1")
    receipts = [
        r
        for r in Outbox(tmp_path / "etat" / "outbox.sqlite").due()
        if r.headers["ce_type"] == "hub.receipt"
    ]
    assert sorted(r.headers[CAUSATION_HEADER] for r in receipts) == ["n-1", "r-1"]
    assert {r.headers[CAUSATION_SOURCE_HEADER] for r in receipts} == {"/departement/crip"}


IP = "ip.transmission"
SCHOOL, CAF = "/academie/etablissement:0870015U", "/caf/caf"
OTHER_CASE = "0d5c2a3e-3b7f-4c1a-8e9d-2f6a1b4c7d80"


@pytest_asyncio.fixture
async def crip(tmp_path: Path, catalogue: Catalogue) -> AsyncIterator[Adapter]:
    """The département's adapter, its deliveries written as files."""
    departement = Adapter(
        "departement", NOWHERE, tmp_path / "etat", ReceivedFolder(tmp_path / "recus"), catalogue
    )
    yield departement
    await departement.stop()


def _ip(source: str, case: str) -> KafkaMessage:
    """The IP `ip-7` from `source`, in `case`, as the hub delivers it to the CRIP."""
    headers = delivery("ip-7", source, IP, "departement/crip")
    headers = _replaced(_replaced(headers, "ce_causationid", None), "ce_causationsource", None)
    value = json.dumps(example(IP, "college-limoges-bruises")).encode()
    return cast("KafkaMessage", SimpleNamespace(raw_message=record(value, headers, case.encode())))


def _receipts(tmp_path: Path) -> list[Outgoing]:
    outbox = Outbox(tmp_path / "etat" / "outbox.sqlite")
    found = [r for r in outbox.due() if r.headers["ce_type"] == "hub.receipt"]
    outbox.close()
    return found


@pytest.mark.asyncio
async def test_two_senders_notices_under_one_id_are_both_handed_over_and_receipted_apart(
    crip: Adapter, tmp_path: Path
) -> None:
    """The CAF's notice under the id the school uses next does not take the school's place."""
    for _ in range(2):  # each delivered twice: each handed over once, receipted once
        await crip._on_record(_ip(CAF, OTHER_CASE))  # noqa: SLF001 - as the broker hands it
        await crip._on_record(_ip(SCHOOL, CASE))  # noqa: SLF001
    written = sorted(p.name for p in (tmp_path / "recus" / IP).iterdir())
    assert written == [
        "academie_etablissement~3A0870015U__ip-7__departement_crip.json",
        "caf_caf__ip-7__departement_crip.json",
    ]
    receipts = _receipts(tmp_path)
    assert len({r.headers["ce_id"] for r in receipts}) == 2
    assert {
        (r.headers[CAUSATION_SOURCE_HEADER], r.headers[CAUSATION_HEADER], r.key) for r in receipts
    } == {(SCHOOL, "ip-7", CASE.encode()), (CAF, "ip-7", OTHER_CASE.encode())}
    assert {r.headers["ce_id"] for r in receipts} == {
        receipt_id(source, "ip-7", "departement/crip") for source in (SCHOOL, CAF)
    }


@pytest.mark.asyncio
async def test_an_answer_names_the_one_notice_received_under_its_id_and_its_case(
    crip: Adapter,
) -> None:
    await crip._on_record(_ip(SCHOOL, CASE))  # noqa: SLF001 - as the broker hands it
    feedback = crip.notice(
        "ip.retour", "crip", example("ip.retour", "classement-college"), answers="ip-7"
    )
    assert (feedback.headers[CAUSATION_SOURCE_HEADER], feedback.headers[CAUSATION_HEADER]) == (
        SCHOOL,
        "ip-7",
    )
    assert feedback.key == CASE.encode()  # the IP's case, though the application named none


@pytest.mark.asyncio
async def test_an_answer_to_one_of_two_notices_sharing_an_id_must_say_whose(
    crip: Adapter,
) -> None:
    await crip._on_record(_ip(SCHOOL, CASE))  # noqa: SLF001 - as the broker hands it
    await crip._on_record(_ip(CAF, OTHER_CASE))  # noqa: SLF001
    payload = example("ip.retour", "classement-college")
    with pytest.raises(InvalidNotice) as refused:
        crip.notice("ip.retour", "crip", payload, answers="ip-7")
    assert [(r.code, r.pointer) for r in refused.value.reasons] == [
        ("answer.ambiguous", "ce_causationid")
    ]
    assert "answers_from is needed" in str(refused.value)
    assert SCHOOL not in str(refused.value)
    assert CAF not in str(refused.value)
    to_school = crip.notice("ip.retour", "crip", payload, answers="ip-7", answers_from=SCHOOL)
    to_caf = crip.notice("ip.retour", "crip", payload, answers="ip-7", answers_from=CAF)
    assert (to_school.key, to_caf.key) == (CASE.encode(), OTHER_CASE.encode())
    assert to_caf.headers[CAUSATION_SOURCE_HEADER] == CAF
    assert crip.unsettled() == 2


@pytest.mark.asyncio
async def test_an_answer_to_a_notice_it_does_not_hold_is_refused_naming_only_the_id(
    crip: Adapter,
) -> None:
    payload = example("ip.retour", "classement-college")
    with pytest.raises(InvalidNotice) as unknown:
        crip.notice("ip.retour", "crip", payload, answers="ip-404", case_id=CASE)
    assert [r.code for r in unknown.value.reasons] == ["answer.unknown-notice"]
    assert str(unknown.value).startswith("ip.retour: ce_causationid: ")
    assert "ip-404" in str(unknown.value)
    assert CASE not in str(unknown.value)
    with pytest.raises(InvalidNotice) as caseless:  # named, but its case unknown here
        crip.notice("ip.retour", "crip", payload, answers="ip-404", answers_from=SCHOOL)
    assert [(r.code, r.pointer) for r in caseless.value.reasons] == [("answer.missing", "key")]
    assert SCHOOL not in str(caseless.value)
    given = crip.notice(
        "ip.retour", "crip", payload, answers="ip-404", answers_from=SCHOOL, case_id=CASE
    )
    assert (given.key, given.headers[CAUSATION_SOURCE_HEADER]) == (CASE.encode(), SCHOOL)
    with pytest.raises(InvalidNotice) as odd:
        crip.notice("ip.retour", "crip", payload, answers="ip-7", answers_from="caf", case_id=CASE)
    assert [(r.code, r.pointer) for r in odd.value.reasons] == [
        ("envelope.invalid", "ce_causationsource")
    ]
    with pytest.raises(InvalidNotice, match="give its id in answers"):
        crip.notice("ip.retour", "crip", payload, answers_from=SCHOOL, case_id=CASE)
    assert crip.unsettled() == 0


@pytest.mark.asyncio
async def test_an_answer_to_its_own_notice_names_its_own_office_and_the_hubs_case(
    adapter: Adapter, tmp_path: Path
) -> None:
    """The DSDEN's regularisation answers the formal notice the DSDEN itself sent."""
    notice_id = await adapter.send(FORMAL_NOTICE, "dsden", LIMOGES)
    outbox = Outbox(tmp_path / "etat" / "outbox.sqlite")
    outbox.settle(notice_id, "accepted", {"case_id": CASE})
    outbox.close()
    payload = example("instruction.regularisation", "limoges-enrolled")
    record = adapter.notice("instruction.regularisation", "dsden", payload, answers=notice_id)
    assert record.headers[CAUSATION_SOURCE_HEADER] == "/academie/dsden"
    assert record.key == CASE.encode()
    # Another partner's notice under that same id, received since: whose is no longer clear.
    theirs = _replaced(delivery(notice_id, SCHOOL, IP), "ce_causationid", None)
    value = json.dumps(example(IP, "college-limoges-bruises")).encode()
    await adapter._on_record(consumed(value, theirs))  # noqa: SLF001 - as the broker hands it
    with pytest.raises(InvalidNotice, match="answers_from is needed"):
        adapter.notice("instruction.regularisation", "dsden", payload, answers=notice_id)
