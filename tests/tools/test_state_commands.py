"""The commands that open the state: every look at a case is recorded against it."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import pytest

from hub.ledger.chain import Entry, Stored
from hub.ledger.timeline import timeline
from hub.state.sqlite import SqliteState
from hub.tools.cli import main
from tests.test_relay import NOW

CAF, MSA = "/caf/caf:87", "/msa/msa:limousin"
CASE_CAF = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
CASE_MSA = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
SHARED = "n-1"  # a notice id two senders both used, each in a case of its own


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    """Two senders' notices sharing an id, each in its case; another notice in the CAF's."""
    path = tmp_path / "state.sqlite"

    async def fill() -> None:
        state = SqliteState(path, clock=functools.partial(NOW.replace, day=23))
        await state.commit(
            [
                Entry(kind="accepted", sender=CAF, notice_id=SHARED, case_id=CASE_CAF),
                Entry(kind="accepted", sender=MSA, notice_id=SHARED, case_id=CASE_MSA),
                Entry(kind="accepted", sender=CAF, notice_id="n-2", case_id=CASE_CAF),
            ]
        )
        await state.close()

    asyncio.run(fill())
    return path


def _looks(path: Path) -> list[Stored]:
    async def read() -> list[Stored]:
        state = SqliteState(path)
        try:
            return [s for s in await state.entries() if s.entry.kind == "looked-up"]
        finally:
            await state.close()

    return asyncio.run(read())


def _case_steps(path: Path, case_id: str) -> list[str]:
    async def read() -> list[str]:
        state = SqliteState(path)
        try:
            found = await timeline(state.about, case_id)
        finally:
            await state.close()
        assert found is not None
        return [s.entry.kind for s in found.steps]

    return asyncio.run(read())


def test_showing_a_case_is_a_look_recorded_in_it(ledger: Path) -> None:
    assert main(["ledger", "show", "--path", str(ledger), "--case", CASE_CAF]) == 0
    [look] = _looks(ledger)
    assert (look.entry.case_id, look.entry.detail["query"]) == (CASE_CAF, CASE_CAF)
    assert look.entry.detail["operator"].startswith("local:")
    assert _case_steps(ledger, CASE_CAF) == ["accepted", "accepted", "looked-up"]
    assert _case_steps(ledger, CASE_MSA) == ["accepted"]


def test_showing_a_notice_is_a_look_recorded_in_every_case_it_names(ledger: Path) -> None:
    assert main(["ledger", "show", "--path", str(ledger), "--notice", SHARED]) == 0
    assert {(s.entry.case_id, s.entry.notice_id) for s in _looks(ledger)} == {
        (CASE_CAF, SHARED),
        (CASE_MSA, SHARED),
    }


def test_showing_the_whole_ledger_is_one_look_naming_how_many_cases(ledger: Path) -> None:
    assert main(["ledger", "show", "--path", str(ledger)]) == 0
    [look] = _looks(ledger)
    assert (look.entry.case_id, look.entry.detail["cases"]) == (None, 2)
    assert look.entry.detail["period"] is None  # the whole ledger


def test_an_export_is_one_look_naming_its_period_and_how_many_cases(
    ledger: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    args = ["audit", "export", "--path", str(ledger), "--out", str(out)]
    assert main([*args, "--from", "2026-11-01", "--to", "2026-12-01"]) == 0
    [look] = _looks(ledger)
    assert look.entry.case_id is None
    assert look.entry.detail["period"] == {
        "from": "2026-11-01T00:00:00+00:00",
        "to": "2026-12-01T00:00:00+00:00",
    }
    assert look.entry.detail["cases"] == 2
    assert (out / "manifest.json").exists()


def test_a_trace_of_an_id_two_senders_share_shows_in_both_cases(ledger: Path) -> None:
    assert main(["trace", SHARED, "--path", str(ledger)]) == 0
    assert _case_steps(ledger, CASE_CAF) == ["accepted", "accepted", "looked-up"]
    assert _case_steps(ledger, CASE_MSA) == ["accepted", "looked-up"]
