"""The SDK's `Adapter` without a broker: building, checking, queueing and reading notices.

An adapter that is never started needs no broker: everything here happens before sending.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from adapters.sdk import (
    Adapter,
    FileExchangeSettings,
    Handling,
    Incoming,
    InvalidNotice,
    ReceivedFolder,
)
from adapters.sdk.outbox import Outbox
from hub.catalogue.contracts import Catalogue
from hub.wire.envelope import CAUSATION_HEADER, TRACEPARENT, read_envelope
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
    record = adapter.notice(FORMAL_NOTICE, "dsden", LIMOGES, case_id=CASE, answers="an-earlier")
    envelope = read_envelope(record.headers)  # the hub's own check of the attributes
    assert record.topic == "hub.in.academie"
    assert record.key == CASE.encode()
    assert json.loads(record.value) == LIMOGES
    assert (envelope.source, envelope.type) == ("/academie/dsden", FORMAL_NOTICE)
    assert envelope.dataschema == catalogue.contracts[FORMAL_NOTICE].latest.schema_id
    assert envelope.causation_id == "an-earlier"
    assert uuid.UUID(envelope.id).version == 4
    assert TRACEPARENT.match(record.headers["traceparent"])
    assert record.headers["content-type"] == "application/json"
    assert adapter.unsettled() == 0  # built, not queued


@pytest.mark.asyncio
async def test_a_new_notice_gets_its_own_id_key_and_trace(adapter: Adapter) -> None:
    first = adapter.notice(FORMAL_NOTICE, "dsden", LIMOGES)
    second = adapter.notice(FORMAL_NOTICE, "dsden", LIMOGES, notice_id="chosen-id")
    assert CAUSATION_HEADER not in first.headers
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
        assert options == {"resend_after": 7.0, "idempotence": True, "on_settled": _settled}
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
