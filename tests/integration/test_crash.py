"""Killing the hub (SIGKILL) in the middle of a stream loses no notice."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.edge.embedded import EmbeddedBroker
from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import hub_process
from tests.integration.plain import Headers, PlainKafka, Received, notice_headers

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

STREAM = 1000
KILL_AFTER = 150  # deliveries seen before the kill: the hub is mid-stream
PAYLOADS = [
    json.dumps(example(FORMAL_NOTICE, name)).encode()
    for name in ("limoges-no-known-school", "saint-junien-minimal")
]


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[str]:
    """A broker of its own: this test's hubs must not see other tests' records."""
    with EmbeddedBroker(log_path=tmp_path / "broker.log") as bootstrap:
        yield bootstrap


@pytest.mark.timeout(300)
def test_sigkill_mid_stream_loses_no_notice(own_broker: str, tmp_path: Path) -> None:
    plain = PlainKafka(own_broker)
    hub = hub_process(own_broker, tmp_path)
    hub.start()
    hub.wait_ready()
    ids = [str(uuid.uuid4()) for _ in range(STREAM)]
    records = [
        ("hub.in.academie", PAYLOADS[i % 2], notice_headers(notice_id), str(uuid.uuid4()).encode())
        for i, notice_id in enumerate(ids)
    ]
    # The stream keeps flowing while the hub dies and comes back.
    sender = threading.Thread(target=_stream, args=(plain, records), daemon=True)
    sender.start()

    plain.read("hub.out.departement", lambda got: len(got) >= KILL_AFTER)
    hub.kill()
    first_life = len(plain.read("hub.out.departement", lambda _: True, timeout=10))
    assert first_life < 2 * STREAM, "the hub had finished before it was killed"
    hub.start()
    hub.wait_ready()
    sender.join(120)

    delivered = plain.read("hub.out.departement", lambda got: _served(got) >= set(ids), timeout=180)
    assert _served(delivered) == set(ids)
    with sqlite3.connect(hub.ledger) as db:
        accepted = db.execute(
            "SELECT COUNT(DISTINCT notice_id), COUNT(*) FROM entries WHERE kind = 'accepted'"
        ).fetchone()
    assert accepted == (STREAM, STREAM)  # each notice accepted once, however often it was read
    assert hub.stop() == 0


def _stream(plain: PlainKafka, records: list[tuple[str, bytes, Headers, bytes]]) -> None:
    for start in range(0, len(records), 50):
        plain.send_many(records[start : start + 50])


def _served(records: list[Received]) -> set[str]:
    """Notice ids that reached both the SDAS and an MDD."""
    seen: dict[str, set[str]] = {}
    for r in records:
        office = r.headers["ce_recipient"]
        seen.setdefault(r.headers["ce_id"], set()).add(office.split(":", 1)[0])
    return {i for i, found in seen.items() if found == {"departement/sdas", "departement/mdd"}}


@pytest.mark.timeout(300)
def test_a_ledger_outage_then_a_kill_loses_no_notice(own_broker: str, tmp_path: Path) -> None:
    """Batches that fail are not acknowledged: killed during the outage, the hub loses nothing.

    An acknowledge-first policy fails this test: a failed batch is never read again, and the
    consumer commits what it read while the ledger refused it.
    """
    plain = PlainKafka(own_broker)
    hub = hub_process(own_broker, tmp_path)
    hub.start()
    hub.wait_ready()
    ids = [str(uuid.uuid4()) for _ in range(50)]
    lock = sqlite3.connect(hub.ledger, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # the ledger is unavailable for writing
    try:
        plain.send_many(
            [
                ("hub.in.academie", PAYLOADS[0], notice_headers(i), str(uuid.uuid4()).encode())
                for i in ids
            ]
        )
        # Two failed attempts take longer than the consumer's auto-commit interval (5 s).
        hub.wait_for_log(b"failed (OperationalError); will retry", count=2, timeout=120)
        hub.kill()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    hub.start()
    hub.wait_ready()
    delivered = plain.read("hub.out.departement", lambda got: _served(got) >= set(ids), timeout=120)
    assert _served(delivered) == set(ids)
    assert hub.stop() == 0
