"""Hostile records sent to a running hub with an independent client (librdkafka)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, Message, Producer

from tests.conftest import example
from tests.integration.conftest import HubProcess, hub_on_own_broker
from tests.integration.plain import Headers, PlainKafka, Received, by_id, notice_headers

pytestmark = pytest.mark.kafka
BOMB_BYTES = 512 * 1024 * 1024  # zeros: half a gigabyte that gzip turns into half a megabyte
PEAK_RSS_LIMIT = 320 * 1024 * 1024
IP = example("ip.transmission", "caf-panazol-siblings", major=2)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    with hub_on_own_broker(tmp_path_factory.mktemp("hostile")) as running:
        yield running


def _peak_rss(hub: HubProcess) -> int:
    assert hub.process is not None
    status = Path(f"/proc/{hub.process.pid}/status").read_text()
    [line] = [x for x in status.splitlines() if x.startswith("VmHWM:")]
    return int(line.split()[1]) * 1024


def _send_compressed(bootstrap: str, topic: str, value: bytes, headers: Headers) -> tuple[int, int]:
    """Write one gzip-compressed record; its (partition, offset)."""
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "compression.type": "gzip",
            "message.max.bytes": 1_000_000_000,
            "acks": "all",
        }
    )
    failures: list[KafkaError] = []
    where: list[tuple[int, int]] = []

    def delivered(error: KafkaError | None, message: Message) -> None:
        if error is not None:
            failures.append(error)
        else:
            where.append((message.partition() or 0, message.offset() or 0))

    producer.produce(
        topic, value, str(uuid.uuid4()).encode(), headers=headers, on_delivery=delivered
    )
    assert producer.flush(60) == 0
    assert failures == []
    [position] = where
    return position


@pytest.mark.timeout(240)
def test_6_a_gzip_bomb_is_refused_without_inflating_and_the_hub_goes_on(hub: HubProcess) -> None:
    plain = PlainKafka(hub.bootstrap)
    partition, offset = _send_compressed(
        hub.bootstrap, "hub.in.academie", b"0" * BOMB_BYTES, notice_headers(f"bomb-{uuid.uuid4()}")
    )

    def refusal(got: list[Received]) -> list[Received]:
        # Refused whole before it is inflated, the record is named by its place: its id is
        # inside what was never inflated.
        return [
            r
            for r in got
            if r.headers.get("ce_type") == "hub.rejection"
            and (r.json()["refused"]["partition"], r.json()["refused"]["offset"])
            == (partition, offset)
        ]

    answered = plain.read("hub.out.academie", lambda got: bool(refusal(got)), 120)
    [rejection] = refusal(answered)
    assert rejection.json()["refused"]["id"] is None
    assert [r["code"] for r in rejection.json()["reasons"]] == ["record.oversize"]
    assert rejection.headers["ce_recipient"] == "academie"
    assert _peak_rss(hub) < PEAK_RSS_LIMIT
    # Another partner's notice, sent afterwards, is delivered within seconds.
    sent = time.monotonic()
    ip_id = f"ip-{uuid.uuid4()}"
    plain.send(
        "hub.in.caf",
        json.dumps(IP).encode(),
        notice_headers(ip_id, "/caf/caf", "ip.transmission", 2),
        key=str(uuid.uuid4()).encode(),
    )
    plain.read("hub.out.departement", lambda got: len(by_id(got, ip_id)) >= 1, 30)
    assert time.monotonic() - sent < 5
