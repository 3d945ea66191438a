"""Deduplication: new, duplicate, conflict, resumed; and copies within one batch."""

from __future__ import annotations

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.dedup import Seen, deduplicate, reconcile
from hub.core.intake import Admitted, Intake, Rejected
from hub.wire.envelope import Record
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import record

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
SAINT_JUNIEN = example(FORMAL_NOTICE, "saint-junien-minimal")


@pytest.fixture
def intake(catalogue: Catalogue, directory: PartnerDirectory) -> Intake:
    return Intake(catalogue, directory)


def _admitted(intake: Intake, rec: Record) -> Admitted:
    outcome = intake.examine(rec)
    assert isinstance(outcome, Admitted), outcome
    return outcome


def test_reconcile_tells_new_duplicate_conflict_and_partial(intake: Intake) -> None:
    notice = _admitted(intake, record(LIMOGES))
    assert reconcile(notice, None) is notice
    every_office = frozenset(d.recipient.address for d in notice.deliveries)
    assert reconcile(notice, Seen(notice.digest, every_office)) is None
    conflict = reconcile(notice, Seen("other-digest"))
    assert isinstance(conflict, Rejected)
    assert [r.code for r in conflict.reasons] == ["notice.conflict"]
    partial = reconcile(notice, Seen(notice.digest, frozenset({"departement/sdas"})))
    assert isinstance(partial, Admitted)
    assert partial.resumed
    assert [d.recipient.address for d in partial.deliveries] == ["departement/mdd:87-limoges-nord"]


def test_within_a_batch_a_copy_is_acknowledged_and_a_clash_refused(intake: Intake) -> None:
    first = _admitted(intake, record(LIMOGES, notice_id="n-1"))
    copy = _admitted(intake, record(LIMOGES, notice_id="n-1", offset=1))
    clash = _admitted(intake, record(SAINT_JUNIEN, notice_id="n-1", offset=2))
    refused = intake.examine(Record("hub.in.isg", 0, 3, None, b"x", ()))
    notices, rejections, accepted = deduplicate([first, copy, clash, refused], {})
    assert notices == [first]
    assert [r.record.offset for r in rejections] == [2, 3]
    assert [r.reasons[0].code for r in rejections] == ["notice.conflict", "envelope.missing"]
    assert accepted == [first, copy]  # both acknowledged to the sender, one delivered
