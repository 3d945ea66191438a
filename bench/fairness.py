"""Fairness: how long one partner's notice waits behind another partner's backlog.

`python bench/fairness.py [--invalid] [--notices K] [--rounds R]`: on a fresh embedded broker,
K valid notices (or K invalid ones, `--invalid`) are pre-loaded on the académie's topic; the hub is
started; once it has decided its first académie record, one CAF notice (a referral of a
household in arrears to the CCAPEX) is written. Measured: the seconds from the broker's
acknowledgement of the CAF notice to its delivery read on the CCAPEX's topic, and, from the
ledger, how many académie records the hub decided after the CAF notice was written and before
it (what held it). The hub's own rate over the backlog is reported beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from throughput import (
    IDLE_S,
    PARTITIONS,
    PRODUCER,
    Wire,
    build_notices,
    header,
    hub_process,
    one_round,
    preload,
    say,
)

from hub.catalogue.contracts import load_catalogue
from hub.catalogue.directory import load_directory
from hub.edge.topics import ensure_topics
from hub.settings import PROJECT_ROOT, Settings
from hub.tools.demo_scenario import examples, notice
from hub.wire.topics import all_topics, inbound, outbound

OTHER_CONTRACT, OTHER_SENDER = "logement.saisine-impayes", "caf/caf"
BACKLOG_PARTNER, OTHER_PARTNER, OTHER_RECIPIENT = "academie", "caf", "ccapex"
# A decision is one of these ledger entries; the others (deliveries, deadlines) follow one.
DECISIONS = ("accepted", "rejected")
POLL_S = 0.05


def other_notice() -> tuple[bytes | None, bytes, list[tuple[str, bytes]], str]:
    """The CAF's notice: key, value, headers and its id."""
    contract = load_catalogue(PROJECT_ROOT / "contracts").contracts[OTHER_CONTRACT]
    built = notice(contract, OTHER_SENDER, examples(contract, "valid")[0])
    headers = [(k, v.encode()) for k, v in built.headers.items()]
    return built.key, built.value, headers, built.headers["ce_id"]


def decisions(ledger: Path) -> list[tuple[int, str, str | None]]:
    """The hub's decisions so far, in its order: (seq, sender, notice id)."""
    if not ledger.exists():
        return []
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
        try:
            rows = db.execute(
                "SELECT seq, sender, notice_id FROM entries WHERE kind IN (?, ?) ORDER BY seq",
                DECISIONS,
            ).fetchall()
        except sqlite3.OperationalError:  # the hub has not created its tables yet
            return []
    return [(int(seq), str(sender), notice_id) for seq, sender, notice_id in rows]


async def until(ledger: Path, found: Any, idle_s: float) -> list[tuple[int, str, str | None]]:
    """Poll the ledger until `found(decisions)`; bounded by `idle_s` without a new decision."""
    loop = asyncio.get_running_loop()
    give_up, seen = loop.time() + idle_s, -1
    while not found(rows := decisions(ledger)):
        if len(rows) > seen:
            give_up, seen = loop.time() + idle_s, len(rows)
        if loop.time() > give_up:
            raise TimeoutError(f"the hub decided nothing new for {idle_s:.0f} s")
        await asyncio.sleep(POLL_S)
    return rows


async def delivered_at(bootstrap: str, notice_id: str) -> float:
    """When the hub wrote its delivery of `notice_id` (the broker's timestamp, epoch seconds)."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await reader.start()
    try:
        await reader.topics()
        topic = outbound(OTHER_RECIPIENT)
        partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic)]
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        async with asyncio.timeout(IDLE_S):
            while True:
                batches = await reader.getmany(timeout_ms=200)
                for record in (r for part in batches.values() for r in part):
                    if header(record.headers, "ce_id") == notice_id:
                        return float(record.timestamp) / 1000
    finally:
        await reader.stop()


def held_by(rows: list[tuple[int, str, str | None]], written_at: int, notice_id: str) -> int:
    """Backlog records decided after the ledger's seq `written_at` and before `notice_id`."""
    mine = next(seq for seq, _, nid in rows if nid == notice_id)
    backlog = f"/{BACKLOG_PARTNER}/"
    return sum(1 for seq, sender, _ in rows if written_at < seq < mine and backlog in sender)


async def write_other(bootstrap: str) -> tuple[str, float]:
    """Write the CAF's notice; its id and when the broker acknowledged it."""
    key, value, headers, notice_id = other_notice()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **PRODUCER)
    await producer.start()
    try:
        await producer.send_and_wait(inbound(OTHER_PARTNER), value, key=key, headers=headers)
        return notice_id, time.time()
    finally:
        await producer.stop()


def backlog(count: int, *, invalid: bool) -> list[Wire]:
    """The académie's backlog: valid formal notices, or the same with an empty payload."""
    notices = build_notices(count)
    return [(k, b"{}", h) for k, _, h in notices] if invalid else notices


async def fairness_round(args: Any, bootstrap: str, workdir: Path) -> dict[str, Any]:
    """One backlog, one CAF notice behind it: its delay in seconds and in records."""
    quiet, count = args.json_only, args.notices
    directory = load_directory(Settings().directory_path)
    await ensure_topics(bootstrap, all_topics(directory.partners), PARTITIONS, 1)
    say(quiet, f"pre-loading {count} {'invalid' if args.invalid else 'valid'} académie notices")
    await preload(bootstrap, inbound(BACKLOG_PARTNER), backlog(count, invalid=args.invalid))
    ledger = workdir / "state.sqlite"
    async with hub_process(bootstrap, workdir):
        before = await until(ledger, bool, IDLE_S)  # the hub is draining the backlog
        notice_id, written = await write_other(bootstrap)
        written_at = decisions(ledger)[-1][0]
        rows = await until(ledger, lambda r: any(n == notice_id for _, _, n in r), IDLE_S)
        delivered = await delivered_at(bootstrap, notice_id)
        done = await until(ledger, lambda r: len(r) >= count + 1, IDLE_S)
    started = before[0][0]
    backlog_decided = sum(1 for _, s, _ in done if f"/{BACKLOG_PARTNER}/" in s)
    return {
        "backlog": count,
        "backlog_invalid": bool(args.invalid),
        "other_delay_s": round(delivered - written, 3),
        "held_by_records": held_by(rows, written_at, notice_id),
        "backlog_decided_before_written": sum(
            1 for seq, s, _ in rows if started <= seq <= written_at and "/academie/" in s
        ),
        "backlog_decided": backlog_decided,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Each round on its own broker, every round reported, then the median delay."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--notices", type=int, default=20000, help="K (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="independent rounds (3)")
    parser.add_argument("--invalid", action="store_true", help="a backlog the hub refuses")
    parser.add_argument("--json-only", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    if args.notices < 1 or args.rounds < 1:
        parser.error("--notices and --rounds must be positive")
    args.latency_seconds = 0.0  # no latency run here: the round's time budget counts none
    rounds = []
    for number in range(1, args.rounds + 1):
        say(args.json_only, f"fairness round {number} of {args.rounds}")
        result = one_round(args, fairness_round)
        if result is None:
            return 143
        rounds.append(result)
        say(args.json_only, json.dumps(result))
    delays = [r["other_delay_s"] for r in rounds]
    held = [r["held_by_records"] for r in rounds]
    print(
        json.dumps(
            {
                **rounds[-1],
                "other_delay_s_rounds": delays,
                "held_by_records_rounds": held,
                "other_delay_s": statistics.median(delays),
                "rounds": len(rounds),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
