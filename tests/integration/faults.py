"""What the fault tests share: a tally of deliveries, its one printed line, a topic watched live.

A fault test sends notices, hurts the hub or what it stands on, and checks that every notice
reaches every office it is addressed to exactly once after deduplication (by `ce_id` +
`ce_recipient`). It prints one line, `faults: <fault>: sent N, lost L, repeated R`:
- sent: notices sent;
- lost: notices that did not reach every office they are addressed to (must be 0);
- repeated: deliveries (a notice to an office) received more than once, before deduplication.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from adapters.sdk import Adapter, Handling, Incoming
from tests.conftest import FORMAL_NOTICE, example
from tests.integration.plain import Headers, PlainKafka, notice_headers

Delivery = tuple[str, str]  # (ce_id, ce_recipient)
SDAS = "departement/sdas"
LIMOGES_NORD = "departement/mdd:87-limoges-nord"
SAINT_JUNIEN = "departement/mdd:87-saint-junien"
PAYLOADS = [
    json.dumps(example(FORMAL_NOTICE, name)).encode()
    for name in ("limoges-no-known-school", "saint-junien-minimal")
]
OFFICES = [{SDAS, LIMOGES_NORD}, {SDAS, SAINT_JUNIEN}]  # whom each payload is addressed to
# What `/readyz` says while the state cannot record a batch.
NOT_RECORDED = (
    "the last batch could not be recorded (sqlite3.OperationalError); it will be read again"
)
Records = list[tuple[str, bytes, Headers, bytes]]


def notices(count: int) -> tuple[dict[str, set[str]], Records]:
    """`count` formal notices from the académie: the offices each is owed to, the records."""
    owed: dict[str, set[str]] = {}
    records: Records = []
    for i in range(count):
        notice_id = str(uuid.uuid4())
        owed[notice_id] = OFFICES[i % 2]
        key = str(uuid.uuid4()).encode()
        records.append(("hub.in.academie", PAYLOADS[i % 2], notice_headers(notice_id), key))
    return owed, records


def stream(plain: PlainKafka, records: Records, chunk: int, pace_s: float) -> threading.Thread:
    """Send `records` in chunks, one every `pace_s` seconds, from a thread; returns it."""

    def send() -> None:
        for start in range(0, len(records), chunk):
            plain.send_many(records[start : start + chunk])
            time.sleep(pace_s)  # a steady stream, not one burst

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    return sender


@dataclass(frozen=True, slots=True)
class Tally:
    """What a fault test sent, lost and received twice; `unexpected`: deliveries never owed."""

    fault: str
    sent: int
    lost: int
    repeated: int
    unexpected: int
    note: str = ""

    def line(self) -> str:
        line = f"faults: {self.fault}: sent {self.sent}, lost {self.lost}, repeated {self.repeated}"
        return f"{line} ({self.note})" if self.note else line


def tally(
    fault: str, owed: Mapping[str, set[str]], received: Iterable[Delivery], note: str = ""
) -> Tally:
    """Compare what each notice owes (its offices) with what arrived, copies included."""
    copies = Counter(received)
    arrived: dict[str, set[str]] = {}
    for notice_id, office in copies:
        arrived.setdefault(notice_id, set()).add(office)
    lost = sum(
        1 for notice_id, offices in owed.items() if not offices <= arrived.get(notice_id, set())
    )
    unexpected = sum(1 for notice_id, office in copies if office not in owed.get(notice_id, set()))
    repeated = sum(1 for count in copies.values() if count > 1)
    return Tally(fault, len(owed), lost, repeated, unexpected, note)


def announce(
    found: Tally,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    """Print the tally's line where `make test` shows it, then hold the test to it.

    Under pytest-xdist a worker's stdout goes nowhere and its terminal reporter is not the
    one shown; its stderr is the terminal's. So the line is written to stderr with capture
    suspended (without xdist too), and kept as a property of the test for JUnit reports.
    """
    record_property("faults", found.line())
    with capsys.disabled():
        sys.stderr.write(f"\n{found.line()}\n")
        sys.stderr.flush()
    assert found.lost == 0, found
    assert found.unexpected == 0, found


class TopicWatch:
    """Every delivery of a notice to a topic, read from its start by a plain client, as it comes."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"watch-{uuid.uuid4()}",
                "enable.auto.commit": False,
            }
        )
        partitions = self._consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self._consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        self._copies: Counter[Delivery] = Counter()
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            messages = self._consumer.consume(500, 0.2)
            deliveries = []
            for message in messages:
                if message.error():
                    continue
                raw = message.headers() or []
                pairs = list(raw.items()) if isinstance(raw, dict) else raw
                headers = {k: v if isinstance(v, str) else (v or b"").decode() for k, v in pairs}
                if not headers["ce_type"].startswith("hub."):  # not the hub's own (alerts)
                    deliveries.append((headers["ce_id"], headers["ce_recipient"]))
            with self._changed:
                self._copies.update(deliveries)
                self._changed.notify_all()

    def received(self) -> list[Delivery]:
        """Every delivery read so far, copies included."""
        with self._changed:
            return list(self._copies.elements())

    def distinct(self) -> int:
        """How many different deliveries were read so far."""
        with self._changed:
            return len(self._copies)

    def wait_for_distinct(self, count: int, timeout: float) -> list[Delivery]:
        """Wait until `count` different deliveries were read; fails after `timeout` seconds."""
        with self._changed:
            ok = self._changed.wait_for(lambda: len(self._copies) >= count, timeout)
            assert ok, f"gave up after {len(self._copies)} of {count} deliveries"
            return list(self._copies.elements())

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._consumer.close()


class Desk:
    """An institution side that keeps the notices it is handed (the hub's own alerts apart)."""

    def __init__(self) -> None:
        self.handed: list[Delivery] = []
        self._changed = asyncio.Condition()

    async def receive(self, notice: Incoming) -> Handling:
        if not notice.contract.startswith("hub."):
            async with self._changed:
                self.handed.append((notice.notice_id, notice.recipient))
                self._changed.notify_all()
        return Handling("processed")

    async def wait_for(self, count: int, within: float) -> None:
        """Wait until `count` notices were handed over; fails after `within` seconds."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.handed) >= count)


class CountingAdapter(Adapter):
    """An adapter that also counts every delivery it reads, before its inbox drops copies."""

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self.arrivals: Counter[Delivery] = Counter()

    async def _deliver(self, notice: Incoming, headers: dict[str, str]) -> None:
        if not notice.contract.startswith("hub."):
            self.arrivals[notice.notice_id, notice.recipient] += 1
        await super()._deliver(notice, headers)


def readiness(http_url: str) -> tuple[int, dict[str, Any]]:
    """The hub's `GET /readyz`: its status and body."""
    host, port = http_url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", "/readyz")
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` (a process or a file changes on its own schedule) for `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.2)


def committed(bootstrap: str, group: str, topic: str = "hub.in.academie") -> list[int]:
    """The offsets a consumer group has committed on a topic's partitions (-1001: none)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        found = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        return [tp.offset for tp in sorted(found, key=lambda tp: tp.partition)]
    finally:
        consumer.close()


def accepted(ledger: Path) -> tuple[int, int]:
    """Notices accepted in a hub's ledger: how many different ones, how many entries."""
    with contextlib.closing(sqlite3.connect(ledger)) as db:
        found = db.execute(
            "SELECT COUNT(DISTINCT notice_id), COUNT(*) FROM entries WHERE kind = 'accepted'"
        ).fetchone()
    return int(found[0]), int(found[1])


def redelivered(ledger: Path) -> int:
    """How many deliveries a hub's ledger records as sent again."""
    with contextlib.closing(sqlite3.connect(ledger)) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM entries WHERE kind = 'redelivered'").fetchone()
    return int(count)


def set_aside(ledger: Path) -> int:
    """How many records a hub's ledger records as set aside (quarantined)."""
    with contextlib.closing(sqlite3.connect(ledger)) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM entries WHERE kind = 'quarantined'").fetchone()
    return int(count)


def peak_rss_mib(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted on `folder` for the block (unmounted after, whatever happens).

    Mounting needs root (or CAP_SYS_ADMIN): where it is refused, the test fails and says so.
    """
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        refused = mounted.stderr.strip() if mounted.returncode else ""
    except OSError as error:  # no mount command
        refused = str(error)
    if refused:
        pytest.fail(
            f"this test needs a small tmpfs and could not mount one on {folder} "
            f"(run it as root or with CAP_SYS_ADMIN): {refused}"
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Write a file in `folder` until its file system has no byte left; returns the file."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (b"\0" * (1 << 20), b"\0" * (1 << 12)):
            with contextlib.suppress(OSError):  # no space left: try a smaller chunk
                while out.write(chunk):
                    pass
    free = os.statvfs(folder).f_bavail
    assert free == 0, f"{free} blocks still free"
    return filler
