"""The recall of a notice sent in error, through the intake: its sender's only, once."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from hub.catalogue.checks import consistency
from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.meta import RECIPIENTS
from hub.core.intake import Admitted, Intake, Rejected
from hub.core.recall import RECALL, marked_recalled, recall_id
from hub.core.routing import NoticeKey, Origin
from hub.ledger.timeline import render, timeline
from hub.relay import Relay
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Outgoing, Record
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import answering, ce_headers, record
from tests.test_relay import NOW, Outbox

CASE = "3f6a2c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
SDAS, MDD = "departement/sdas", "departement/mdd:87-limoges-nord"
NOTICE = Origin("m-1", "/academie/dsden", FORMAL_NOTICE, CASE, frozenset({SDAS, MDD}))
RECALLED = {
    "notice_id": "m-1",
    "contract": FORMAL_NOTICE,
    "reason_code": "wrong_person",
    "recalled_at": "2026-11-23T11:05:00+01:00",
}


@pytest.fixture
def intake(catalogue: Catalogue, directory: PartnerDirectory) -> Intake:
    return Intake(catalogue, directory)


@pytest_asyncio.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[SqliteState]:
    ledger = SqliteState(tmp_path / "ledger.sqlite", clock=lambda: NOW)
    yield ledger
    await ledger.close()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def relay(intake: Intake, ledger: SqliteState, outbox: Outbox) -> Relay:
    return Relay(intake, ledger, outbox, clock=lambda: NOW)


def known(*origins: Origin) -> dict[NoticeKey, Origin]:
    """Accepted notices as the relay hands them over: by source and id."""
    return {NoticeKey(o.source, o.notice_id): o for o in origins}


def recall(  # noqa: PLR0913 - one keyword per thing a test changes
    payload: dict[str, Any] | None = None,
    *,
    notice_id: str = "r-1",
    source: str = "/academie/dsden",
    answers: str | None = "m-1",
    answers_from: str | None = "/academie/dsden",
    key: str | None = CASE,
    offset: int = 0,
) -> Record:
    """A recall as a partner's client writes it (no hub code): naming `answers_from`'s notice."""
    headers = ce_headers(notice_id=notice_id, source=source, contract=RECALL)
    if answers:
        headers.append(("ce_causationid", answers.encode()))
    if answers_from:
        headers.append(("ce_causationsource", answers_from.encode()))
    value = json.dumps(RECALLED if payload is None else payload).encode()
    topic = f"hub.in.{source.split('/')[1]}"
    return Record(topic, 0, offset, key.encode() if key else None, value, tuple(headers))


def test_a_recall_by_the_sender_reaches_every_office_that_received_the_notice(
    intake: Intake,
) -> None:
    outcome = intake.examine(recall(), known(NOTICE))
    assert isinstance(outcome, Admitted), outcome
    assert outcome.answered == NOTICE
    assert outcome.case_id == CASE
    assert [d.recipient.address for d in outcome.deliveries] == [MDD, SDAS]
    for delivery in outcome.deliveries:  # ids and codes, as the sender wrote them
        assert delivery.payload == RECALLED


def test_a_notice_delivered_to_no_office_is_recalled_to_no_office(intake: Intake) -> None:
    unrouted = Origin("m-1", "/academie/dsden", FORMAL_NOTICE, CASE)
    outcome = intake.examine(recall(), known(unrouted))
    assert isinstance(outcome, Admitted), outcome
    assert outcome.deliveries == ()


RECEIPT = Origin("m-1", "/academie/dsden", "hub.receipt", CASE, frozenset({SDAS}))
# A notice `m-1` of the académie's school social service, in the same case, to the SDAS.
ITS_OWN = Origin("m-1", "/academie/service-social", FORMAL_NOTICE, CASE, frozenset({SDAS}))
UNKNOWN = {
    "code": "recall.unknown-notice",
    "detail": "this office sent no notice that can be recalled with this id in this case",
    "pointer": "ce_causationid",
}


@pytest.mark.parametrize(
    ("record", "origins", "code", "pointer"),
    [
        (recall(answers=None), [NOTICE], "answer.missing", "ce_causationid"),
        (recall(answers_from=None), [NOTICE], "answer.missing", "ce_causationsource"),
        (recall(key=None), [NOTICE], "answer.missing", "key"),
        (recall(key="m-1"), [NOTICE], "envelope.key", "key"),
        (recall({**RECALLED, "notice_id": "m-2"}), [NOTICE], "recall.mismatch", "/notice_id"),
        (
            recall(),
            [dataclasses.replace(NOTICE, recalled_by="r-0")],
            "recall.already-recalled",
            "ce_causationid",
        ),
        (
            recall({**RECALLED, "contract": "ip.transmission"}),
            [NOTICE],
            "recall.mismatch",
            "/contract",
        ),
    ],
)
def test_a_recall_is_refused_with_its_own_code(
    intake: Intake,
    record: Record,
    origins: list[Origin],
    code: str,
    pointer: str,
) -> None:
    outcome = intake.examine(record, known(*origins))
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [(code, pointer)]


@pytest.mark.parametrize(
    ("record", "origins"),
    [
        pytest.param(recall(), [], id="unknown"),
        pytest.param(recall(key=str(uuid.uuid4())), [NOTICE], id="another-case"),
        pytest.param(recall(), [RECEIPT], id="not-recallable"),
        pytest.param(recall(answers_from="/isg/isg"), [NOTICE], id="another-source"),
        pytest.param(recall(source="/departement/sdas"), [NOTICE], id="a-recipient"),
        pytest.param(
            recall(source="/departement/sdas", answers_from="/departement/sdas"),
            [NOTICE],
            id="a-recipient-naming-itself",
        ),
        pytest.param(
            recall(source="/academie/service-social"),  # another office of the sender's partner
            [NOTICE],
            id="another-office",
        ),
        pytest.param(
            recall(answers_from="/academie/service-social"),  # another office's notice `m-1`
            [NOTICE, ITS_OWN],
            id="naming-another-offices-source",
        ),
        pytest.param(
            recall(source="/departement/sdas"),  # nor already recalled, nor of another contract
            [dataclasses.replace(NOTICE, recalled_by="r-0")],
            id="a-recipient-recalled-notice",
        ),
        pytest.param(
            recall({**RECALLED, "contract": "ip.transmission"}, source="/departement/sdas"),
            [NOTICE],
            id="a-recipient-another-contract",
        ),
    ],
)
def test_a_recall_of_a_notice_its_office_did_not_send_learns_nothing_about_it(
    intake: Intake, record: Record, origins: list[Origin]
) -> None:
    """One refusal, word for word, before any other check that would tell the notice exists."""
    outcome = intake.examine(record, known(*origins))
    assert isinstance(outcome, Rejected)
    assert [r.as_json() for r in outcome.reasons] == [UNKNOWN]


def test_the_recall_that_withdrew_a_notice_is_still_accepted_when_sent_again(
    intake: Intake,
) -> None:
    """Its duplicate is the deduplication's to recognise, and its redelivery the schedule's."""
    withdrawn = dataclasses.replace(NOTICE, recalled_by="r-1")
    assert isinstance(intake.examine(recall(notice_id="r-1"), known(withdrawn)), Admitted)


def test_a_recall_is_no_answer_from_a_recipient_even_where_an_answer_would_be(
    intake: Intake,
) -> None:
    """A receipt from the SDAS answers the notice; a recall from the SDAS is refused."""
    receipt = ce_headers(
        notice_id="rc-1",
        source="/departement/sdas",
        contract="hub.receipt",
        **answering("m-1", "/academie/dsden"),
    )
    body = {"notice_id": "m-1", "status": "processed", "at": "2026-11-23T10:00:00+01:00"}
    record = Record(
        "hub.in.departement", 0, 0, CASE.encode(), json.dumps(body).encode(), tuple(receipt)
    )
    assert isinstance(intake.examine(record, known(NOTICE)), Admitted)
    refused = intake.examine(recall(source="/departement/sdas"), known(NOTICE))
    assert isinstance(refused, Rejected)
    assert [r.as_json() for r in refused.reasons] == [UNKNOWN]


def test_one_sender_recalls_its_own_notice_where_two_sources_share_an_id(
    intake: Intake,
) -> None:
    other = Origin("m-1", "/isg/isg", FORMAL_NOTICE, CASE, frozenset({"departement/crip"}))
    outcome = intake.examine(recall(), known(other, NOTICE))
    assert isinstance(outcome, Admitted), outcome
    assert outcome.answered == NOTICE
    outcome = intake.examine(recall(), known(NOTICE, other))
    assert isinstance(outcome, Admitted), outcome
    assert outcome.answered == NOTICE


def test_every_notice_a_receipt_answers_can_be_recalled_and_its_recall_receipted(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    contract, receipt = catalogue.contracts[RECALL], catalogue.contracts["hub.receipt"]
    assert set(contract.meta.answers) == set(receipt.meta.answers) - {RECALL}
    assert RECALL in receipt.meta.answers
    assert [c.office for c in contract.meta.consumers] == [RECIPIENTS]
    assert all(producer in receipt.meta.producers for producer in contract.meta.producers)
    bare = dataclasses.replace(contract, meta=contract.meta.model_copy(update={"answers": ()}))
    broken = Catalogue(
        {**catalogue.contracts, RECALL: bare},
        catalogue.registry,
        catalogue.fast_registry,
        catalogue.categories,
        catalogue.policy,
    )
    assert f"{RECALL}: a consumer `recipients` needs `answers`" in consistency(broken, directory)


def test_a_recall_has_one_id_per_notice_and_sender() -> None:
    first = recall_id("/academie/dsden", "m-1")
    assert first == recall_id("/academie/dsden", "m-1") == str(uuid.UUID(first))
    assert first != recall_id("/academie/dsden", "m-2")
    assert first != recall_id("/isg/isg", "m-1")


def test_a_recall_earlier_in_a_batch_marks_its_notice_alone() -> None:
    other = Origin("m-1", "/isg/isg", FORMAL_NOTICE, CASE)
    marked = marked_recalled(known(other, NOTICE), NOTICE, "r-1")
    assert marked == known(other, dataclasses.replace(NOTICE, recalled_by="r-1"))
    assert marked[NoticeKey("/isg/isg", "m-1")].recalled_by is None
    in_batch = Origin("m-9", "/academie/dsden", FORMAL_NOTICE, CASE)
    assert marked_recalled({}, in_batch, "r-9") == known(
        dataclasses.replace(in_batch, recalled_by="r-9")
    )


# Through the relay: the ledger, the deliveries and the answers to the sender.

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")


def _recalls(outbox: Outbox) -> list[Outgoing]:
    return [o for o in outbox.sent if o.headers["ce_type"] == RECALL]


def _answers(outbox: Outbox, contract: str) -> list[dict[str, Any]]:
    return [json.loads(o.value) for o in outbox.sent if o.headers["ce_type"] == contract]


def _receipt(office: str, answered: str, offset: int) -> Record:
    headers = ce_headers(
        notice_id=f"rc-{offset}",
        source=f"/{office}",
        contract="hub.receipt",
        **answering(answered, "/academie/dsden"),  # a notice or a recall of the DSDEN
    )
    body = {"notice_id": answered, "status": "processed", "at": "2026-11-23T12:00:00+01:00"}
    partner = office.split("/", 1)[0]
    return Record(
        f"hub.in.{partner}", 0, offset, CASE.encode(), json.dumps(body).encode(), tuple(headers)
    )


@pytest.mark.asyncio
async def test_a_recall_reaches_each_office_closes_the_deadline_and_is_receipted_to_its_sender(
    relay: Relay, outbox: Outbox, ledger: SqliteState
) -> None:
    await relay.process([record(LIMOGES, notice_id="m-1", key=CASE.encode())])
    outbox.sent.clear()
    report = await relay.process([recall()])
    assert (report.accepted, report.delivered) == (1, 2)
    delivered = _recalls(outbox)
    assert sorted(o.headers["ce_recipient"] for o in delivered) == [MDD, SDAS]
    for sent in delivered:  # a delivery like any other: the sender's attributes, the case's key
        assert sent.topic == "hub.out.departement"
        assert sent.key == CASE.encode()
        assert (sent.headers["ce_id"], sent.headers["ce_source"]) == ("r-1", "/academie/dsden")
        assert sent.headers["ce_causationid"] == "m-1"
        assert sent.headers["ce_causationsource"] == "/academie/dsden"
        assert json.loads(sent.value) == RECALLED
    [acceptance] = _answers(outbox, "hub.acceptance")
    assert acceptance["accepted"] == {"id": "r-1", "type": RECALL}
    assert acceptance["delivered_to"] == [MDD, SDAS]
    steps = [s.entry for s in await ledger.entries()]
    [withdrawn] = [e for e in steps if e.kind == "recalled"]
    assert (withdrawn.notice_id, withdrawn.sender, withdrawn.contract) == (
        "m-1",
        "/academie/dsden",
        FORMAL_NOTICE,
    )
    assert withdrawn.detail == {
        "recall_id": "r-1",
        "reason_code": "wrong_person",
        "recalled_at": RECALLED["recalled_at"],
        "offices": [MDD, SDAS],
    }
    [closed] = [e for e in steps if e.kind == "deadline-closed"]
    assert closed.notice_id == "m-1"
    assert closed.detail["closed_by"] == RECALL
    assert closed.detail["closing_notice"] == "r-1"
    assert await ledger.overdue(datetime(2027, 6, 1, tzinfo=UTC).date()) == []
    outbox.sent.clear()
    await relay.process([_receipt(SDAS, "r-1", 1), _receipt(MDD, "r-1", 2)])
    receipts = [o for o in outbox.sent if o.headers["ce_type"] == "hub.receipt"]
    assert [r.headers["ce_recipient"] for r in receipts] == ["academie/dsden"] * 2
    assert {json.loads(r.value)["notice_id"] for r in receipts} == {"r-1"}
    found = await timeline(ledger.about, "m-1")
    assert found is not None
    text = render(found)
    # The kind, then the step in the column after the longest kind (`hub.ledger.timeline`).
    assert re.search(r"  recalled +m-1 by academie/dsden \(wrong_person, recall r-1", text), text
    assert re.search(rf"  receipted +r-1 by {SDAS}: processed", text), text
    assert (await ledger.verify()).ok


@pytest.mark.asyncio
async def test_a_recall_by_another_office_is_refused_to_it_and_reaches_no_one(
    relay: Relay, outbox: Outbox, ledger: SqliteState
) -> None:
    await relay.process([record(LIMOGES, notice_id="m-1", key=CASE.encode())])
    outbox.sent.clear()
    report = await relay.process([recall(source="/departement/sdas")])
    assert report.rejected == 1
    assert _recalls(outbox) == []
    [rejection] = outbox.sent
    assert rejection.headers["ce_recipient"] == SDAS
    assert json.loads(rejection.value)["reasons"] == [UNKNOWN]
    assert not [s for s in await ledger.entries() if s.entry.kind == "recalled"]


@pytest.mark.asyncio
async def test_a_notice_is_recalled_once_and_its_recall_sent_again_is_a_duplicate(
    relay: Relay, outbox: Outbox
) -> None:
    await relay.process([record(LIMOGES, notice_id="m-1", key=CASE.encode())])
    await relay.process([recall()])
    outbox.sent.clear()
    again = await relay.process([recall(offset=1), recall(notice_id="r-2", offset=2)])
    assert (again.duplicates, again.rejected, again.delivered) == (1, 1, 0)
    [acceptance] = _answers(outbox, "hub.acceptance")
    assert acceptance["accepted"]["id"] == "r-1"
    [rejection] = _answers(outbox, "hub.rejection")
    assert rejection["refused"]["id"] == "r-2"
    assert [r["code"] for r in rejection["reasons"]] == ["recall.already-recalled"]


@pytest.mark.asyncio
async def test_a_notice_and_its_recalls_in_one_batch_one_recall_wins(
    relay: Relay, outbox: Outbox
) -> None:
    report = await relay.process(
        [
            record(LIMOGES, notice_id="m-1", key=CASE.encode()),
            recall(offset=1),
            recall(notice_id="r-2", offset=2),
        ]
    )
    assert (report.accepted, report.rejected) == (2, 1)
    assert {o.headers["ce_id"] for o in _recalls(outbox)} == {"r-1"}
    [rejection] = _answers(outbox, "hub.rejection")
    assert [r["code"] for r in rejection["reasons"]] == ["recall.already-recalled"]
