"""The hostile corpus through the relay: each record refused to its sender, with its code.

Nothing of it is delivered, the hub never stops on it, and its canary appears nowhere the hub
writes: rejections, the ledger's file, logs (at DEBUG), metrics.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Intake
from hub.observability.logs import configure
from hub.observability.metrics import HubMetrics
from hub.relay import Relay
from hub.schedules.retention import erase_case
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Record
from tests.hostile.corpus import (
    CANARY,
    DAY,
    NO_RECORD_CAUSES,
    ON_ANOTHER_DAY,
    Case,
    Corpus,
    build,
    expected_coverage,
    wire_codes,
)
from tests.test_relay import NOW, Outbox

BATCH = 200


@pytest.fixture(scope="module")
def corpus(catalogue: Catalogue, directory: PartnerDirectory) -> Corpus:
    return build(catalogue, directory, DAY)


def test_the_corpus_covers_every_code_attribute_field_and_shape(
    corpus: Corpus, catalogue: Catalogue
) -> None:
    needed = expected_coverage(catalogue, DAY)
    assert needed - corpus.covered() == set()
    codes = {tag.removeprefix("code:") for tag in needed if tag.startswith("code:")}
    assert codes | set(NO_RECORD_CAUSES) | set(ON_ANOTHER_DAY) == wire_codes()
    fields = {tag for tag in needed if tag.startswith("field:")}
    contracts = {tag.split(":")[1] for tag in fields}
    assert "ip.transmission" in contracts
    assert len(fields) > 300  # every field of every contract a partner sends


def test_the_coverage_check_sees_what_a_smaller_corpus_misses(
    corpus: Corpus, catalogue: Catalogue
) -> None:
    fewer = Corpus(corpus.setup, [c for c in corpus.cases if "code:case.foreign" not in c.covers])
    fewer.cases = [c for c in fewer.cases if not c.name.startswith("ip.transmission v2 /child")]
    missing = expected_coverage(catalogue, DAY) - fewer.covered()
    assert "code:case.foreign" in missing
    assert any(tag.startswith("field:ip.transmission:v2:/child/") for tag in missing)


def _records(corpus: Corpus) -> Iterator[tuple[Record, Case | None]]:
    offsets: dict[str, int] = {}

    def record(
        topic: str, key: bytes | None, value: bytes | None, headers: tuple[tuple[str, bytes], ...]
    ) -> Record:
        offsets[topic] = offsets.get(topic, -1) + 1
        return Record(topic, 0, offsets[topic], key, value, headers, 1_796_000_000_000)

    for topic, value, headers, key in (*corpus.setup.records, *corpus.setup.erased):
        yield record(topic, key, value, headers), None
    for case in corpus.cases:
        yield record(case.topic, case.key, case.value, case.headers), case


def _reason_fits(case: Case, reasons: list[dict[str, Any]]) -> bool:
    codes = {r["code"] for r in reasons}
    if case.pointer is None:
        return codes == set(case.codes)
    parent = case.pointer.rsplit("/", 1)[0]
    return all(c.startswith("schema.") for c in codes) and any(
        r.get("pointer") in (case.pointer, parent) for r in reasons
    )


@pytest.mark.asyncio
@pytest.mark.timeout(300)
async def test_every_hostile_record_is_refused_to_its_sender_and_nothing_leaks(
    corpus: Corpus,
    catalogue: Catalogue,
    directory: PartnerDirectory,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    configure("DEBUG", structured=True)
    registry = CollectorRegistry()
    offices = [f"{p}/{o}" for p in directory.partners for o in directory.offices(p)]
    metrics = HubMetrics(registry, catalogue.contracts, offices)
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    outbox = Outbox()
    intake = Intake(catalogue, directory, today=lambda: DAY)  # the corpus's day, not the real one
    relay = Relay(intake, state, outbox, clock=lambda: NOW, metrics=metrics)
    pairs = list(_records(corpus))
    setup = [r for r, case in pairs if case is None]
    assert (await relay.process(setup)).accepted == len(setup)
    for *_, case_id in corpus.setup.erased:
        assert await erase_case(state, case_id.decode(), "request", NOW)
    delivered_before = len(outbox.deliveries())
    hostile = [(r, case) for r, case in pairs if case is not None]
    for start in range(0, len(hostile), BATCH):
        chunk = [r for r, _ in hostile[start : start + BATCH]]
        report = await relay.process(chunk)  # never raises: every fault is the record's
        assert report.rejected == len(chunk)
    assert len(outbox.deliveries()) == delivered_before  # nothing of the corpus delivered
    rejections = {
        (
            o.topic,
            json.loads(o.value)["refused"]["topic"],
            json.loads(o.value)["refused"]["offset"],
        ): o
        for o in outbox.sent
        if o.headers["ce_type"] == "hub.rejection"
    }
    wrong = []
    for record, case in hostile:
        found = rejections.get((f"hub.out.{case.partner}", record.topic, record.offset))
        if found is None:
            wrong.append(f"{case.name}: no rejection to its sender")
            continue
        reasons = json.loads(found.value)["reasons"]
        if not _reason_fits(case, reasons):
            wrong.append(f"{case.name}: {sorted(r['code'] for r in reasons)}")
    assert wrong == []
    await state.close()
    written = capfd.readouterr()
    places = {
        "rejections and acceptances": repr([(o.headers, o.value) for o in outbox.sent]),
        "logs": written.out + written.err,
        "metrics": generate_latest(registry).decode(),
        "the state's files": _files(tmp_path, "state.sqlite*"),
    }
    for place, content in places.items():
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        assert CANARY not in text, place


def _files(folder: Path, pattern: str) -> bytes:
    found = sorted(folder.glob(pattern))
    assert found
    return b"".join(path.read_bytes() for path in found)
