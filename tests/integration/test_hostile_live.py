"""Hostile records sent to a running hub with an independent client (librdkafka)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, Message, Producer

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from tests.conftest import example
from tests.hostile.corpus import CANARY, build
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
    _another_partner_is_served_within_five_seconds(plain)


def _send_in_order(
    bootstrap: str, records: list[tuple[str, bytes | None, Headers, bytes | None]]
) -> list[tuple[int, int]]:
    """Write records with a plain producer; each one's (partition, offset), in order."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    where: dict[int, tuple[int, int]] = {}

    def delivered(index: int) -> Callable[[KafkaError | None, Message], None]:
        def done(error: KafkaError | None, message: Message) -> None:
            assert error is None, error
            where[index] = (message.partition() or 0, message.offset() or 0)

        return done

    for index, (topic, value, headers, key) in enumerate(records):
        producer.produce(topic, value, key, headers=headers, on_delivery=delivered(index))
        producer.poll(0)
    assert producer.flush(60) == 0
    return [where[i] for i in range(len(records))]


@pytest.mark.timeout(300)
def test_a_hostile_corpus_from_one_partner_is_answered_record_by_record_and_harms_no_other(
    hub: HubProcess, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    corpus = build(catalogue, directory)
    # An answer to an erased case needs the state erased under the hub (test_corpus.py does it).
    hostile = [
        c
        for c in corpus.cases
        if c.topic == "hub.in.academie" and "answer.case-erased" not in c.codes
    ]
    assert len(hostile) > 500
    plain = PlainKafka(hub.bootstrap)
    setup = [(t, v, list(h), k) for t, v, h, k in corpus.setup.records]
    _send_in_order(hub.bootstrap, setup)  # type: ignore[arg-type]
    plain.read("hub.out.departement", lambda got: len(by_id(got, "base-1")) >= 2, 60)
    places = _send_in_order(
        hub.bootstrap, [(c.topic, c.value, list(c.headers), c.key) for c in hostile]
    )
    wanted = set(places)

    def answered(got: list[Received]) -> set[tuple[int, int]]:
        return {
            (r.json()["refused"]["partition"], r.json()["refused"]["offset"])
            for r in got
            if r.headers.get("ce_type") == "hub.rejection"
            and r.json()["refused"]["topic"] == "hub.in.academie"
        } & wanted

    got = plain.read("hub.out.academie", lambda got: answered(got) == wanted, 180)
    rejections = {
        (r.json()["refused"]["partition"], r.json()["refused"]["offset"]): r.json()["reasons"]
        for r in got
        if r.headers.get("ce_type") == "hub.rejection"
    }
    wrong = [
        case.name
        for case, place in zip(hostile, places, strict=True)
        if case.pointer is None and {x["code"] for x in rejections[place]} != set(case.codes)
    ]
    assert wrong == []
    assert CANARY not in repr([r.value for r in got])
    _another_partner_is_served_within_five_seconds(plain)
    # Nothing of the corpus reached another partner: only the set-up's and that notice's.
    hostile_ids = {dict(c.headers).get("ce_id", b"").decode("utf-8", "replace") for c in hostile}
    for partner in ("departement", "isg", "caf", "ccapex"):
        records = _everything(plain, f"hub.out.{partner}")
        ids = [r.headers.get("ce_id") for r in records]
        assert not (set(ids) - {"base-1"}) & hostile_ids, partner
        assert ids.count("base-1") == (2 if partner == "departement" else 0)  # set-up's, once
        assert CANARY not in repr([r.value for r in records])


def _another_partner_is_served_within_five_seconds(plain: PlainKafka) -> str:
    """The CAF sends a valid notice; it reaches the département in under five seconds."""
    sent, ip_id = time.monotonic(), f"ip-{uuid.uuid4()}"
    plain.send(
        "hub.in.caf",
        json.dumps(IP).encode(),
        notice_headers(ip_id, "/caf/caf", "ip.transmission", 2),
        key=str(uuid.uuid4()).encode(),
    )
    plain.read("hub.out.departement", lambda got: len(by_id(got, ip_id)) >= 1, 30)
    assert time.monotonic() - sent < 5
    return ip_id


def _everything(plain: PlainKafka, topic: str) -> list[Received]:
    """What a topic holds: read until nothing new comes for a second."""
    seen: list[Received] = []
    deadline = time.monotonic() + 1.0

    def settled(got: list[Received]) -> bool:
        nonlocal deadline
        if len(got) > len(seen):
            seen[:] = got
            deadline = time.monotonic() + 1.0
        return time.monotonic() > deadline

    return plain.read(topic, settled, 30)
