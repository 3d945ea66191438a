"""Throughput, latency and memory of the hub, against a raw aiokafka passthrough.

One run, one embedded broker (Tansu, memory only), the same notices for both sides:
  (a) raw: N records read by one consumer and written three times each (what the hub writes:
      the SDAS's and one MDD's copies, the sender's acceptance) by one producer, committing
      after each batch;
  (b) hub: N valid notices pre-loaded on hub.in.academie, read back as 2N deliveries;
  (c) the ratio hub / raw;
  (d) end-to-end latency p50/p99 at a fixed offered load, through the running hub;
  (e) the hub process's peak RSS.
The hub's rate counts the notices delivered after its first delivery was read (the first batch's
processing time is not in the window). Tansu holds a fetch for its full max wait even when data
arrives, so the bench's own reader polls every READER_WAIT_MS to add nothing to the latency.
The machine is small and shared with the broker, so figures move from run to run: the bench
repeats (a) and (b) in --rounds independent rounds, each on a fresh broker, and reports the
medians (and every round) for throughput; latency and memory come from the last round.
A short table goes to stdout, then, as the last line, one JSON object for machines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from hub.catalogue.contracts import load_catalogue
from hub.catalogue.directory import load_directory
from hub.edge.embedded import EmbeddedBroker, die_with_parent
from hub.edge.topics import ensure_topics
from hub.settings import PROJECT_ROOT, Settings
from hub.tools.demo_scenario import examples, notice
from hub.wire.topics import all_topics, inbound, outbound

CONTRACT = "instruction.mise-en-demeure"
SENDER = "academie/dsden"
DELIVERIES_PER_NOTICE = 2  # SDAS and one MDD
RECORDS_PER_NOTICE = 3  # what the hub writes: the two deliveries and the sender's acceptance
RAW_IN, RAW_OUT = "bench.raw.in", "bench.raw.out"
PARTITIONS = 3  # as the hub's default topic_partitions
BATCH = Settings().batch_max_records  # the hub's batch size, for a like-for-like baseline
CHUNK = 1000  # send() futures gathered at once when pre-loading
IDLE_S = 60.0  # give up when nothing moves for this long
STOP_S = 15.0  # grace given to the hub on SIGTERM before SIGKILL
READER_WAIT_MS = 10
PRODUCER: dict[str, Any] = {"acks": "all", "enable_idempotence": False}
Record: TypeAlias = ConsumerRecord[bytes, bytes]
Headers: TypeAlias = Sequence[tuple[str, bytes]]
Wire: TypeAlias = tuple[bytes | None, bytes, Headers]  # key, value, headers


def build_notices(count: int) -> list[Wire]:
    """`count` valid notices from academie/dsden, each with its own ce_id."""
    contract = load_catalogue(PROJECT_ROOT / "contracts").contracts[CONTRACT]
    payloads = examples(contract, "valid")
    built = (notice(contract, SENDER, payloads[i % len(payloads)]) for i in range(count))
    return [(o.key, o.value, [(k, v.encode()) for k, v in o.headers.items()]) for o in built]


def header(headers: Headers, name: str) -> str | None:
    return next((v.decode() for k, v in headers if k == name), None)


def say(quiet: bool, text: str) -> None:  # noqa: FBT001
    if not quiet:
        print(f"bench: {text}", file=sys.stderr, flush=True)


async def send_all(producer: AIOKafkaProducer, topic: str, records: Sequence[Wire]) -> None:
    """Send concurrently; return once the broker has acknowledged every record."""
    futures = [await producer.send(topic, v, key=k, headers=list(h)) for k, v, h in records]
    await asyncio.wait_for(asyncio.gather(*futures), IDLE_S)


async def preload(bootstrap: str, topic: str, records: Sequence[Wire]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **PRODUCER)
    await producer.start()
    try:
        for start in range(0, len(records), CHUNK):
            await send_all(producer, topic, records[start : start + CHUNK])
    finally:
        await producer.stop()


async def raw_passthrough(bootstrap: str, records: Sequence[Wire]) -> float:
    """Notices/s forwarded by a bare consumer->producer loop, first read to last ack."""
    await ensure_topics(bootstrap, [RAW_IN, RAW_OUT], PARTITIONS, 1)
    await preload(bootstrap, RAW_IN, records)
    consumer = AIOKafkaConsumer(
        RAW_IN,
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4()}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **PRODUCER)
    await consumer.start()
    try:
        await producer.start()
        loop = asyncio.get_running_loop()
        forwarded, first, idle_until = 0, 0.0, loop.time() + IDLE_S
        while forwarded < len(records):
            if loop.time() > idle_until:
                raise TimeoutError(f"raw passthrough stalled at {forwarded}/{len(records)}")
            batches = await consumer.getmany(timeout_ms=500, max_records=BATCH)
            batch = [r for part in batches.values() for r in part]
            if not batch:
                continue
            first = first or time.perf_counter()
            # The same traffic as the hub: each record in becomes three records out.
            out = [(r.key, r.value, r.headers) for r in batch for _ in range(RECORDS_PER_NOTICE)]
            await send_all(producer, RAW_OUT, out)
            await consumer.commit()
            forwarded += len(batch)
            idle_until = loop.time() + IDLE_S
        return len(records) / (time.perf_counter() - first)
    finally:
        await producer.stop()
        await consumer.stop()


async def open_reader(bootstrap: str, topics: Sequence[str]) -> AIOKafkaConsumer:
    """A group-less consumer on every partition of `topics`, positioned at their end."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=READER_WAIT_MS
    )
    await reader.start()
    await reader.topics()  # refreshes the metadata
    partitions = [
        TopicPartition(topic, p) for topic in topics for p in reader.partitions_for_topic(topic)
    ]
    reader.assign(partitions)
    await reader.seek_to_end(*partitions)
    for partition in partitions:
        await reader.position(partition)
    return reader


@contextlib.asynccontextmanager
async def hub_process(bootstrap: str, workdir: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`hub serve` as a subprocess; always stopped (SIGTERM, then SIGKILL) on exit."""
    env = {
        **os.environ,
        "HUB_KAFKA_BOOTSTRAP": bootstrap,
        "HUB_KAFKA_IDEMPOTENCE": "false",
        "HUB_TOPICS_OWNER": "hub",
        "HUB_STATE_URL": f"sqlite:///{workdir / 'state.sqlite'}",
        "HUB_GROUP_ID": f"bench-hub-{uuid.uuid4()}",
        "HUB_HTTP_PORT": "0",
    }
    with (workdir / "hub.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "hub", "serve"),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_S)
            except TimeoutError:
                process.kill()
                await process.wait()


async def read_until(
    reader: AIOKafkaConsumer,
    hub: asyncio.subprocess.Process,
    on_record: Callable[[Record, float], None],
    done: Callable[[], bool],
) -> None:
    """Feed records to `on_record` with their arrival time until `done`; bounded by IDLE_S."""
    loop = asyncio.get_running_loop()
    idle_until = loop.time() + IDLE_S
    while not done():
        if hub.returncode is not None:
            raise RuntimeError(f"the hub exited with code {hub.returncode}")
        if loop.time() > idle_until:
            raise TimeoutError(f"nothing arrived from the hub for {IDLE_S:.0f} s")
        batches = await reader.getmany(timeout_ms=200)
        now = time.perf_counter()
        for record in (r for part in batches.values() for r in part):
            kind = header(record.headers, "ce_type")
            if kind == "hub.rejection":
                raise RuntimeError(f"the hub rejected a notice: {record.value!r}")
            if kind == "hub.acceptance":  # the sender's copy, not a delivery
                continue
            on_record(record, now)
            idle_until = loop.time() + IDLE_S


async def hub_throughput(
    reader: AIOKafkaConsumer, hub: asyncio.subprocess.Process, notices: int
) -> float:
    """Notices/s from the hub's first delivery until all deliveries have been read."""
    arrivals: list[float] = []
    want = notices * DELIVERIES_PER_NOTICE
    await read_until(
        reader, hub, lambda _, now: arrivals.append(now), lambda: len(arrivals) >= want
    )
    after_first = sum(1 for t in arrivals if t > arrivals[0]) / DELIVERIES_PER_NOTICE
    if not after_first:
        raise RuntimeError("all deliveries came in one read: too few --notices to time the hub")
    return after_first / (arrivals[-1] - arrivals[0])


async def latencies(
    bootstrap: str, reader: AIOKafkaConsumer, hub: asyncio.subprocess.Process, rate: float, n: int
) -> tuple[list[float], float]:
    """Send n notices at `rate`/s; returns each one's latency to its first delivery, in ms."""
    records = build_notices(n)
    sent: dict[str, float] = {}
    received: dict[str, float] = {}

    def arrived(record: Record, now: float) -> None:
        notice_id = header(record.headers, "ce_id") or ""
        if notice_id in sent and notice_id not in received:
            received[notice_id] = (now - sent[notice_id]) * 1000

    async def offer() -> float:
        start = time.perf_counter()
        for i, (key, value, headers) in enumerate(records):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            sent[header(headers, "ce_id") or ""] = time.perf_counter()
            await producer.send(inbound("academie"), value, key=key, headers=list(headers))
        return (len(records) - 1) / max(time.perf_counter() - start, 1e-9)

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **PRODUCER)
    await producer.start()
    try:
        async with asyncio.TaskGroup() as group:
            offered = group.create_task(offer())
            group.create_task(read_until(reader, hub, arrived, lambda: len(received) >= n))
    finally:
        await producer.stop()
    return list(received.values()), offered.result()


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc status")


async def bench(args: argparse.Namespace, bootstrap: str, workdir: Path) -> dict[str, Any]:
    """One round on one broker: raw, hub, then latency and memory."""
    task = asyncio.current_task()
    if task is not None:  # SIGTERM unwinds like Ctrl-C: the hub is stopped on the way out
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    quiet, n = args.json_only, args.notices
    directory = load_directory(Settings().directory_path)
    await ensure_topics(bootstrap, all_topics(directory.partners), PARTITIONS, 1)
    notices = build_notices(n)
    say(quiet, f"raw passthrough of {n} records")
    raw = await raw_passthrough(bootstrap, notices)
    # Deliveries arrive on the département's topic, rejections on the académie's.
    reader = await open_reader(bootstrap, [outbound("departement"), outbound("academie")])
    try:
        say(quiet, f"pre-loading {n} notices, then starting the hub")
        await preload(bootstrap, inbound("academie"), notices)
        async with hub_process(bootstrap, workdir) as hub:
            hub_rate = await hub_throughput(reader, hub, n)
            say(quiet, f"latency at {args.rate:g}/s for {args.latency_seconds:g} s")
            count = max(2, round(args.rate * args.latency_seconds))
            times, offered = await latencies(bootstrap, reader, hub, args.rate, count)
            rss = peak_rss_mib(hub.pid)
    finally:
        await reader.stop()
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {
        "notices": n,
        "raw_per_s": round(raw, 1),
        "hub_per_s": round(hub_rate, 1),
        "ratio": round(hub_rate / raw, 3),
        "latency_p50_ms": round(cuts[49], 2),
        "latency_p99_ms": round(cuts[98], 2),
        "offered_rate_per_s": round(offered, 1),
        "hub_peak_rss_mib": round(rss, 1),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }


TABLE = (
    ("notices", "notices", ""),
    ("raw passthrough", "raw_per_s", " notices/s"),
    ("hub", "hub_per_s", " notices/s"),
    ("hub / raw (median)", "ratio", ""),
    ("latency p50", "latency_p50_ms", " ms"),
    ("latency p99", "latency_p99_ms", " ms"),
    ("offered load (actual)", "offered_rate_per_s", " notices/s"),
    ("hub peak RSS", "hub_peak_rss_mib", " MiB"),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--notices", type=int, default=20000, help="N (default 20000)")
    parser.add_argument("--rate", type=float, default=200.0, help="offered notices/s (200)")
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="latency run (10)")
    parser.add_argument("--rounds", type=int, default=3, help="independent rounds (3)")
    parser.add_argument("--json-only", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    if args.notices < 1 or args.rate <= 0 or args.latency_seconds <= 0 or args.rounds < 1:
        parser.error("--notices, --rate, --latency-seconds and --rounds must be positive")
    rounds = []
    for number in range(1, args.rounds + 1):
        say(args.json_only, f"round {number} of {args.rounds}")
        result = one_round(args)
        if result is None:
            return 143
        rounds.append(result)
    result = summary(rounds)
    if not args.json_only:
        print("\n".join(f"{name:<24} {result[key]}{unit}" for name, key, unit in TABLE))
    print(json.dumps(result))
    return 0


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the throughput figures over the rounds; the last round for the rest."""
    result = dict(rounds[-1])
    for key in ("raw_per_s", "hub_per_s", "ratio"):
        values = [r[key] for r in rounds]
        result[key] = round(statistics.median(values), 3 if key == "ratio" else 1)
        result[f"{key}_rounds"] = values
    result["rounds"] = len(rounds)
    return result


Round: TypeAlias = Callable[[argparse.Namespace, str, Path], Coroutine[Any, Any, dict[str, Any]]]


def one_round(args: argparse.Namespace, run: Round | None = None) -> dict[str, Any] | None:
    """A round on its own broker (`bench` unless told); None when interrupted."""
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        workdir = Path(tmp)
        try:
            with EmbeddedBroker(log_path=workdir / "broker.log") as bootstrap:
                say(args.json_only, f"embedded broker on {bootstrap}")
                budget = 600 + args.notices / 20 + 2 * args.latency_seconds  # a hard ceiling
                return asyncio.run(
                    asyncio.wait_for((run or bench)(args, bootstrap, workdir), budget)
                )
        except asyncio.CancelledError:
            print("bench: interrupted", file=sys.stderr)
            return None
        except Exception:
            hub_log = workdir / "hub.log"
            if hub_log.exists():
                tail = hub_log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:]
                print("bench: last lines of the hub's log:", *tail, sep="\n", file=sys.stderr)
            raise


if __name__ == "__main__":
    sys.exit(main())
