import json
from pathlib import Path
from typing import Literal

import pytest

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
    assert outbox.sent("n-1") == _record("n-1")
    outbox.settle("n-1", "accepted", {"case_id": "c"})
    settled = outbox.sent("n-1")
    assert settled is not None
    assert (settled.headers, settled.key) == (_record("n-1").headers, _record("n-1").key)
    outbox.close()


CANARY = "Canari-Zéphyrine-Outbox"


@pytest.mark.parametrize("state", ["accepted", "rejected"])
def test_a_settled_notice_leaves_no_payload_behind_only_what_settling_and_recall_need(
    tmp_path: Path, state: Literal["accepted", "rejected"]
) -> None:
    path = tmp_path / "outbox.sqlite"
    outbox = Outbox(path)
    payload = json.dumps({"child": {"last_name": CANARY}}, ensure_ascii=False).encode()
    headers = {"ce_id": "n-1", "ce_type": "ip.transmission", "ce_source": "/caf/caf"}
    outbox.put(Outgoing("hub.in.caf", b"case-1", payload, headers))
    outbox.put(Outgoing("hub.in.caf", b"case-2", payload, {**headers, "ce_id": "n-2"}))
    assert outbox.settle("n-1", state, {"case_id": "case-1"})
    kept = outbox.sent("n-1")
    assert kept is not None
    assert (kept.headers, kept.key, kept.value) == (headers, b"case-1", b"")  # recall's needs
    waiting = outbox.sent("n-2")
    assert waiting is not None
    assert waiting.value == payload  # not settled: still sent again until the hub answers
    assert outbox.settle("n-2", state, {"case_id": "case-2"})
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert CANARY.encode() not in on_disk, "a settled payload is still on disk"
    outbox.close()
