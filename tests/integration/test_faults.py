"""Faults the hub survives: the broker restarted empty, the state's disk full, a recipient away.

Each test prints its `faults:` line (see `tests/integration/faults.py`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.sdk.receipts import receipt_id
from hub.catalogue.contracts import Catalogue
from hub.edge.embedded import EmbeddedBroker
from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import hub_process
from tests.integration.faults import (
    LIMOGES_NORD,
    NOT_RECORDED,
    SDAS,
    CountingAdapter,
    Desk,
    TopicWatch,
    accepted,
    announce,
    committed,
    fill,
    notices,
    peak_rss_mib,
    readiness,
    redelivered,
    set_aside,
    stream,
    tally,
    tmpfs,
    until,
)
from tests.integration.plain import PlainKafka

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
OWED = {SDAS, LIMOGES_NORD}


class Partners:
    """The académie (sender) and the département (recipient), each on its adapter and state."""

    def __init__(self, bootstrap: str, folder: Path, catalogue: Catalogue) -> None:
        self.bootstrap, self.folder, self.catalogue = bootstrap, folder, catalogue
        self.school_side, self.social_side = Desk(), Desk()
        self.arrivals: Counter[tuple[str, str]] = Counter()  # of every life of the département
        self.school = self._adapter("academie", self.school_side)
        self.social = self._adapter("departement", self.social_side)
        self._stopped = True

    def _adapter(self, partner: str, side: Desk) -> CountingAdapter:
        return CountingAdapter(
            partner,
            self.bootstrap,
            self.folder / partner,
            side,
            self.catalogue,
            resend_after=5,
            group_id=f"{partner}.adapter",
        )

    async def start(self) -> None:
        self._stopped = False
        await self.school.start()
        await self.social.start()

    async def stop(self) -> None:
        """Stop both; what they kept (outbox, inbox, offsets) is there for their next life."""
        if self._stopped:
            return
        self._stopped = True
        # On a dead broker, the département's consumer waits out its request timeout (40 s).
        async with asyncio.timeout(90):
            await asyncio.gather(self.school.stop(), self.social.stop())
        self.arrivals += self.social.arrivals

    async def restart(self) -> None:
        """A new life of both adapters, on their state as it was left."""
        await self.stop()
        self.school = self._adapter("academie", self.school_side)
        self.social = self._adapter("departement", self.social_side)
        await self.start()

    async def settled(self, ids: list[str], within: float) -> None:
        """Every notice accepted by the hub, and every receipt for it too."""
        async with asyncio.timeout(within):
            for notice_id in ids:
                assert (await self.school.settled(notice_id, within)).state == "accepted"
                for office in OWED:
                    receipt = receipt_id("/academie/dsden", notice_id, office)
                    assert (await self.social.settled(receipt, within)).state == "accepted"


@pytest.mark.asyncio
@pytest.mark.timeout(240)
async def test_the_broker_restarted_empty_loses_no_notice(
    catalogue: Catalogue,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    """Tansu keeps nothing: the outboxes and the hub's redelivery make up for what it lost.

    The broker dies mid-stream, with deliveries not yet read and receipts not yet settled. The
    hub and the adapters are restarted once a new, empty broker listens on the same port, the
    hub first: it creates the topics again. (Adapters that stay up write first, Tansu creates
    the topics itself, and some of its partitions then refuse every write: AlreadyExists.)
    """
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log")
    bootstrap = await asyncio.to_thread(broker.start)
    hub = hub_process(bootstrap, tmp_path, HUB_REDELIVER_AFTER_S="5", HUB_LIFECYCLE_CHECK_S="1")
    hub.start()
    await asyncio.to_thread(hub.wait_ready)
    partners = Partners(bootstrap, tmp_path, catalogue)
    await partners.start()
    count = 1000
    try:
        ids = [await partners.school.send(FORMAL_NOTICE, "dsden", LIMOGES) for _ in range(count)]
        await partners.social_side.wait_for(count // 2, 120)
        broker.stop()  # every topic, record and offset is gone
        await asyncio.gather(partners.stop(), asyncio.to_thread(hub.stop))
        broker = EmbeddedBroker(port=broker.port, log_path=tmp_path / "broker-again.log")
        await asyncio.to_thread(broker.start)
        hub.start()
        await asyncio.to_thread(hub.wait_ready)
        await partners.restart()
        await partners.social_side.wait_for(2 * count, 180)
        await partners.settled(ids, 180)
    finally:
        await partners.stop()
        await asyncio.to_thread(hub.stop)
        broker.stop()
    owed = dict.fromkeys(ids, OWED)
    found = tally("broker restarted empty", owed, partners.arrivals.elements())
    announce(found, capsys, record_property)
    assert Counter(partners.social_side.handed) == Counter(set(partners.arrivals))  # each once
    assert redelivered(hub.ledger) > 0  # what the broker lost, the hub sent again


@pytest.mark.timeout(240)
def test_a_full_disk_stops_the_intake_until_space_returns(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    """The state cannot record: the intake holds its offsets, says why, and resumes after."""
    count = 3000
    owed, records = notices(count)
    with (
        EmbeddedBroker(log_path=tmp_path / "broker.log") as bootstrap,
        tmpfs(tmp_path / "disk", "64m") as disk,
    ):
        state = disk / "state.sqlite"
        hub = hub_process(
            bootstrap, tmp_path, HUB_STATE_URL=f"sqlite:///{state}", HUB_RETRY_BACKOFF_MAX_S="2"
        )
        hub.start()
        watch: TopicWatch | None = None
        try:
            hub.wait_ready()
            watch = TopicWatch(bootstrap, "hub.out.departement")
            sender = stream(PlainKafka(bootstrap), records, 100, 0.2)
            watch.wait_for_distinct(count // 3, timeout=60)
            filler = fill(disk)  # while the notices flow
            hub.wait_for_log(b"failed (OperationalError); will retry", timeout=60)
            status, body = readiness(hub.http_url)
            assert (status, body["problems"]) == (503, [NOT_RECORDED])
            failures = hub.log.read_bytes().count(b"failed (OperationalError)")
            hub.wait_for_log(b"failed (OperationalError)", count=failures + 2, timeout=60)
            # The intake holds on: it acknowledges no record it has not recorded, and a small
            # commit that still fits now and then does not get the stream through.
            offsets = sum(max(offset, 0) for offset in committed(bootstrap, hub.group))
            assert offsets <= accepted(state)[0] < count
            filler.unlink()  # space returns
            sender.join(60)
            received = watch.wait_for_distinct(2 * count, timeout=120)
            until(lambda: readiness(hub.http_url)[0] == 200, 30, "the hub ready again")
            until(lambda: accepted(state)[1] >= count, 60, "every notice recorded")
            assert accepted(state) == (count, count)  # each accepted once
            aside = set_aside(state)
            assert hub.stop() == 0
        finally:
            if watch is not None:
                watch.close()
            if hub.process is not None and hub.process.poll() is None:
                hub.kill()  # a failed test: the hub holds files on the tmpfs
    # A notice set aside was refused to its sender (hub.internal) and accepted later: see
    # tests/edge/test_kafka.py, test_a_notice_the_state_cannot_record_is_never_set_aside.
    note = f"{aside} set aside while the disk was full" if aside else ""
    announce(tally("state disk full", owed, received, note), capsys, record_property)


@pytest.mark.asyncio
# The bound holds the test's own waits (120 + 120 + 300 s) and the hub's start and stop: alone
# it takes about two minutes, under `make test`'s four workers on two cores about twice that.
@pytest.mark.timeout(600)
async def test_a_recipient_away_for_a_while_costs_the_hub_no_memory_and_no_notice(
    catalogue: Catalogue,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    """The département stops reading while thousands of notices flow, then reads them all.

    Meanwhile the hub redelivers every delivery still without its receipt: its memory must
    not grow with what a recipient has not read.
    """
    before, during = 500, 3000
    with EmbeddedBroker(log_path=tmp_path / "broker.log") as bootstrap:
        hub = hub_process(
            bootstrap, tmp_path, HUB_REDELIVER_AFTER_S="10", HUB_LIFECYCLE_CHECK_S="1"
        )
        hub.start()
        await asyncio.to_thread(hub.wait_ready)
        assert hub.process is not None
        plain = PlainKafka(bootstrap)
        side, arrivals = Desk(), Counter[tuple[str, str]]()

        def departement() -> CountingAdapter:
            return CountingAdapter(
                "departement",
                bootstrap,
                tmp_path / "departement",
                side,
                catalogue,
                group_id="departement.adapter",
            )

        owed, records = notices(before + during)
        social = departement()
        await social.start()
        try:
            await asyncio.to_thread(plain.send_many, records[:before])
            await side.wait_for(2 * before, 120)
        finally:
            await social.stop()  # the département stops reading
        arrivals += social.arrivals
        await asyncio.to_thread(plain.send_many, records[before:])
        # Until the hub has sent again about as many deliveries as it made meanwhile.
        await asyncio.to_thread(
            until, lambda: redelivered(hub.ledger) >= 2 * during, 120, "redeliveries"
        )
        social = departement()  # it reads again, from where it stopped
        await social.start()
        try:
            # Every delivery, the redeliveries' copies among them: the slowest phase on a
            # loaded machine (the hub takes the receipts while it still sends again).
            await side.wait_for(2 * (before + during), 300)
        finally:
            await social.stop()
        arrivals += social.arrivals
        peak = peak_rss_mib(hub.process.pid)
        assert hub.stop() == 0
    found = tally("recipient away", owed, arrivals.elements(), f"hub peak RSS {peak:.0f} MiB")
    announce(found, capsys, record_property)
    assert Counter(side.handed) == Counter(set(arrivals))  # each handed over once
    assert peak < 300, f"the hub's peak RSS was {peak:.0f} MiB"
