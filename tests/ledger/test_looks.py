"""Looks at cases as ledger entries: one per case an id names; one for a look over many."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.ledger.chain import Entry, Stored
from hub.ledger.looks import looked_over, looked_up
from hub.ledger.timeline import Timeline

CASES = ("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")


def _stored(seq: int, sender: str, notice_id: str, case_id: str) -> Stored:
    entry = Entry(kind="accepted", sender=sender, notice_id=notice_id, case_id=case_id)
    return Stored(seq, "2026-11-23T09:30:00+00:00", entry, "0" * 64, "1" * 64, "{}")


SHARED = (_stored(1, "/caf/caf:87", "n-1", CASES[0]), _stored(2, "/msa/msa:87", "n-1", CASES[1]))


def test_a_look_at_a_notice_id_two_senders_share_is_recorded_in_both_cases() -> None:
    looks = looked_up("alice", "n-1", Timeline("n-1", "notice", SHARED))
    assert [(e.kind, e.notice_id, e.case_id) for e in looks] == [
        ("looked-up", "n-1", CASES[0]),
        ("looked-up", "n-1", CASES[1]),
    ]
    assert {str(e.detail) for e in looks} == {
        "{'operator': 'alice', 'query': 'n-1', 'found': True}"
    }


def test_a_look_at_a_case_is_recorded_in_it_and_one_at_nothing_in_none() -> None:
    [look] = looked_up("alice", CASES[0], Timeline(CASES[0], "case", SHARED[:1]))
    assert (look.notice_id, look.case_id) == (None, CASES[0])
    [missed] = looked_up("alice", "n-9", None)
    assert (missed.case_id, missed.detail["query"], missed.detail["found"]) == (None, "n-9", False)


def test_a_query_that_is_not_an_id_is_never_recorded_as_typed() -> None:
    [look] = looked_up("alice", "Martin Léa", None)
    assert look.detail == {"operator": "alice", "query": None, "found": False}


def test_a_look_over_a_period_is_one_entry_naming_it_and_how_many_cases() -> None:
    period = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    look = looked_over("bob", [*SHARED, SHARED[0]], period)
    assert (look.kind, look.case_id, look.notice_id) == ("looked-up", None, None)
    assert look.detail == {
        "operator": "bob",
        "query": None,
        "found": True,
        "period": {"from": "2026-11-01T00:00:00+00:00", "to": "2026-12-01T00:00:00+00:00"},
        "cases": 2,
    }
    assert looked_over("bob", [], None).detail["period"] is None
