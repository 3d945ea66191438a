"""The adapter SDK against the real broker and the hub running as a process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from adapters.sdk import Adapter, Handling, Incoming, InvalidNotice
from adapters.sdk.receipts import receipt_id
from hub.catalogue.contracts import Catalogue
from hub.edge.embedded import EmbeddedBroker
from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess, hub_process
from tests.integration.plain import Headers, PlainKafka, notice_headers

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio(loop_scope="module")]
LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
WAIT_S = 60.0
MDD = "departement/mdd:87-limoges-nord"


class Recorder:
    """An institution side that keeps what it is handed (the adapters' own use real HTTP)."""

    def __init__(self, refuse: str | None = None) -> None:
        self.received: list[Incoming] = []
        self._refuse = refuse
        self._changed = asyncio.Condition()

    async def receive(self, notice: Incoming) -> Handling:
        async with self._changed:
            self.received.append(notice)
            self._changed.notify_all()
        return Handling("refused", self._refuse) if self._refuse else Handling("processed")

    async def wait_for(self, count: int, notice_id: str | None = None) -> list[Incoming]:
        """Wait for `count` notices (about `notice_id`, answering it or being it, if given)."""

        def mine() -> list[Incoming]:
            return [n for n in self.received if notice_id in (None, n.notice_id, n.answers)]

        async with asyncio.timeout(WAIT_S), self._changed:
            await self._changed.wait_for(lambda: len(mine()) >= count)
        return mine()


def _adapter(
    partner: str, bootstrap: str, state: Path, side: Recorder, catalogue: Catalogue
) -> Adapter:
    group = f"adapter-{partner}-{uuid.uuid4().hex[:6]}"
    return Adapter(partner, bootstrap, state, side, catalogue, resend_after=2, group_id=group)


Pair = tuple[Adapter, Recorder, Adapter, Recorder]


@contextlib.asynccontextmanager
async def started_pair(bootstrap: str, state: Path, catalogue: Catalogue) -> AsyncIterator[Pair]:
    """An académie and a département adapter, each with its institution side, for the block."""
    academie, departement = Recorder(), Recorder()
    school = _adapter("academie", bootstrap, state / "a", academie, catalogue)
    social = _adapter("departement", bootstrap, state / "d", departement, catalogue)
    await school.start()
    await social.start()
    try:
        yield school, academie, social, departement
    finally:
        await school.stop()
        await social.stop()


async def handed_over_once(
    social: Adapter, side: Recorder, deliveries: list[tuple[str, str]]
) -> None:
    """Every receipt settled at the hub, and each delivery reached the institution once."""
    for notice_id, office in deliveries:
        receipt = receipt_id("/academie/dsden", notice_id, office)
        assert (await social.settled(receipt, 120)).state == "accepted"
    # The hub's own notices (a formal notice this old also gets its deadline alert) apart.
    handed = sorted(
        (n.notice_id, n.recipient) for n in side.received if not n.contract.startswith("hub.")
    )
    assert handed == sorted(deliveries)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pair(
    own_hub: HubProcess, catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pair]:
    async with started_pair(
        own_hub.bootstrap, tmp_path_factory.mktemp("adapters"), catalogue
    ) as started:
        yield started


async def test_a_notice_is_accepted_delivered_once_and_acknowledged_back(
    pair: tuple[Adapter, Recorder, Adapter, Recorder],
) -> None:
    school, academie, _, departement = pair
    notice_id = await school.send(FORMAL_NOTICE, "dsden", LIMOGES)
    settlement = await school.settled(notice_id, WAIT_S)
    assert settlement.state == "accepted"
    assert settlement.outcome["delivered_to"] == [
        "departement/mdd:87-limoges-nord",
        "departement/sdas",
    ]
    received = await departement.wait_for(2, notice_id)
    assert sorted(n.recipient for n in received) == [
        "departement/mdd:87-limoges-nord",
        "departement/sdas",
    ]
    receipts = await academie.wait_for(2, notice_id)
    assert {(r.contract, r.answers, r.payload["status"]) for r in receipts} == {
        ("hub.receipt", notice_id, "processed")
    }
    assert {r.recipient for r in receipts} == {"academie/dsden"}
    assert school.unsettled() == 0


async def test_an_invalid_payload_is_refused_before_it_is_queued(
    pair: tuple[Adapter, Recorder, Adapter, Recorder],
) -> None:
    school = pair[0]
    with pytest.raises(InvalidNotice, match="/child/birth_date: not a valid date"):
        await school.send(
            FORMAL_NOTICE,
            "dsden",
            {**LIMOGES, "child": {**LIMOGES["child"], "birth_date": "2015-02-30"}},
        )
    assert school.unsettled() == 0


async def test_a_rejection_settles_the_notice(
    pair: tuple[Adapter, Recorder, Adapter, Recorder],
) -> None:
    school = pair[0]
    # The school social service is not a producer of formal notices: the hub refuses it.
    notice_id = await school.send(FORMAL_NOTICE, "service-social", LIMOGES)
    settlement = await school.settled(notice_id, WAIT_S)
    assert settlement.state == "rejected"
    assert [r["code"] for r in settlement.outcome["reasons"]] == ["sender.not-producer"]


@pytest.mark.timeout(240)
async def test_notices_queued_while_the_hub_is_down_arrive_once_it_is_back(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    with EmbeddedBroker(log_path=tmp_path / "broker.log") as bootstrap:
        hub = hub_process(bootstrap, tmp_path)
        hub.start()
        await asyncio.to_thread(hub.wait_ready)
        try:
            async with started_pair(bootstrap, tmp_path, catalogue) as (school, _, social, side):
                await asyncio.to_thread(hub.stop)
                ids = [await school.send(FORMAL_NOTICE, "dsden", LIMOGES) for _ in range(5)]
                assert school.unsettled() == 5
                hub.start()
                for notice_id in ids:
                    assert (await school.settled(notice_id, WAIT_S)).state == "accepted"
                # Each once, though resent while the hub was away.
                deliveries = [(i, o) for i in ids for o in ("departement/sdas", MDD)]
                await handed_over_once(social, side, deliveries)
        finally:
            await asyncio.to_thread(hub.stop)


@pytest.mark.timeout(300)
async def test_notices_queued_while_the_broker_is_down_arrive_once_it_is_back(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    """The embedded broker keeps nothing across a restart: the outboxes make up for it."""
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log")
    bootstrap = await asyncio.to_thread(broker.start)
    hub = hub_process(bootstrap, tmp_path)
    hub.start()
    await asyncio.to_thread(hub.wait_ready)
    try:
        async with started_pair(bootstrap, tmp_path, catalogue) as (school, _, social, side):
            before = await school.send(FORMAL_NOTICE, "dsden", LIMOGES)
            assert (await school.settled(before, WAIT_S)).state == "accepted"
            await side.wait_for(2)
            broker.stop()  # every topic, record and offset is gone
            after = [await school.send(FORMAL_NOTICE, "dsden", LIMOGES) for _ in range(3)]
            await asyncio.to_thread(hub.stop)
            broker = EmbeddedBroker(port=broker.port, log_path=tmp_path / "broker-again.log")
            await asyncio.to_thread(broker.start)
            hub.start()  # it creates the topics again; its ledger remembers what it accepted
            for notice_id in after:
                assert (await school.settled(notice_id, 120)).state == "accepted"
            deliveries = [(i, o) for i in [before, *after] for o in ("departement/sdas", MDD)]
            await handed_over_once(social, side, deliveries)
    finally:
        await asyncio.to_thread(hub.stop)
        broker.stop()


CANARY = "Zqx5e1f-unreadable-canari"


def _delivery(
    notice_id: str,
    source: str = "/departement/crip",
    contract: str = "ip.retour",
    answers: str | None = None,
    answers_from: str | None = None,
) -> Headers:
    """The headers of a delivery to the ISG's office, as the hub writes them."""
    headers = notice_headers(
        notice_id, source, contract, answers=answers, answers_from=answers_from
    )
    return [*headers, ("ce_recipient", b"isg/isg")]


def _unreadable() -> list[tuple[Headers, bytes]]:
    """Records no adapter can take: each must be skipped, counted, and never read again."""
    retour = json.dumps({"outcome": CANARY}).encode()
    return [
        (_delivery("not-json"), b"\xff" + CANARY.encode()),
        (_delivery("not-an-object"), json.dumps([CANARY]).encode()),
        (_delivery("too-deep"), b"[" * 100_000),
        ([("ce_type", b"ip.retour"), ("ce_id", b"no-source")], retour),
        (
            [
                (k, b"/departement/\xff\xfe" if k == "ce_source" else v)
                for k, v in _delivery("bytes")
            ],
            retour,
        ),
        (_delivery("forged", "/departement/crip", "hub.acceptance"), b'{"accepted": {"id": "x"}}'),
        (_delivery("forged-alert", "/departement/crip", "hub.deadline-alert"), retour),
        (_delivery("shapeless", "/hub", "hub.acceptance"), b"{}"),
        ([*_delivery("elsewhere")[:-1], ("ce_recipient", b"academie/dsden")], retour),
    ]


@pytest.mark.timeout(90)
async def test_unreadable_records_are_skipped_and_counted_and_what_follows_is_handed_over(
    own_hub: HubProcess, catalogue: Catalogue, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    side = Recorder()
    isg = _adapter("isg", own_hub.bootstrap, tmp_path, side, catalogue)
    bad = _unreadable()
    retour = example("ip.retour", "saisine-judiciaire-isg")
    alert = {"notice_id": "n-0", "case_id": "c-0", "deadline": "2026-12-01"}
    records = [("hub.out.isg", value, headers, b"one-case") for headers, value in bad]
    records += [
        (
            "hub.out.isg",
            json.dumps(alert).encode(),
            _delivery("alert", "/hub", "hub.deadline-alert"),
            b"one-case",
        ),
        (
            "hub.out.isg",
            json.dumps(retour).encode(),
            _delivery("retour", answers="ip-1", answers_from="/isg/isg"),
            b"one-case",
        ),
    ]
    await asyncio.to_thread(PlainKafka(own_hub.bootstrap).send_many, records)
    with caplog.at_level("INFO", logger="adapter"):
        await isg.start()
        try:
            async with asyncio.timeout(30):  # the same partition: the bad ones were read first
                handed = await side.wait_for(2)
        finally:
            await isg.stop()
    assert [(n.notice_id, n.contract, n.source) for n in handed] == [
        ("alert", "hub.deadline-alert", "/hub"),
        ("retour", "ip.retour", "/departement/crip"),
    ]
    assert handed[1].payload == retour
    assert isg.skipped() == len(bad)
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == len(bad)
    assert skipped[0].startswith("skipped the record at hub.out.isg/")
    assert CANARY not in caplog.text
