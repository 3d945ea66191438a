"""The law's dates at the intake: a file judged by the rules of the day its case opened."""

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.in_force import Calendar, InForce, local_day
from hub.core.intake import Admitted, Intake, Rejected
from hub.core.routing import NoticeKey, Origin
from hub.ledger.entries import accepted, deadlines_opened
from hub.wire.envelope import Record
from tests.conftest import example
from tests.notices import answering, ce_headers

REFERRAL = "logement.saisine-impayes"
PAYERS_DECISION = "logement.decision-payeur"
CCAPEX_DECISION = "logement.decision-ccapex"
DECEMBER = date(2026, 12, 20)
JANUARY = date(2027, 1, 5)
CASE = str(uuid.uuid4())


def _intake(catalogue: Catalogue, directory: PartnerDirectory, today: date) -> Intake:
    return Intake(catalogue, directory, today=lambda: today)


def _record(  # noqa: PLR0913 - one keyword per thing a test changes
    payload: dict[str, Any],
    contract: str,
    source: str,
    *,
    major: int = 1,
    case: str = CASE,
    answers: tuple[str, str] | None = None,
) -> Record:
    partner = source.split("/")[1]
    notice_id = str(uuid.uuid4())
    if answers:
        headers = ce_headers(
            notice_id=notice_id,
            source=source,
            contract=contract,
            major=major,
            **answering(*answers),
        )
    else:
        headers = ce_headers(notice_id=notice_id, source=source, contract=contract, major=major)
    value = json.dumps(payload).encode()
    return Record(f"hub.in.{partner}", 0, 0, case.encode(), value, tuple(headers))


def _referral(**changes: Any) -> dict[str, Any]:
    return {**example(REFERRAL, "limoges-social-landlord", major=2), **changes}


def _codes(outcome: Admitted | Rejected) -> list[tuple[str, str | None]]:
    assert isinstance(outcome, Rejected), outcome
    return [(r.code, r.pointer) for r in outcome.reasons]


def test_the_payers_decision_is_refused_in_a_file_opened_in_2027_and_names_its_successor(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    decision = example(PAYERS_DECISION, "maintained-with-plan")
    january = _intake(catalogue, directory, JANUARY)
    outcome = january.examine(_record(decision, PAYERS_DECISION, "/caf/caf"))
    assert _codes(outcome) == [("contract.not-in-force", "ce_type")]
    assert isinstance(outcome, Rejected)
    detail = outcome.reasons[0].detail
    assert "in force until 2026-12-31" in detail
    assert "not for a file opened on 2027-01-05" in detail
    assert detail.endswith(f"send {CCAPEX_DECISION}")
    # A file opened in December stays under December's rules in January.
    opened = {CASE: DECEMBER}
    kept = january.examine(_record(decision, PAYERS_DECISION, "/caf/caf"), opened=opened)
    assert isinstance(kept, Admitted), kept
    assert kept.calendar == Calendar(DECEMBER, JANUARY)
    assert [d.recipient.address for d in kept.deliveries] == ["ccapex/ccapex"]


def _referred(catalogue: Catalogue, directory: PartnerDirectory, today: date) -> Admitted:
    outcome = _intake(catalogue, directory, today).examine(
        _record(_referral(), REFERRAL, "/caf/caf", major=2)
    )
    assert isinstance(outcome, Admitted), outcome
    return outcome


def _origin(referral: Admitted) -> dict[NoticeKey, Origin]:
    recipients = frozenset(d.recipient.address for d in referral.deliveries)
    origin = Origin(
        referral.envelope.id,
        referral.envelope.source,
        REFERRAL,
        referral.case_id,
        recipients,
        content=referral.payload,
        major=2,
    )
    return {referral.key: origin}


def test_the_ccapex_decides_only_in_files_opened_from_2027_and_tells_the_referring_payer(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    decision = example(CCAPEX_DECISION, "maintained-with-plan")
    january = _intake(catalogue, directory, JANUARY)
    referral = _referred(catalogue, directory, JANUARY)
    record = _record(
        decision,
        CCAPEX_DECISION,
        "/ccapex/ccapex",
        answers=(referral.envelope.id, "/caf/caf"),
    )
    outcome = january.examine(record, _origin(referral), opened={CASE: JANUARY})
    assert isinstance(outcome, Admitted), outcome
    assert [d.recipient.address for d in outcome.deliveries] == ["caf/caf"]
    # The same decision in a file the payer referred in December: the payer decides there.
    refused = january.examine(record, _origin(referral), opened={CASE: DECEMBER})
    assert _codes(refused) == [("contract.not-in-force", "ce_type")]


def test_a_decision_naming_another_payer_than_the_referral_is_refused(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    # The MSA's allocataire's decision never answers (and reaches) the CAF.
    decision = example(CCAPEX_DECISION, "msa-suspended")
    referral = _referred(catalogue, directory, JANUARY)
    record = _record(
        decision,
        CCAPEX_DECISION,
        "/ccapex/ccapex",
        answers=(referral.envelope.id, "/caf/caf"),
    )
    outcome = _intake(catalogue, directory, JANUARY).examine(
        record, _origin(referral), opened={CASE: JANUARY}
    )
    assert {code for code, _ in _codes(outcome)} == {"answer.mismatch"}


@pytest.mark.parametrize(
    ("debt", "since", "qualified"),
    [
        (300.0, "2026-10-05", True),  # three months unpaid, whatever the amount
        (300.0, "2026-12-05", False),  # a month: not yet arrears, carried all the same
        (450.01, "2026-12-05", True),  # above 450 euros at once
        (450.0, "2026-12-05", False),
    ],
)
def test_a_2027_referral_is_qualified_by_the_decree_of_2026_and_never_refused(
    catalogue: Catalogue,
    directory: PartnerDirectory,
    debt: float,
    since: str,
    qualified: bool,  # noqa: FBT001
) -> None:
    payload = _referral(debt_amount=debt, arrears_since=since, sent_on="2027-01-05")
    outcome = _intake(catalogue, directory, JANUARY).examine(
        _record(payload, REFERRAL, "/caf/caf", major=2)
    )
    assert isinstance(outcome, Admitted), outcome
    [delivery] = outcome.deliveries
    found = delivery.payload["arrears_qualification"]
    assert found["qualified"] is qualified
    assert found["text"].startswith("Décret n° 2026-84")
    assert accepted(outcome).detail["qualified"] == {"arrears_qualification": qualified}
    assert accepted(outcome).detail["regime_on"] == "2027-01-05"
    assert "arrears_qualification" not in outcome.payload  # the payload as sent, kept as sent


def test_a_backdated_referral_accepted_in_january_is_under_the_2027_rules(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    # Dates of December in the payload do not move the file: the hub's calendar does.
    payload = _referral(debt_amount=300.0, arrears_since="2026-11-20", sent_on="2026-12-18")
    outcome = _intake(catalogue, directory, JANUARY).examine(
        _record(payload, REFERRAL, "/caf/caf", major=2)
    )
    assert isinstance(outcome, Admitted), outcome
    assert outcome.calendar == Calendar(JANUARY, JANUARY)
    found = outcome.deliveries[0].payload["arrears_qualification"]
    assert (found["qualified"], found["text"][:16]) == (False, "Décret n° 2026-8")


def test_a_sender_filling_the_hubs_qualification_is_refused(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    payload = _referral(arrears_qualification={"qualified": True, "text": "CCH R824-1"})
    outcome = _intake(catalogue, directory, DECEMBER).examine(
        _record(payload, REFERRAL, "/caf/caf", major=2)
    )
    assert _codes(outcome) == [("scope.qualification", "/arrears_qualification")]


def test_the_plan_check_of_r824_19_opens_in_a_2026_file(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    decision = example(PAYERS_DECISION, "maintained-with-plan")
    outcome = _intake(catalogue, directory, DECEMBER).examine(
        _record(decision, PAYERS_DECISION, "/caf/caf")
    )
    assert isinstance(outcome, Admitted), outcome
    opened = {e.detail["deadline"]: e.detail for e in deadlines_opened(outcome)}
    assert "plan_check" in opened
    assert opened["plan_check"]["opened_on"] == decision["decided_on"]


def test_a_dated_rule_reaches_older_files_only_when_it_says_how() -> None:
    new_rule = InForce.model_validate({"from": "2027-01-01", "text": "décret"})
    reaching = new_rule.model_copy(update={"older_files": "the decree's article: how"})
    older_file = Calendar(DECEMBER, JANUARY)
    assert not older_file.applies(new_rule)
    assert older_file.applies(reaching)
    assert not Calendar(DECEMBER, DECEMBER).applies(reaching)  # not before its first day
    assert Calendar(JANUARY, JANUARY).applies(new_rule)
    assert older_file.applies(None)


def test_the_hubs_day_is_the_departements() -> None:
    # 23:30 UTC on 31 December is already 1 January in Paris: the 2027 rules.
    assert local_day(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2027, 1, 1)
    assert local_day(datetime(2026, 12, 31, 22, 59, tzinfo=UTC)) == date(2026, 12, 31)


def test_a_decision_answering_a_v1_referral_is_compared_with_it_read_as_v2(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    # v1 named the CAF's allocataire (`caf_allocataire`): read as v2, its payer is the CAF.
    january = _intake(catalogue, directory, JANUARY)
    v1 = example(REFERRAL, "limoges-social-landlord")
    referral = january.examine(_record(v1, REFERRAL, "/caf/caf"))
    assert isinstance(referral, Admitted), referral
    [origin] = _origin(referral).values()
    origins = {referral.key: dataclasses.replace(origin, content=v1, major=1)}
    decision = example(CCAPEX_DECISION, "maintained-with-plan")
    answer = _record(
        decision, CCAPEX_DECISION, "/ccapex/ccapex", answers=(referral.envelope.id, "/caf/caf")
    )
    outcome = january.examine(answer, origins, opened={CASE: JANUARY})
    assert isinstance(outcome, Admitted), outcome
    other = {**decision, "payer": {**decision["payer"], "allocataire_number": "2519046"}}
    answer = _record(
        other, CCAPEX_DECISION, "/ccapex/ccapex", answers=(referral.envelope.id, "/caf/caf")
    )
    refused = january.examine(answer, origins, opened={CASE: JANUARY})
    assert _codes(refused) == [("answer.mismatch", "/payer/allocataire_number")]
