"""Fairness: one partner's backlog holds another partner's notice for a bounded number of records.

The bound is counted in the ledger's order (the hub's decisions, one per record), never in
seconds: the académie's records decided after the CAF's notice was written and before it.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import hub_on_own_broker
from tests.integration.plain import PlainKafka, notice_headers

pytestmark = pytest.mark.kafka
BATCH = 100  # the hub's batch here, so that a small backlog is many batches
BACKLOG = 20 * BATCH
# The académie's batch being decided when the CAF's notice is written, and one more read while
# the CAF's own fetch comes back: then the CAF's batch is next, where the académie's share of
# it (the batch over the number of partners' topics, under half a batch) may come first.
BOUND = 2 * BATCH + BATCH // 2
Decision = tuple[int, str, str | None]  # seq, sender, notice id


def _decisions(ledger: Path) -> list[Decision]:
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT seq, sender, notice_id FROM entries"
            " WHERE kind IN ('accepted', 'rejected') ORDER BY seq"
        ).fetchall()
    return [(int(seq), str(sender), notice_id) for seq, sender, notice_id in rows]


def _until(ledger: Path, done: Callable[[list[Decision]], bool]) -> list[Decision]:
    """The ledger's decisions once `done` holds; fails when the hub stops deciding."""
    seen, idle_until = -1, time.monotonic() + 60
    while not done(rows := _decisions(ledger)):
        if len(rows) > seen:
            seen, idle_until = len(rows), time.monotonic() + 60
        assert time.monotonic() < idle_until, f"the hub stopped deciding at {len(rows)}"
        time.sleep(0.05)  # polling the ledger, the event waited for
    return rows


@pytest.mark.timeout(360)  # a hub restarted on a backlog; under 40 s on a quiet machine
@pytest.mark.parametrize("backlog_kind", ["valid", "invalid"])
def test_a_partners_backlog_holds_anothers_notice_for_a_bounded_number_of_records(
    tmp_path: Path, backlog_kind: str
) -> None:
    formal = (
        json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()
        if backlog_kind == "valid"
        else b"{}"  # refused by its schema: a backlog of records the hub refuses costs turns too
    )
    arrears = json.dumps(example("logement.saisine-impayes", "limoges-social-landlord")).encode()
    arrears_id = str(uuid.uuid4())
    with hub_on_own_broker(tmp_path, HUB_BATCH_MAX_RECORDS=str(BATCH)) as hub:
        plain = PlainKafka(hub.bootstrap)
        try:
            hub.stop()  # the backlog builds up while the hub is away, as after an outage
            backlog = [
                ("hub.in.academie", formal, notice_headers(str(uuid.uuid4())), _case())
                for _ in range(BACKLOG)
            ]
            plain.send_many(backlog)
            hub.start()
            hub.wait_ready()
            _until(hub.ledger, bool)  # draining the backlog
            caf = notice_headers(arrears_id, "/caf/caf", "logement.saisine-impayes")
            written = _decisions(hub.ledger)[-1][0]  # read first: what follows is counted
            plain.send("hub.in.caf", arrears, caf, key=_case())
            rows = _until(hub.ledger, lambda r: len(r) == BACKLOG + 1)
        finally:
            plain.close()
    decided = next(seq for seq, _, notice_id in rows if notice_id == arrears_id)
    held = [seq for seq, sender, _ in rows if written < seq < decided]
    assert {sender for _, sender, notice_id in rows if notice_id != arrears_id} == {
        "/academie/dsden"
    }
    assert len(held) <= BOUND, f"held by {len(held)} académie records"
    assert rows[-1][0] > decided  # it overtook the backlog: the test could fail


def _case() -> bytes:
    return str(uuid.uuid4()).encode()
