"""Defects found by trying the hub as an attacker or a clumsy partner would, one test each.

Each test landed first as a strict expected failure, and its fix flipped it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Admitted, Intake, Rejected
from hub.core.outgoing import delivery_records
from hub.edge.kafka import build_broker
from hub.ledger.chain import Entry, Stored, Verification
from hub.observability.logs import configure
from hub.observability.metrics import HubMetrics
from hub.relay import Relay
from hub.settings import PROJECT_ROOT, Settings
from hub.state.sqlite import SqliteState
from hub.tools.audit import export
from hub.wire.envelope import Record, read_envelope
from hub.wire.reasons import Refusal
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import ce_headers, record
from tests.test_relay import NOW, Outbox

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
IP = example("ip.transmission", "caf-panazol-siblings", major=2)
GOOD_ENVELOPE = {k: v.decode() for k, v in ce_headers(notice_id="n-1")}
CASE = b"0b6d2a1c-6f0e-4a8e-9c1d-2e3f4a5b6c7d"
CANARY = "DUPONT_Lea_nee_2014"


@pytest_asyncio.fixture
async def world(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> AsyncIterator[tuple[Relay, SqliteState, Outbox, HubMetrics]]:
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    registry = CollectorRegistry()
    offices = [f"{p}/{o}" for p in directory.partners for o in directory.offices(p)]
    metrics = HubMetrics(registry, catalogue.contracts, offices)
    outbox = Outbox()
    relay = Relay(Intake(catalogue, directory), state, outbox, clock=lambda: NOW, metrics=metrics)
    yield relay, state, outbox, metrics
    await state.close()


@pytest.mark.parametrize("notice_id", ["../../../outside/x", "a/b", ".hidden", "DUPONT,Lea", "-x"])
def test_1_a_notice_id_that_could_name_a_path_is_refused(notice_id: str) -> None:
    with pytest.raises(Refusal) as refused:
        read_envelope({**GOOD_ENVELOPE, "ce_id": notice_id})
    assert [(r.code, r.pointer) for r in refused.value.reasons] == [("envelope.invalid", "ce_id")]


@pytest.mark.asyncio
async def test_2_a_notice_dated_9999_is_refused_and_the_batch_goes_on(
    world: tuple[Relay, SqliteState, Outbox, HubMetrics],
) -> None:
    relay, _, outbox, _ = world
    far = {**LIMOGES, "notified_on": "9999-12-31"}
    ip = Record(
        "hub.in.caf",
        0,
        1,
        None,
        json.dumps(IP).encode(),
        tuple(ce_headers(notice_id="ip-1", source="/caf/caf", contract="ip.transmission", major=2)),
    )
    report = await relay.process([record(far, notice_id="far-1"), ip])
    assert (report.accepted, report.rejected) == (1, 1)
    [rejection] = outbox.rejections()
    assert [(r["code"], r["pointer"]) for r in rejection["reasons"]] == [
        ("schema.date-range", "/notified_on")
    ]
    assert {i for i, _ in outbox.deliveries()} == {"ip-1"}


@pytest.mark.asyncio
async def test_2_a_record_that_keeps_failing_is_set_aside_and_the_hub_goes_on(
    world: tuple[Relay, SqliteState, Outbox, HubMetrics], monkeypatch: pytest.MonkeyPatch
) -> None:
    relay, state, outbox, metrics = world
    examine = Intake.examine

    def flawed(self: Intake, rec: Record, *args: object) -> Admitted | Rejected:
        if dict(rec.headers).get("ce_id") == b"poison-1":
            raise ArithmeticError("a fault the hub did not foresee")
        return examine(self, rec, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Intake, "examine", flawed)
    batch = [record(LIMOGES, notice_id="poison-1", offset=7), record(LIMOGES, notice_id="ok-1")]
    for _ in range(10):  # bounded: the subscriber retries a failed batch, then it is set aside
        try:
            report = await relay.process(batch)
            break
        except ArithmeticError:
            continue
    else:
        pytest.fail("the batch was never processed")
    assert report.accepted == 1
    [rejection] = outbox.rejections()
    assert rejection["refused"]["offset"] == 7
    assert [r["code"] for r in rejection["reasons"]] == ["hub.internal"]
    kinds = {str(s.entry.kind): s.entry.detail for s in await state.entries()}
    assert kinds["quarantined"]["position"] == "hub.in.academie/0/7"
    quarantined = metrics.registry.get_sample_value(
        "hub_records_quarantined_total", {"partner": "academie"}
    )
    assert quarantined == 1


def test_3_names_from_the_payload_or_headers_are_never_echoed(intake_for: Intake) -> None:
    named = intake_for.examine(record({**LIMOGES, CANARY: 1}))
    assert isinstance(named, Rejected)
    assert [(r.code, r.pointer) for r in named.reasons] == [("schema.additional-properties", "")]
    twice = Record(
        "hub.in.academie",
        0,
        0,
        None,
        b"{}",
        (*ce_headers(notice_id="n-2"), (CANARY, b"1"), (CANARY, b"2")),
    )
    unknown_type = record(LIMOGES, contract="dupont.lea-nee-2014")
    for outcome in (intake_for.examine(twice), intake_for.examine(unknown_type)):
        assert isinstance(outcome, Rejected)
        quoted = json.dumps([r.as_json() for r in outcome.reasons]) + str(outcome.contract)
        assert CANARY not in quoted
        assert "dupont" not in quoted


@pytest.fixture
def intake_for(catalogue: Catalogue, directory: PartnerDirectory) -> Intake:
    return Intake(catalogue, directory)


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_4_a_third_party_exception_is_logged_by_its_type_only(
    log_format: str, capfd: pytest.CaptureFixture[str]
) -> None:
    build_broker(Settings(), "127.0.0.1:9", embedded=True)  # FastStream sets up its loggers
    configure("INFO", structured=log_format == "json")
    try:
        raise ValueError(f"cannot decode {CANARY}")  # noqa: TRY301
    except ValueError as error:
        # As FastStream's logging middleware and aiohttp's server write them.
        logging.getLogger("faststream.access.kafka").exception(f"ValueError: {error}")  # noqa: G004, TRY401
        logging.getLogger("aiohttp.server").exception("Error handling request")
    written = capfd.readouterr()
    for logger in ("faststream.access.kafka", "aiohttp.server"):  # both lines, by type
        [line] = [x for x in written.err.splitlines() if logger in x]
        assert "ValueError" in line
    assert CANARY not in written.out + written.err


def test_7_a_senders_tracestate_does_not_reach_the_recipients(intake_for: Intake) -> None:
    smuggled = Record(
        "hub.in.academie",
        0,
        0,
        None,
        json.dumps(LIMOGES).encode(),
        (
            *ce_headers(notice_id="n-7"),
            ("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
            ("tracestate", f"x={CANARY}".encode()),
        ),
    )
    notice = intake_for.examine(smuggled)
    assert isinstance(notice, Admitted)
    for delivery in delivery_records(notice):
        assert "tracestate" not in delivery.headers
        assert CANARY not in json.dumps(delivery.headers)


@pytest.mark.asyncio
async def test_8_a_partner_cannot_attach_a_notice_to_a_case_it_has_no_part_in(
    world: tuple[Relay, SqliteState, Outbox, HubMetrics],
) -> None:
    relay, _, outbox, _ = world
    await relay.process([record(LIMOGES, notice_id="m-1", key=CASE)])
    foreign = Record(
        "hub.in.isg",
        0,
        2,
        CASE,
        json.dumps(IP).encode(),
        tuple(ce_headers(notice_id="ip-9", source="/isg/isg", contract="ip.transmission", major=2)),
    )
    report = await relay.process([foreign, record(LIMOGES, notice_id="m-2", key=CASE, offset=3)])
    assert (report.accepted, report.rejected) == (1, 1)
    [rejection] = outbox.rejections()
    assert [(r["code"], r.get("pointer")) for r in rejection["reasons"]] == [
        ("case.foreign", "key")
    ]


def test_9_audit_csv_cells_cannot_be_read_as_formulas(tmp_path: Path) -> None:
    entry = Entry(kind="rejected", sender="/isg", notice_id="=HYPERLINK(1)", case_id="@x")
    stored = Stored(1, "2026-11-23T09:30:00+00:00", entry, "0" * 64, "1" * 64, "{}")
    export(
        [stored],
        Verification(1, "1" * 64),
        datetime(2026, 11, 23, tzinfo=UTC),
        datetime(2026, 11, 24, tzinfo=UTC),
        folder=tmp_path,
        key=None,
    )
    [row] = list(csv.DictReader(io.StringIO((tmp_path / "entries.csv").read_text())))
    assert (row["notice_id"], row["case_id"]) == ("'=HYPERLINK(1)", "'@x")
    assert json.loads((tmp_path / "entries.json").read_text())[0]["notice_id"] == "=HYPERLINK(1)"


def test_10_the_production_entry_point_refuses_to_run_without_a_cluster(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HUB_KAFKA_BOOTSTRAP"}
    env["HUB_STATE_URL"] = f"sqlite:///{tmp_path / 'state.sqlite'}"
    result = subprocess.run(
        [sys.executable, "-m", "hub", "serve"],
        capture_output=True,
        text=True,
        check=False,
        timeout=20,
        env=env,
    )
    assert result.returncode == 2
    assert "HUB_KAFKA_BOOTSTRAP" in result.stderr
    assert "--embedded" in result.stderr


def test_11_aiohttp_has_a_floor_without_the_published_cves() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [floor] = [d for d in project["project"]["dependencies"] if d.startswith("aiohttp")]
    assert re.match(r"aiohttp>=3\.14\.(3|[4-9]|[1-9][0-9])\b", floor), floor
    assert tuple(int(p) for p in version("aiohttp").split(".")[:3]) >= (3, 14, 3)


def test_12_the_wire_contract_says_at_least_once_everywhere() -> None:
    text = (PROJECT_ROOT / "docs" / "wire-contract.md").read_text(encoding="utf-8")
    duplicates = text.split("## Duplicates and conflicts", 1)[1].split("\n## ", 1)[0]
    assert "not delivered twice" not in duplicates
    assert "at least once" in duplicates
