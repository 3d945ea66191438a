"""`hub trace`: a notice's or a case's steps, from a ledger the relay really wrote."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Intake
from hub.ledger.timeline import LINES, render, timeline
from hub.relay import Relay
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Record
from tests.conftest import FORMAL_NOTICE, example
from tests.core.test_recall import RECALLED, recall
from tests.notices import answering, ce_headers, record
from tests.test_relay import NOW, Outbox

pytestmark = pytest.mark.asyncio
CASE = "6c1f3e2a-0b4d-4e8f-9a7c-2d5e8f1a3b60"
OTHER_CASE = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
UNROUTED_CASE = "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"


def _record(payload: Mapping[str, object], headers: list[tuple[str, bytes]], topic: str) -> Record:
    return Record(topic, 0, 0, CASE.encode(), json.dumps(payload).encode(), tuple(headers))


@pytest_asyncio.fixture
async def ledger(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> AsyncIterator[SqliteState]:
    """A formal notice, its two deliveries, a receipt, a regularisation answering it, a
    rejected record in the same case, a notice in another case, and in a third case a notice
    no MDD serves the commune of."""
    ledger = SqliteState(tmp_path / "ledger.sqlite", clock=lambda: NOW)
    relay = Relay(Intake(catalogue, directory), ledger, Outbox(), clock=lambda: NOW)
    limoges = example(FORMAL_NOTICE, "limoges-no-known-school")
    await relay.process([record(limoges, notice_id="mise-1", key=CASE.encode())])
    receipt = {"notice_id": "mise-1", "status": "processed", "at": "2026-11-23T10:00:00+01:00"}
    headers = ce_headers(
        notice_id="acc-1",
        source="/departement/sdas",
        contract="hub.receipt",
        **answering("mise-1", "/academie/dsden"),
    )
    regularisation = example("instruction.regularisation", "limoges-enrolled")
    answer = ce_headers(
        notice_id="reg-1",
        contract="instruction.regularisation",
        **answering("mise-1", "/academie/dsden"),
    )
    await relay.process(
        [
            _record(receipt, headers, "hub.in.departement"),
            _record(regularisation, answer, "hub.in.academie"),
            record({"not": "a formal notice"}, notice_id="bad-1", key=CASE.encode()),
            record(limoges, notice_id="elsewhere-1", key=OTHER_CASE.encode()),
        ]
    )
    gueret = {**limoges, "address": {**limoges["address"], "commune_insee": "23096"}}
    await relay.process([record(gueret, notice_id="gueret-1", key=UNROUTED_CASE.encode())])
    yield ledger
    await ledger.close()


async def test_a_notice_trace_shows_deliveries_withheld_fields_receipts_and_answers(
    ledger: SqliteState,
) -> None:
    found = await timeline(ledger.about, "mise-1")
    assert found is not None
    steps = [(s["kind"], s["notice_id"], s["office"]) for s in found.as_json()["steps"]]
    assert steps[0] == ("accepted", "mise-1", None)
    assert {
        ("delivered", "mise-1", "departement/mdd:87-limoges-nord"),
        ("delivered", "mise-1", "departement/sdas"),
        ("receipted", "mise-1", "departement/sdas"),
        ("delivered", "acc-1", "academie/dsden"),  # the receipt, back to the sender
    } <= set(steps)
    assert ("accepted", "reg-1", None) in steps  # the answer, and its deliveries
    assert ("delivered", "reg-1", "departement/sdas") in steps
    assert all(notice not in {"bad-1", "elsewhere-1"} for _, notice, _ in steps)
    mdd = next(
        s for s in found.as_json()["steps"] if s["office"] == "departement/mdd:87-limoges-nord"
    )
    assert "reason" in mdd["detail"]["fields_withheld"]
    text = render(found)
    assert f"notice mise-1 (case {CASE})" in text
    assert "withheld: " in text
    assert "mise-1 by departement/sdas: processed" in text
    assert "answers mise-1" in text


async def test_a_case_trace_holds_every_step_of_the_case_and_nothing_else(
    ledger: SqliteState,
) -> None:
    found = await timeline(ledger.about, CASE)
    assert found is not None
    assert found.kind == "case"
    kinds = {(s["kind"], s["notice_id"]) for s in found.as_json()["steps"]}
    assert ("rejected", "bad-1") in kinds
    assert ("receipted", "mise-1") in kinds
    assert ("accepted", "acc-1") in kinds  # the receipt is itself an accepted notice
    assert not any(notice == "elsewhere-1" for _, notice in kinds)
    assert "schema." in render(found)


async def test_a_notice_no_office_takes_shows_whom_the_hub_alerted(ledger: SqliteState) -> None:
    found = await timeline(ledger.about, "gueret-1")
    assert found is not None
    [alerted] = [s for s in found.as_json()["steps"] if s["kind"] == "routing-alerted"]
    assert alerted["office"] == "departement/mdd"
    assert alerted["detail"]["offices"] == ["academie/dsden", "departement/sdas"]
    assert (
        "gueret-1 has no office (unrouted departement/mdd): alerted academie/dsden, "
        "departement/sdas"
    ) in render(found)


async def test_an_id_the_ledger_does_not_know_has_no_trace(ledger: SqliteState) -> None:
    assert await timeline(ledger.about, "nobody") is None


async def test_no_payload_value_appears_in_a_trace(ledger: SqliteState) -> None:
    found = await timeline(ledger.about, CASE)
    assert found is not None
    text = render(found) + json.dumps(found.as_json())
    limoges = example(FORMAL_NOTICE, "limoges-no-known-school")
    for value in (limoges["child"]["last_name"], limoges["address"]["line1"]):
        assert value not in text


async def test_a_recalled_notice_shows_its_recall_whom_it_told_and_its_deadline_closed(
    ledger: SqliteState, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    relay = Relay(Intake(catalogue, directory), ledger, Outbox(), clock=lambda: NOW)
    withdrawn = {**RECALLED, "notice_id": "elsewhere-1", "reason_code": "sent_in_error"}
    await relay.process(
        [recall(withdrawn, notice_id="rap-1", answers="elsewhere-1", key=OTHER_CASE)]
    )
    found = await timeline(ledger.about, "elsewhere-1")
    assert found is not None
    steps = [(s["kind"], s["notice_id"], s["office"]) for s in found.as_json()["steps"]]
    assert {
        ("recalled", "elsewhere-1", None),
        ("deadline-closed", "elsewhere-1", None),
        ("accepted", "rap-1", None),
        ("delivered", "rap-1", "departement/sdas"),
        ("delivered", "rap-1", "departement/mdd:87-limoges-nord"),
    } <= set(steps)
    text = render(found)
    assert (
        "elsewhere-1 by academie/dsden (sent_in_error, recall rap-1 at 2026-11-23T11:05:00+01:00): "
        "told departement/mdd:87-limoges-nord, departement/sdas"
    ) in text
    assert "enrolment of elsewhere-1 by hub.recall rap-1" in text
    mise = await timeline(ledger.about, "mise-1")
    assert mise is not None
    assert "recalled" not in {s["kind"] for s in mise.as_json()["steps"]}


async def test_the_kind_column_fits_the_longest_kind_and_details_sit_under_the_text(
    ledger: SqliteState,
) -> None:
    steps: list[str] = []
    details: list[str] = []
    for query in (CASE, "gueret-1"):
        found = await timeline(ledger.about, query)
        assert found is not None
        for line in render(found).splitlines()[1:]:
            (details if line.startswith(" ") else steps).append(line)
    kinds = {line.split()[2] for line in steps}  # the day, the time, then the kind alone
    assert {"deadline-opened", "routing-alerted", "delivered", "rejected"} <= kinds
    assert kinds <= {*LINES, "rejected"}
    longest = max(len(kind) for kind in (*LINES, "rejected"))
    assert longest == len("deadline-alerted")
    column = len("2026-11-23 09:30:00.000  ") + longest + 1
    for line in steps:
        assert line[column - 1] == " ", line
        assert line[column] != " ", line
        assert line[: column - 1].rstrip().endswith(line.split()[2]), line
    assert details
    for line in details:
        assert line[:column].strip() == "", line
        assert line[column] != " ", line


async def test_a_trace_says_which_days_rules_a_file_is_under_and_what_the_hub_qualified(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    state = SqliteState(tmp_path / "housing.sqlite", clock=lambda: NOW)
    january = Intake(catalogue, directory, today=lambda: date(2027, 1, 5))
    relay = Relay(january, state, Outbox(), clock=lambda: NOW)
    referral = {**example("logement.saisine-impayes", "small-recent-debt", major=2)}
    referral.update(sent_on="2027-01-05", arrears_since="2026-12-20")  # a fortnight: not yet
    sent = record(
        referral,
        notice_id="ref-1",
        topic="hub.in.caf",
        source="/caf/caf",
        contract="logement.saisine-impayes",
        major=2,
        key=CASE.encode(),
    )
    await relay.process([sent])
    found = await timeline(state.about, "ref-1")
    assert found is not None
    text = render(found)
    assert "under the rules of 2027-01-05" in text
    assert "qualified arrears_qualification: no" in text
    await state.close()


async def test_a_hold_shows_what_holds_the_deadline_from_which_day_and_to_which(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    state = SqliteState(tmp_path / "holds.sqlite", clock=lambda: NOW)
    relay = Relay(Intake(catalogue, directory), state, Outbox(), clock=lambda: NOW)
    saint_junien = example(FORMAL_NOTICE, "saint-junien-minimal")  # sent 2026-11-02
    await relay.process([record(saint_junien, notice_id="mise-2", key=CASE.encode())])
    steps = example("instruction.regularisation", "saint-junien-home-education-requested", major=2)
    answer = ce_headers(
        notice_id="reg-2",
        contract="instruction.regularisation",
        major=2,
        **answering("mise-2", "/academie/dsden"),
    )
    await relay.process([_record(steps, answer, "hub.in.academie")])
    found = await timeline(state.about, "mise-2")
    assert found is not None
    [held] = [s for s in found.as_json()["steps"] if s["kind"] == "deadline-held"]
    assert (held["notice_id"], held["detail"]["holding_notice"]) == ("mise-2", "reg-2")
    text = render(found)
    assert (
        "deadline-held    enrolment of mise-2 by instruction.regularisation reg-2, declared "
        "2026-11-09: due 2027-01-09 (by 2027-01-09T23:00:00+00:00) if declared in time"
    ) in text
    assert "enrolment of mise-2: from 2026-11-02, due 2026-11-17" in text  # its own due day
    assert "deadline-closed" not in text
    await state.close()
