"""A batch examined as a whole, over a state that says what it was asked (no database)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.examination import examine_batch
from hub.core.intake import Admitted, Intake, Rejected
from hub.core.routing import NoticeKey, Origin
from hub.wire.envelope import Record
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import answering, ce_headers

pytestmark = pytest.mark.asyncio
CASE = "51e36384-2d67-48c7-8e6b-77c6363188a0"
SCHOOL, ISG = "/academie/service-social", "/isg/isg"
CRIP = frozenset({"departement/crip"})
IP_V2 = example("ip.transmission", "school-social-worker-serious-danger", major=2)
RETOUR = example("ip.retour", "mesure-administrative-service-social")  # answers IP_V2
LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
RECALLED = {
    "notice_id": "m-1",
    "contract": FORMAL_NOTICE,
    "reason_code": "wrong_person",
    "recalled_at": "2026-11-23T11:05:00+01:00",
}


@dataclass
class State:
    """Accepted notices (as the ledger knows them: no content), sealed records, parties."""

    notices: dict[NoticeKey, Origin] = field(default_factory=dict)
    sealed: dict[NoticeKey, Record] = field(default_factory=dict)
    parties: dict[str, frozenset[str]] = field(default_factory=dict)
    asked: list[tuple[str, set[Any]]] = field(default_factory=list)

    async def origins(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Origin]:
        self.asked.append(("origins", set(keys)))
        return {k: self.notices[k] for k in keys if k in self.notices}

    async def kept_records(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Record]:
        self.asked.append(("kept_records", set(keys)))
        return {k: self.sealed[k] for k in keys if k in self.sealed}

    async def case_parties(self, case_ids: Collection[str]) -> dict[str, frozenset[str]]:
        self.asked.append(("case_parties", set(case_ids)))
        return {c: self.parties[c] for c in case_ids if c in self.parties}

    async def case_opened(self, case_ids: Collection[str]) -> dict[str, date]:
        self.asked.append(("case_opened", set(case_ids)))
        return {}

    def asked_for(self, what: str) -> list[set[Any]]:
        return [keys for name, keys in self.asked if name == what]


@pytest.fixture
def intake(catalogue: Catalogue, directory: PartnerDirectory) -> Intake:
    return Intake(catalogue, directory)


def _record(  # noqa: PLR0913 - one keyword per thing a record here changes
    payload: dict[str, Any],
    *,
    notice_id: str,
    source: str,
    contract: str,
    major: int = 1,
    offset: int = 0,
    topic: str | None = None,
    case: str = CASE,
    **extra: str,
) -> Record:
    headers = ce_headers(
        notice_id=notice_id, source=source, contract=contract, major=major, **extra
    )
    topic = topic or f"hub.in.{source.split('/')[1]}"
    return Record(topic, 0, offset, case.encode(), json.dumps(payload).encode(), tuple(headers))


def _ip(source: str, offset: int = 0) -> Record:
    return _record(
        IP_V2, notice_id="ip-7", source=source, contract="ip.transmission", major=2, offset=offset
    )


def _retour(  # noqa: PLR0913 - one keyword per thing a feedback here changes
    names: str,
    *,
    notice_id: str = "retour-7",
    offset: int = 0,
    source: str = "/departement/crip",
    topic: str | None = None,
    case: str = CASE,
    **changed: Any,
) -> Record:
    return _record(
        {**RETOUR, **changed},
        notice_id=notice_id,
        source=source,
        contract="ip.retour",
        offset=offset,
        topic=topic,
        case=case,
        **answering("ip-7", names),
    )


def _receipt(**named: str) -> Record:
    body = {"notice_id": "ip-7", "status": "received", "at": "2026-11-23T10:00:00+01:00"}
    crip = "/departement/crip"
    return _record(
        body, notice_id="rc-7", source=crip, contract="hub.receipt", major=1, offset=0, **named
    )


def _in_ledger(source: str) -> Origin:
    return Origin("ip-7", source, "ip.transmission", CASE, CRIP)


def _sealed(payload: dict[str, Any]) -> Record:
    return Record("hub.in.academie", 0, 0, CASE.encode(), json.dumps(payload).encode(), ())


async def test_a_batch_answering_nothing_asks_for_no_notice(intake: Intake) -> None:
    state = State()
    notice = _record(LIMOGES, notice_id="m-1", source="/academie/dsden", contract=FORMAL_NOTICE)
    [outcome] = await examine_batch(intake, state, [notice])
    assert isinstance(outcome, Admitted), outcome
    assert state.asked == [("case_parties", {CASE}), ("case_opened", {CASE})]


async def test_the_notices_answers_name_are_asked_for_by_source_and_id_whole(
    intake: Intake,
) -> None:
    state = State({NoticeKey(SCHOOL, "ip-7"): _in_ledger(SCHOOL)})
    records = [
        _receipt(**answering("ip-7", SCHOOL)),
        _receipt(ce_causationid="ip-7"),  # no source: names no notice, asks for none
        _receipt(**answering("ip-7", "isg/isg")),  # not a source
    ]
    admitted, *refused = await examine_batch(intake, state, records)
    assert isinstance(admitted, Admitted), admitted
    assert [
        [(r.code, r.pointer) for r in o.reasons] for o in refused if isinstance(o, Rejected)
    ] == [
        [("answer.missing", "ce_causationsource")],
        [("envelope.invalid", "ce_causationsource")],
    ]
    assert state.asked_for("origins") == [{NoticeKey(SCHOOL, "ip-7")}]
    assert state.asked_for("kept_records") == []  # a receipt compares nothing


async def test_an_answer_is_compared_with_the_notice_as_sealed_and_read_alone(
    intake: Intake,
) -> None:
    state = State(
        {NoticeKey(SCHOOL, "ip-7"): _in_ledger(SCHOOL), NoticeKey(ISG, "ip-7"): _in_ledger(ISG)},
        {
            NoticeKey(SCHOOL, "ip-7"): _sealed(IP_V2),
            NoticeKey(ISG, "ip-7"): _sealed({**IP_V2, "sender_reference": "ISG87-2026-0231"}),
        },
    )
    school, isg = await examine_batch(intake, state, [_retour(SCHOOL), _retour(ISG, offset=1)])
    assert state.asked_for("kept_records") == [{NoticeKey(SCHOOL, "ip-7"), NoticeKey(ISG, "ip-7")}]
    assert isinstance(school, Admitted), school
    assert [d.recipient.address for d in school.deliveries] == ["academie/service-social"]
    assert isinstance(isg, Rejected)  # compared with the ISG's own IP, not the school's
    assert [(r.code, r.pointer) for r in isg.reasons] == [("answer.mismatch", "/sender_reference")]


async def test_the_vault_is_read_only_for_an_answer_its_sender_may_give(intake: Intake) -> None:
    """A stranger's `ip.retour` naming a real IP, or naming it in another case, reads nothing."""
    school_ip = NoticeKey(SCHOOL, "ip-7")
    state = State({school_ip: _in_ledger(SCHOOL)}, {school_ip: _sealed(IP_V2)})
    unfit = {
        "sender.spoofed": _retour(SCHOOL, topic="hub.in.isg"),  # the CRIP's name, the ISG's topic
        "sender.unknown-office": _retour(SCHOOL, source="/departement/nowhere"),
        "sender.not-producer": _retour(SCHOOL, source="/departement/sdas"),
        "answer.unknown-notice": _retour(SCHOOL, case="0f6a5d0e-8c1b-4f55-9a3e-2d7c1b9e4a10"),
    }
    for code, record in unfit.items():
        [outcome] = await examine_batch(intake, state, [record])
        assert isinstance(outcome, Rejected)
        assert [r.code for r in outcome.reasons] == [code]
    # A CRIP that neither sent nor received the IP (it went to the on-call office alone).
    on_call = frozenset({"departement/crip-astreinte"})
    elsewhere = State({school_ip: Origin("ip-7", SCHOOL, "ip.transmission", CASE, on_call)})
    elsewhere.sealed = state.sealed
    [outcome] = await examine_batch(intake, elsewhere, [_retour(SCHOOL)])
    assert isinstance(outcome, Rejected)
    assert [r.code for r in outcome.reasons] == ["answer.unknown-notice"]
    assert state.asked_for("kept_records") == elsewhere.asked_for("kept_records") == []
    [outcome] = await examine_batch(intake, state, [_retour(SCHOOL)])  # the CRIP's own answer
    assert isinstance(outcome, Admitted), outcome
    assert state.asked_for("kept_records") == [{school_ip}]


async def test_an_answer_to_a_notice_no_longer_sealed_is_refused_as_erased(
    intake: Intake,
) -> None:
    state = State({NoticeKey(SCHOOL, "ip-7"): _in_ledger(SCHOOL)})  # nothing left in the vault
    [outcome] = await examine_batch(intake, state, [_retour(SCHOOL)])
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [
        ("answer.case-erased", "ce_causationid")
    ]


async def test_an_answer_before_its_notice_in_a_batch_is_matched_by_source(
    intake: Intake,
) -> None:
    """The ledger holds the ISG's `ip-7`; the school's comes after its feedback in the batch."""
    state = State(
        {NoticeKey(ISG, "ip-7"): _in_ledger(ISG)},
        {NoticeKey(ISG, "ip-7"): _sealed(IP_V2)},
    )
    answer, notice = await examine_batch(intake, state, [_retour(SCHOOL), _ip(SCHOOL, offset=1)])
    assert isinstance(notice, Admitted), notice
    assert isinstance(answer, Admitted), answer
    assert answer.answered is not None
    assert (answer.answered.source, answer.answered.notice_id) == (SCHOOL, "ip-7")
    assert [d.recipient.address for d in answer.deliveries] == ["academie/service-social"]
    # Naming no notice of the batch, it stays unknown; naming one, it is compared with it.
    [unknown, mismatch, _] = await examine_batch(
        intake,
        State(),
        [
            _retour(ISG),
            _retour(SCHOOL, notice_id="retour-8", offset=1, sender_reference="X-1"),
            _ip(SCHOOL, offset=2),
        ],
    )
    assert isinstance(unknown, Rejected)
    assert [r.code for r in unknown.reasons] == ["answer.unknown-notice"]
    assert isinstance(mismatch, Rejected)
    assert [r.code for r in mismatch.reasons] == ["answer.mismatch"]


def _recall(notice_id: str, offset: int) -> Record:
    return _record(
        RECALLED,
        notice_id=notice_id,
        source="/academie/dsden",
        contract="hub.recall",
        offset=offset,
        **answering("m-1", "/academie/dsden"),
    )


async def test_of_two_recalls_of_one_notice_in_a_batch_the_first_wins(intake: Intake) -> None:
    notice = _record(LIMOGES, notice_id="m-1", source="/academie/dsden", contract=FORMAL_NOTICE)
    outcomes = await examine_batch(intake, State(), [notice, _recall("r-1", 1), _recall("r-2", 2)])
    assert [type(o).__name__ for o in outcomes] == ["Admitted", "Admitted", "Rejected"]
    first, second = outcomes[1], outcomes[2]
    assert isinstance(first, Admitted)
    assert first.answered is not None
    assert first.answered.notice_id == "m-1"
    assert isinstance(second, Rejected)
    assert [r.code for r in second.reasons] == ["recall.already-recalled"]


async def test_a_notice_in_a_case_of_others_is_refused_from_the_parties_looked_up(
    intake: Intake,
) -> None:
    state = State(parties={CASE: frozenset({"isg", "departement"})})
    notice = _record(LIMOGES, notice_id="m-1", source="/academie/dsden", contract=FORMAL_NOTICE)
    [outcome] = await examine_batch(intake, state, [notice])
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [("case.foreign", "key")]
