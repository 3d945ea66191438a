from pathlib import Path

from adapters.sdk.outbox import Outbox
from hub.wire.envelope import Outgoing


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _record(notice_id: str) -> Outgoing:
    return Outgoing("hub.in.academie", b"case", b"{}", {"ce_id": notice_id})


def test_a_notice_is_queued_once_and_resent_with_backoff_until_settled(tmp_path: Path) -> None:
    clock = Clock()
    outbox = Outbox(tmp_path / "outbox.sqlite", resend_after=10, resend_max=25, clock=clock)
    assert outbox.put(_record("n-1"))
    assert not outbox.put(_record("n-1"))
    assert [r.headers["ce_id"] for r in outbox.due()] == ["n-1"]
    waits = []
    for _ in range(3):
        outbox.attempted("n-1")
        sent_at = clock.now
        while not outbox.due():
            clock.now += 1
        waits.append(clock.now - sent_at)
    assert waits == [10, 20, 25]
    assert outbox.settle("n-1", "accepted", {"case_id": "c"})
    assert outbox.due() == []
    assert outbox.unsettled() == 0
    settlement = outbox.settlement("n-1")
    assert settlement is not None
    assert (settlement.state, settlement.outcome) == ("accepted", {"case_id": "c"})
    assert not outbox.settle("n-1", "rejected", {})  # settled once


def test_the_outbox_survives_a_restart(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    outbox.put(_record("n-2"))
    outbox.close()
    reopened = Outbox(tmp_path / "outbox.sqlite")
    assert [r.headers["ce_id"] for r in reopened.due()] == ["n-2"]
    assert reopened.unsettled() == 1
    assert reopened.settlement("unknown") is None


def test_the_outbox_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "etat" / "outbox.sqlite", resend_after=30)
    outbox.close()
    assert (tmp_path / "etat").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "etat" / "outbox.sqlite").stat().st_mode & 0o777 == 0o600


def test_a_queued_record_is_found_by_its_id_settled_or_not(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    assert outbox.sent("n-1") is None
    outbox.put(_record("n-1"))
    outbox.settle("n-1", "accepted", {"case_id": "c"})
    assert outbox.sent("n-1") == _record("n-1")
    outbox.close()
