"""One test case for every ledger backend (SQLite today; PostgreSQL implements the same port)."""

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from hub.catalogue.in_force import local_day
from hub.core.dedup import Seen
from hub.core.routing import NoticeKey, Origin
from hub.ledger import Entry
from hub.state import State
from hub.state.port import Kept
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Record

Tamper = Callable[[str, tuple[object, ...]], None]


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[State, Tamper]:
    path = tmp_path / "ledger.sqlite"

    def tamper(sql: str, args: tuple[object, ...]) -> None:
        with sqlite3.connect(path) as db:
            db.execute(sql, args)

    assert request.param == "sqlite"
    return SqliteState(path), tamper


@pytest_asyncio.fixture
async def ledger(backend: tuple[State, Tamper]) -> AsyncIterator[State]:
    yield backend[0]
    await backend[0].close()


def _accepted(notice_id: str, digest: str = "d1") -> Entry:
    return Entry(
        kind="accepted",
        sender="/academie/dsden",
        notice_id=notice_id,
        case_id="case-1",
        contract="c",
        version=1,
        digest=digest,
    )


def _delivered(notice_id: str, office: str) -> Entry:
    return Entry(
        kind="delivered",
        sender="/academie/dsden",
        notice_id=notice_id,
        case_id="case-1",
        contract="c",
        version=1,
        office=office,
        digest="d1",
    )


async def _five_entries(ledger: State) -> None:
    await ledger.commit([_accepted("n-1"), _accepted("n-2", "d2")])
    await ledger.commit([_delivered("n-1", "departement/sdas"), _delivered("n-2", "x/y")])
    await ledger.commit([Entry("rejected", "/academie", detail={"reasons": ["schema.type"]})])


@pytest.mark.asyncio
async def test_entries_come_back_in_order_and_the_chain_verifies(ledger: State) -> None:
    await _five_entries(ledger)
    stored = await ledger.entries()
    assert [s.seq for s in stored] == [1, 2, 3, 4, 5]
    assert [s.entry.kind for s in stored] == ["accepted"] * 2 + ["delivered"] * 2 + ["rejected"]
    assert stored[4].entry.detail == {"reasons": ["schema.type"]}
    result = await ledger.verify()
    assert result.ok
    assert (result.entries, result.head) == (5, stored[-1].hash)


@pytest.mark.asyncio
async def test_an_empty_ledger_verifies(ledger: State) -> None:
    assert (await ledger.verify()).ok


@pytest.mark.parametrize(
    ("sql", "args", "problem"),
    [
        ("UPDATE entries SET office = ? WHERE seq = 3", ("departement/crip",), "#3 was altered"),
        ("UPDATE entries SET detail = ? WHERE seq = 5", ("{}",), "#5 was altered"),
        ("DELETE FROM entries WHERE seq = ?", (2,), "#2 is missing"),
        ("DELETE FROM entries WHERE seq = ?", (5,), "ends at #4 but the head says #5"),
    ],
)
@pytest.mark.asyncio
async def test_an_edited_or_deleted_entry_breaks_the_chain(
    backend: tuple[State, Tamper], sql: str, args: tuple[object, ...], problem: str
) -> None:
    ledger, tamper = backend
    try:
        await _five_entries(ledger)
        tamper(sql, args)
        result = await ledger.verify()
        assert not result.ok
        assert problem in (result.problem or "")
    finally:
        await ledger.close()


@pytest.mark.asyncio
async def test_seen_reports_digest_and_offices_served_per_source_and_id(ledger: State) -> None:
    await _five_entries(ledger)
    keys = [NoticeKey("/academie/dsden", "n-1"), NoticeKey("/isg/isg", "n-1")]
    assert await ledger.seen([*keys, NoticeKey("/academie/dsden", "n-3")]) == {
        keys[0]: Seen("d1", frozenset({"departement/sdas"}))
    }


@pytest.mark.asyncio
async def test_seen_handles_more_ids_than_one_query_takes(ledger: State) -> None:
    await ledger.commit([_accepted(f"n-{i}") for i in range(1200)])
    keys = [NoticeKey("/academie/dsden", f"n-{i}") for i in range(0, 1300, 7)]
    assert len(await ledger.seen(keys)) == len([i for i in range(0, 1300, 7) if i < 1200])


@pytest.mark.asyncio
async def test_origins_name_sender_contract_case_and_recipients(ledger: State) -> None:
    accepted = Entry(
        "accepted", "/academie/dsden", "n-1", "case-1", "c", 1, detail={"recipients": ["x/y"]}
    )
    await ledger.commit([accepted, _accepted("n-2")])
    n1, n9 = NoticeKey("/academie/dsden", "n-1"), NoticeKey("/academie/dsden", "n-9")
    assert await ledger.origins([n1, n9]) == {
        n1: Origin("n-1", "/academie/dsden", "c", "case-1", frozenset({"x/y"}), major=1)
    }
    assert await ledger.origins([]) == {}


@pytest.mark.asyncio
async def test_origins_are_found_by_source_and_id_each_with_its_own_recall(ledger: State) -> None:
    """The ISG sent a notice `n-1` too: neither is found by the other's source, nor recalled."""
    dsden = Entry(
        "accepted", "/academie/dsden", "n-1", "case-1", "c", 1, detail={"recipients": ["x/y"]}
    )
    isg = Entry("accepted", "/isg/isg", "n-1", "case-2", "c", 1, detail={"recipients": ["x/z"]})
    recall = Entry("recalled", "/isg/isg", "n-1", "case-2", "c", detail={"recall_id": "r-1"})
    await ledger.commit([dsden, isg, recall])
    of_dsden, of_isg = NoticeKey("/academie/dsden", "n-1"), NoticeKey("/isg/isg", "n-1")
    assert await ledger.origins([of_dsden, NoticeKey("/academie/service-social", "n-1")]) == {
        of_dsden: Origin("n-1", "/academie/dsden", "c", "case-1", frozenset({"x/y"}), major=1)
    }
    assert await ledger.origins([of_isg, of_dsden]) == {
        of_dsden: Origin("n-1", "/academie/dsden", "c", "case-1", frozenset({"x/y"}), major=1),
        of_isg: Origin(
            "n-1", "/isg/isg", "c", "case-2", frozenset({"x/z"}), recalled_by="r-1", major=1
        ),
    }


@pytest.mark.asyncio
async def test_a_case_is_under_the_rules_of_the_day_its_first_notice_was_accepted(
    ledger: State,
) -> None:
    first = Entry(
        "accepted", "/caf/caf", "n-1", "case-1", "c", 2, detail={"regime_on": "2026-12-20"}
    )
    later = Entry(
        "accepted", "/caf/caf", "n-2", "case-1", "c", 2, detail={"regime_on": "2027-01-05"}
    )
    before = Entry("accepted", "/caf/caf", "n-3", "case-2", "c", 1, detail={})  # no regime_on
    await ledger.commit([first, later, before])
    opened = await ledger.case_opened(["case-1", "case-2", "case-9"])
    assert opened["case-1"] == dt.date(2026, 12, 20)
    # Accepted before the hub recorded the day: the day it was recorded, in the département.
    [stored] = [s for s in await ledger.about(["case-2"]) if s.entry.notice_id == "n-3"]
    recorded = dt.datetime.fromisoformat(stored.recorded_at)
    assert opened["case-2"] == local_day(recorded)
    assert "case-9" not in opened
    assert await ledger.case_opened([]) == {}


@pytest.mark.asyncio
async def test_kept_records_are_read_together_and_an_erased_case_is_read_as_nothing(
    ledger: State,
) -> None:
    record = Record("hub.in.academie", 0, 1, b"case-1", b'{"n": 1}', (("ce_id", b"n-1"),))
    other = Record("hub.in.isg", 0, 2, b"case-2", b'{"n": 2}', (("ce_id", b"i-1"),))
    await ledger.commit(
        [_accepted("n-1")],
        [
            Kept("case-1", "/academie/dsden", "n-1", record),
            Kept("case-2", "/isg/isg", "i-1", other),
        ],
    )
    first, second = NoticeKey("/academie/dsden", "n-1"), NoticeKey("/isg/isg", "i-1")
    unknown = NoticeKey("/academie/dsden", "n-9")
    assert await ledger.kept_records({first, second, unknown}) == {first: record, second: other}
    assert await ledger.erase("case-2", Entry("erased", "/hub", case_id="case-2"))
    assert await ledger.kept_records({first, second}) == {first: record}
    assert await ledger.kept_records(set()) == {}
