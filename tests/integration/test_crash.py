"""Killing the hub (SIGKILL) in the middle of a stream, or its ledger failing, loses no notice."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.edge.embedded import EmbeddedBroker
from tests.integration.conftest import hub_process
from tests.integration.faults import (
    NOT_RECORDED,
    TopicWatch,
    accepted,
    announce,
    notices,
    readiness,
    stream,
    tally,
    until,
)
from tests.integration.plain import PlainKafka

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

STREAM = 5000
KILLS = 5
# The sender's pace: the stream lasts about as long as the five restarts (~20 s each: the
# group waits for the killed member's session to expire before it assigns the partitions).
CHUNK, PACE_S = 100, 1.0


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[str]:
    """A broker of its own: this test's hubs must not see other tests' records."""
    with EmbeddedBroker(log_path=tmp_path / "broker.log") as bootstrap:
        yield bootstrap


@pytest.mark.timeout(240)
def test_five_sigkills_mid_stream_lose_no_notice(
    own_broker: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    plain = PlainKafka(own_broker)
    hub = hub_process(own_broker, tmp_path)
    hub.start()
    hub.wait_ready()
    owed, records = notices(STREAM)
    watch = TopicWatch(own_broker, "hub.out.departement")
    sender = stream(plain, records, CHUNK, PACE_S)  # it flows while the hub dies and comes back
    owed_deliveries = sum(len(offices) for offices in owed.values())
    try:
        for kill in range(1, KILLS + 1):
            watch.wait_for_distinct(kill * owed_deliveries // (KILLS + 1), timeout=120)
            hub.kill()
            assert watch.distinct() < owed_deliveries, f"the hub had finished before kill {kill}"
            hub.start()
            hub.wait_ready()
        sender.join(120)
        assert not sender.is_alive(), "the stream was not sent in time"
        received = watch.wait_for_distinct(owed_deliveries, timeout=180)
    finally:
        watch.close()
    assert hub.lives == KILLS + 1
    announce(tally(f"sigkill x{KILLS}", owed, received), capsys, record_property)
    # The last life may still be recording what an earlier one delivered.
    until(lambda: accepted(hub.ledger)[1] >= STREAM, 120, "every notice recorded")
    assert accepted(hub.ledger) == (STREAM, STREAM)  # each accepted once, however often read
    assert hub.stop() == 0


@pytest.mark.timeout(300)
@pytest.mark.parametrize("then", ["back", "sigkill"])
def test_a_ledger_outage_loses_no_notice(
    then: str,
    own_broker: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    """Batches that fail are not acknowledged; readiness names the outage while it lasts.

    The ledger is locked by another writer, then released (the hub goes on by itself) or the
    hub is killed during the outage. An acknowledge-first policy fails this test: a failed
    batch is never read again, and the consumer commits what it read while the ledger refused
    it.
    """
    plain = PlainKafka(own_broker)
    hub = hub_process(own_broker, tmp_path)
    hub.start()
    hub.wait_ready()
    owed, records = notices(50)
    watch = TopicWatch(own_broker, "hub.out.departement")
    lock = sqlite3.connect(hub.ledger, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # the ledger is unavailable for writing
    try:
        plain.send_many(records)
        # Two failed attempts take longer than the consumer's auto-commit interval (5 s).
        hub.wait_for_log(b"failed (OperationalError); will retry", count=2, timeout=120)
        status, body = readiness(hub.http_url)
        assert status == 503, body
        assert body["problems"] == [NOT_RECORDED]
        if then == "sigkill":
            hub.kill()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    if then == "sigkill":
        hub.start()
        hub.wait_ready()
    try:
        received = watch.wait_for_distinct(2 * len(owed), timeout=120)
    finally:
        watch.close()
    announce(tally(f"ledger outage, then {then}", owed, received), capsys, record_property)
    until(lambda: readiness(hub.http_url)[0] == 200, 30, "the hub ready again")
    assert hub.stop() == 0
