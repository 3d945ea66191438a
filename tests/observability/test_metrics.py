"""The hub's own metrics, as Prometheus would scrape them, from a relay that really ran."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Admitted, Intake
from hub.observability.metrics import HubMetrics
from hub.relay import Relay
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Record
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import ce_headers, record
from tests.test_relay import NOW, Outbox

pytestmark = pytest.mark.asyncio
LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
CASE = b"2d9e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5"


@pytest_asyncio.fixture
async def scraped(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> AsyncIterator[dict[str, list[tuple[dict[str, str], float]]]]:
    """A notice (stamped by the broker 2 s ago), its duplicate, a schema-invalid notice and a
    record under an unknown contract, then what /metrics would show."""
    registry = CollectorRegistry()
    offices = [f"{p}/{o}" for p in directory.partners for o in directory.offices(p)]
    metrics = HubMetrics(registry, catalogue.contracts, offices)
    ledger = SqliteState(tmp_path / "ledger.sqlite", clock=lambda: NOW)
    relay = Relay(
        Intake(catalogue, directory), ledger, Outbox(), clock=lambda: NOW, metrics=metrics
    )
    stamped = dataclasses.replace(
        record(LIMOGES, notice_id="m-1", key=CASE), timestamp_ms=int((time.time() - 2) * 1000)
    )
    bad = {**LIMOGES, "child": {"last_name": "Martin"}}
    headers = ce_headers(notice_id="x-1", contract="made.up-contract")
    await relay.process([stamped, record(bad, notice_id="m-2")])
    await relay.process(
        [
            record(LIMOGES, notice_id="m-1", key=CASE),
            Record("hub.in.academie", 0, 9, None, json.dumps(LIMOGES).encode(), tuple(headers)),
        ]
    )
    metrics.awaiting(3, NOW.replace(minute=0), NOW)
    text = generate_latest(registry).decode()
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    yield samples
    await ledger.close()


async def test_notices_are_counted_by_contract_version_sender_and_outcome(
    scraped: dict[str, list[tuple[dict[str, str], float]]],
) -> None:
    counted = {
        (s["contract"], s["version"], s["sender"], s["outcome"]): v
        for s, v in scraped["hub_notices_total"]
    }
    assert counted == {
        (FORMAL_NOTICE, "1", "academie/dsden", "accepted"): 1,
        (FORMAL_NOTICE, "1", "academie/dsden", "duplicate"): 1,
        (FORMAL_NOTICE, "", "academie/dsden", "rejected"): 1,
        ("unknown", "", "academie/dsden", "rejected"): 1,  # a made-up contract id is no label
    }
    reasons = {s["reason"]: v for s, v in scraped["hub_rejections_total"]}
    assert reasons == {"schema.required": 1, "contract.unknown": 1}


async def test_latency_ledger_appends_deliveries_and_receipts_are_measured(
    scraped: dict[str, list[tuple[dict[str, str], float]]],
) -> None:
    [(_, latency_count)] = scraped["hub_delivery_latency_seconds_count"]
    [(_, latency_sum)] = scraped["hub_delivery_latency_seconds_sum"]
    assert latency_count == 1  # the duplicate is not a second delivery
    assert 1.5 < latency_sum < 60
    [(_, appends)] = scraped["hub_ledger_append_seconds_count"]
    assert appends == 2  # one durable commit per batch, entries and kept records together
    offices = {s["office"]: v for s, v in scraped["hub_deliveries_total"]}
    assert offices == {"departement/sdas": 1, "departement/mdd:87-limoges-nord": 1}
    assert scraped["hub_receipts_pending"] == [({}, 3)]
    assert scraped["hub_receipt_pending_oldest_seconds"] == [({}, 30 * 60)]


async def test_no_label_holds_a_payload_value(
    scraped: dict[str, list[tuple[dict[str, str], float]]],
) -> None:
    labels = {value for samples in scraped.values() for s, _ in samples for value in s.values()}
    values = {LIMOGES["child"]["last_name"], LIMOGES["address"]["line1"], "Martin", "x-1", "m-1"}
    assert not labels & values


async def test_a_school_known_by_its_uai_is_counted_under_its_kind(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    registry = CollectorRegistry()
    offices = [f"{p}/{o}" for p in directory.partners for o in directory.offices(p)]
    metrics = HubMetrics(registry, catalogue.contracts, offices)
    ip = example("ip.transmission", "caf-panazol-siblings", major=2)
    school = "/academie/etablissement:0870015U"
    notice = Intake(catalogue, directory).examine(
        record(ip, notice_id="ip-1", source=school, contract="ip.transmission", major=2)
    )
    assert isinstance(notice, Admitted)
    metrics.decided([notice], [], [])
    labels = {
        sample.labels.get("sender")
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
    }
    assert "academie/etablissement" in labels
    assert not any("0870015U" in str(label) for label in labels)
