import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

import jsonschema_rs
import pytest
from jsonschema import Draft202012Validator

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.cases import case_id_for
from hub.core.intake import Admitted, Intake, Rejected, _check_schema
from hub.core.routing import NoticeKey, Origin
from hub.wire.envelope import Record
from hub.wire.reasons import Refusal
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import answering, ce_headers, record

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
CASE = str(uuid.uuid4())
DECEMBER = dt.date(2026, 12, 7)


@pytest.fixture
def intake(catalogue: Catalogue, directory: PartnerDirectory) -> Intake:
    # The hub's calendar fixed in December 2026: the payer's decision is still in force.
    return Intake(catalogue, directory, max_record_bytes=4096, today=lambda: DECEMBER)


def _admitted(intake: Intake, rec: Record) -> Admitted:
    outcome = intake.examine(rec)
    assert isinstance(outcome, Admitted), outcome
    return outcome


def _codes(intake: Intake, rec: Record) -> list[str]:
    outcome = intake.examine(rec)
    assert isinstance(outcome, Rejected), outcome
    return [r.code for r in outcome.reasons]


def test_sdas_gets_everything_and_the_family_mdd_its_projection(intake: Intake) -> None:
    notice = _admitted(intake, record(LIMOGES))
    by_office = {d.recipient.address: d.payload for d in notice.deliveries}
    assert set(by_office) == {"departement/sdas", "departement/mdd:87-limoges-nord"}
    assert by_office["departement/sdas"] == LIMOGES
    mdd = by_office["departement/mdd:87-limoges-nord"]
    assert set(mdd) == {"sent_on", "notified_on", "child", "guardians", "address"}
    assert "dasen_reference" not in mdd
    assert "last_known_school_uai" not in mdd


def test_a_commune_no_mdd_serves_is_recorded_as_unrouted(intake: Intake) -> None:
    elsewhere = {**LIMOGES, "address": {**LIMOGES["address"], "commune_insee": "75056"}}
    notice = _admitted(intake, record(elsewhere))
    assert [d.recipient.address for d in notice.deliveries] == ["departement/sdas"]
    assert [u.consumer for u in notice.unrouted] == ["departement/mdd"]


def test_the_case_id_is_the_key_or_minted_stably_from_the_notice(intake: Intake) -> None:
    case = uuid.uuid4()
    assert _admitted(intake, record(LIMOGES, key=str(case).encode())).case_id == str(case)
    first = _admitted(intake, record(LIMOGES, notice_id="n-7"))
    again = _admitted(intake, record(LIMOGES, notice_id="n-7"))
    assert first.case_id == again.case_id
    assert _admitted(intake, record(LIMOGES, notice_id="n-7", key=b"")).case_id == first.case_id
    assert _admitted(intake, record(LIMOGES, notice_id="n-8")).case_id != first.case_id
    assert _codes(intake, record(LIMOGES, key=b"not-a-uuid")) == ["envelope.key"]


def test_a_keyless_notice_opens_the_case_the_hubs_key_derives(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    """Replicas (or a restarted hub) holding one key agree; a partner without it cannot."""
    key = bytes(range(32))
    one, other = (
        Intake(catalogue, directory, case_key=key),
        Intake(catalogue, directory, case_key=key),
    )
    opened = _admitted(one, record(LIMOGES, notice_id="n-7")).case_id
    assert opened == case_id_for(key, "/academie/dsden", "n-7")
    assert _admitted(other, record(LIMOGES, notice_id="n-7")).case_id == opened
    elsewhere = Intake(catalogue, directory, case_key=bytes(32))
    assert _admitted(elsewhere, record(LIMOGES, notice_id="n-7")).case_id != opened
    random_key = Intake(catalogue, directory)  # a key of its own
    assert _admitted(random_key, record(LIMOGES, notice_id="n-7")).case_id != opened


@pytest.mark.parametrize(
    ("attributes", "code"),
    [
        ({"source": "/departement/sdas"}, "sender.spoofed"),
        ({"source": "/academie/rectorat"}, "sender.unknown-office"),
        ({"source": "/academie/service-social"}, "sender.not-producer"),
        ({"contract": "instruction.unknown"}, "contract.unknown"),
        ({"major": 9}, "contract.version-unknown"),
    ],
)
def test_senders_and_contracts_are_authorised(
    intake: Intake, attributes: dict[str, Any], code: str
) -> None:
    assert _codes(intake, record(LIMOGES, **attributes)) == [code]


def test_a_spoofed_record_is_answered_to_the_partner_that_wrote_it(intake: Intake) -> None:
    outcome = intake.examine(record(LIMOGES, source="/departement/sdas"))
    assert isinstance(outcome, Rejected)
    assert outcome.recipient == "academie"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (b"\xff\xfe{}", "payload.encoding"),
        (b"not json", "payload.not-json"),
        (b"[1, 2]", "payload.not-object"),
        (b'{"a": NaN}', "payload.not-json"),
        (b'{"a": 1, "a": 2}', "payload.not-json"),
        (b"[" * 100_000, "record.oversize"),
    ],
)
def test_garbage_is_refused_with_a_precise_code(intake: Intake, value: bytes, code: str) -> None:
    assert _codes(intake, record(value)) == [code]


def test_a_record_without_value_or_headers_is_refused(intake: Intake) -> None:
    assert _codes(intake, Record("hub.in.academie", 0, 0, None, None, ())) == ["record.empty"]
    codes = _codes(intake, Record("hub.in.academie", 0, 0, None, b"{}", ()))
    assert set(codes) == {"envelope.missing", "envelope.content-type"}


def test_schema_faults_are_all_listed_without_any_value(intake: Intake) -> None:
    canary = "Zéphyrine-Canary-4217"
    bad = {**LIMOGES, "child": {"last_name": canary, "birth_date": canary}, "extra_field": canary}
    outcome = intake.examine(record(bad))
    assert isinstance(outcome, Rejected)
    found = {(r.code, r.pointer) for r in outcome.reasons}
    assert found == {
        ("schema.required", "/child/first_names"),
        ("schema.format", "/child/birth_date"),
        ("schema.pattern", "/child/birth_date"),
        ("schema.additional-properties", ""),  # at the parent: a name could be personal data
    }
    assert canary not in json.dumps([r.as_json() for r in outcome.reasons])


def test_same_content_with_other_formatting_is_the_same_notice(intake: Intake) -> None:
    compact = _admitted(intake, record(LIMOGES))
    spaced = json.dumps(LIMOGES, indent=4, sort_keys=True).encode()
    assert _admitted(intake, record(spaced)).digest == compact.digest


def test_an_oversize_record_is_still_named_by_its_id(intake: Intake) -> None:
    outcome = intake.examine(record(b"[" * 100_000, notice_id="big-1"))
    assert isinstance(outcome, Rejected)
    assert (outcome.notice_id, outcome.office) == ("big-1", None)


def test_a_header_not_utf8_still_lets_the_rejection_name_the_readable_ce_id(
    intake: Intake,
) -> None:
    canary = b"\xff" + b"Canary-Ginette-Lagarde"
    readable = record(LIMOGES, notice_id="n-enc")
    odd = dataclasses.replace(readable, headers=(*readable.headers, ("x-note", canary)))
    outcome = intake.examine(odd)
    assert isinstance(outcome, Rejected)
    assert [r.code for r in outcome.reasons] == ["header.encoding"]
    assert (outcome.notice_id, outcome.contract) == ("n-enc", FORMAL_NOTICE)
    assert "Canary" not in repr(outcome.reasons)
    # Only a ce_id that is an event id is named back, and one given twice is not named.
    made_up = [(k, b"../Canary" if k == "ce_id" else v) for k, v in odd.headers]
    twice = [*odd.headers, ("ce_id", b"n-other")]
    for headers in (made_up, twice):
        outcome = intake.examine(dataclasses.replace(odd, headers=tuple(headers)))
        assert isinstance(outcome, Rejected)
        assert outcome.notice_id is None


def test_a_payload_the_deciding_validator_refuses_is_never_accepted(catalogue: Catalogue) -> None:
    lenient = catalogue.contracts[FORMAL_NOTICE].latest
    strict = jsonschema_rs.Draft202012Validator({"type": "object", "required": ["absent"]})
    version = dataclasses.replace(lenient, validator=Draft202012Validator({}), fast=strict)
    with pytest.raises(Refusal) as refused:
        _check_schema(version, LIMOGES)
    assert [r.code for r in refused.value.reasons] == ["schema.invalid"]


def _housing(contract: str, name: str, source: str) -> Record:
    partner = source.split("/")[1]
    return record(
        example(contract, name), topic=f"hub.in.{partner}", source=source, contract=contract
    )


def test_a_retired_contract_is_accepted_until_its_last_day_and_refused_after_it(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    retired = catalogue.get("logement.decision-aide")
    assert retired is not None
    assert retired.meta.retired is not None
    last = retired.meta.retired.last_accepted_on
    notice = _housing("logement.decision-aide", "suspended", "/ccapex/ccapex")
    on_the_day = Intake(catalogue, directory, today=lambda: last)
    assert isinstance(on_the_day.examine(notice), Admitted)
    after = Intake(catalogue, directory, today=lambda: last + dt.timedelta(days=1))
    refused = after.examine(notice)
    assert isinstance(refused, Rejected)
    assert [(r.code, r.pointer) for r in refused.reasons] == [("contract.retired", "ce_type")]
    assert "logement.decision-ccapex or logement.decision-payeur" in refused.reasons[0].detail


def test_the_payers_decision_goes_to_the_ccapex_and_the_avis_request_too(
    intake: Intake,
) -> None:
    for contract, name in [
        ("logement.demande-avis", "suspension-plan-not-kept"),
        ("logement.decision-payeur", "maintained-with-plan"),
    ]:
        admitted = _admitted(intake, _housing(contract, name, "/caf/caf"))
        assert [d.recipient.address for d in admitted.deliveries] == ["ccapex/ccapex"]
    # The CCAPEX decides nothing on the benefit: it cannot send the payer's decision.
    assert _codes(
        intake, _housing("logement.decision-payeur", "maintained-with-plan", "/ccapex/ccapex")
    ) == ["sender.not-producer"]


def _scoped(payload: dict[str, Any], contract: str, source: str, major: int = 1) -> Record:
    partner = source.split("/")[1]
    return record(payload, topic=f"hub.in.{partner}", source=source, contract=contract, major=major)


def test_a_formal_notice_about_a_child_of_16_is_refused_out_of_scope_and_reaches_nobody(
    intake: Intake,
) -> None:
    sixteen = {**LIMOGES, "child": {**LIMOGES["child"], "birth_date": "2010-10-05"}}
    outcome = intake.examine(record(sixteen))  # sent on 2026-10-05, the 16th birthday
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [("scope.age", "/child/birth_date")]
    assert outcome.office == "dsden"
    assert "2010" not in json.dumps([r.as_json() for r in outcome.reasons])
    fifteen = {**sixteen, "sent_on": "2026-10-04"}
    assert isinstance(intake.examine(record(fifteen)), Admitted)


def test_scopes_judge_only_what_the_schema_let_through(intake: Intake) -> None:
    both = {**LIMOGES, "child": {**LIMOGES["child"], "birth_date": "2001-01-01"}, "x": 1}
    assert _codes(intake, record(both)) == ["schema.additional-properties"]


def test_a_referral_under_two_months_of_arrears_is_accepted_and_qualified_not_arrears(
    intake: Intake,
) -> None:
    # The CCAPEX hears any situation of arrears: a smaller debt is carried, qualified.
    referral = example("logement.saisine-impayes", "under-two-months")
    outcome = _admitted(intake, _scoped(referral, "logement.saisine-impayes", "/caf/caf"))
    [delivery] = outcome.deliveries
    assert delivery.version.major == 2  # the CCAPEX reads v2: the CAF's v1, converted
    assert delivery.payload["payer"] == {
        "organisation": "caf",
        "code": referral["caf_allocataire"]["caf_code"],
        "allocataire_number": referral["caf_allocataire"]["caf_number"],
    }
    qualification = delivery.payload["arrears_qualification"]
    assert qualification["qualified"] is False
    assert qualification["text"].startswith("CCH R824-1")
    assert outcome.qualified == {"arrears_qualification": qualification}


def test_an_orientation_v2_needs_the_households_agreement_and_v1_is_retired(
    intake: Intake,
) -> None:
    contract, ccapex = "logement.orientation", "/ccapex/ccapex"
    agreed = example(contract, "saint-junien-to-mdd", major=2)
    assert isinstance(intake.examine(_scoped(agreed, contract, ccapex, 2)), Admitted)
    declined = {**agreed, "consent": {"informed": True, "agreed": False}}
    outcome = intake.examine(_scoped(declined, contract, ccapex, 2))
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [("scope.consent", "/consent/agreed")]
    v1 = example(contract, "saint-junien-to-mdd")
    outcome = intake.examine(_scoped(v1, contract, ccapex))
    assert isinstance(outcome, Rejected)
    [reason] = outcome.reasons
    assert (reason.code, reason.pointer) == ("contract.major-retired", "ce_dataschema")
    assert reason.detail == "v1 of this contract was retired after 2026-12-06: send v2"


def _outcome(payload: dict[str, Any], origin: str, major: int = 1) -> Record:
    headers = ce_headers(
        notice_id=str(uuid.uuid4()),
        source="/departement/sdas",
        contract="absenteisme.issue-convocation",
        major=major,
        **answering(origin, "/academie/dsden"),
    )
    value = json.dumps(payload).encode()
    return Record("hub.in.departement", 0, 0, CASE.encode(), value, tuple(headers))


@pytest.mark.parametrize(
    ("orientation", "offices"),
    [
        (
            {"service": "mdd", "family_agreed": True},
            ["academie/dsden", "departement/mdd:87-limoges-nord"],
        ),
        ({"service": "mdd", "family_agreed": False}, ["academie/dsden"]),
        ({"service": "mdd"}, ["academie/dsden"]),  # no agreement recorded is none
        ({"service": "school_social_service"}, ["academie/dsden"]),
    ],
)
def test_the_convocations_outcome_reaches_the_mdd_only_when_the_family_agreed(
    intake: Intake, orientation: dict[str, Any], offices: list[str]
) -> None:
    convocation = Origin(
        "conv-1",
        "/academie/dsden",
        "absenteisme.convocation",
        CASE,
        frozenset({"departement/sdas"}),
        content=example("absenteisme.convocation", "couzeix-convocation"),
    )
    payload = {**example("absenteisme.issue-convocation", "couzeix-oriented-mdd")}
    payload["orientation"] = orientation
    outcome = intake.examine(
        _outcome(payload, "conv-1"), {NoticeKey(convocation.source, "conv-1"): convocation}
    )
    assert isinstance(outcome, Admitted), outcome
    assert [d.recipient.address for d in outcome.deliveries] == offices


def test_an_agreement_to_another_service_than_the_mdd_is_refused(intake: Intake) -> None:
    payload = example("absenteisme.issue-convocation", "couzeix-oriented-mdd")
    payload["orientation"] = {"service": "school_social_service", "family_agreed": True}
    outcome = intake.examine(_outcome(payload, "conv-1"))  # refused before its answer is looked up
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [
        ("scope.orientation", "/orientation/family_agreed")
    ]


def _convocation() -> Origin:
    return Origin(
        "conv-1",
        "/academie/dsden",
        "absenteisme.convocation",
        CASE,
        frozenset({"departement/sdas", "departement/mdd:87-limoges-nord"}),
        content=example("absenteisme.convocation", "couzeix-convocation"),
    )


def test_the_mdd_learns_of_a_convocation_without_anyone_s_identity(intake: Intake) -> None:
    # Routed by the family's commune, which the MDD does not receive.
    payload = example("absenteisme.convocation", "couzeix-convocation")
    notice = _admitted(intake, record(payload, contract="absenteisme.convocation"))
    by_office = {d.recipient.address: d.payload for d in notice.deliveries}
    assert by_office["departement/sdas"] == payload
    mdd = by_office["departement/mdd:87-limoges-nord"]
    assert mdd == {
        "dasen_reference": payload["dasen_reference"],
        "sent_on": payload["sent_on"],
        "convocation": payload["convocation"],
    }


def test_a_v1_outcome_reaches_the_dsden_without_the_support_the_family_accepted(
    intake: Intake,
) -> None:
    # The DSDEN reads v2 (its pin): the v1 commitments reach it split, its projection naming
    # the school ones only; the MDD, reading the sender's v1, receives them all.
    payload = example("absenteisme.issue-convocation", "couzeix-oriented-mdd")
    payload["commitments"] = ["ensure_regular_attendance", "accept_educational_support"]
    origin = _convocation()
    outcome = intake.examine(
        _outcome(payload, "conv-1"), {NoticeKey(origin.source, "conv-1"): origin}
    )
    assert isinstance(outcome, Admitted), outcome
    by_office = {d.recipient.address: d for d in outcome.deliveries}
    dsden = by_office["academie/dsden"]
    assert dsden.version.major == 2
    assert dsden.payload["commitments"] == ["ensure_regular_attendance"]
    assert set(dsden.payload) == {
        "dasen_reference",
        "sent_on",
        "held_on",
        "attendance",
        "commitments",
        "orientation",
    }
    mdd = by_office["departement/mdd:87-limoges-nord"]
    assert mdd.version.major == 1
    assert mdd.payload["commitments"] == payload["commitments"]


def test_a_v2_outcome_gives_the_support_accepted_to_the_mdd_alone(intake: Intake) -> None:
    payload = example("absenteisme.issue-convocation", "couzeix-oriented-mdd", major=2)
    origin = _convocation()
    outcome = intake.examine(
        _outcome(payload, "conv-1", major=2), {NoticeKey(origin.source, "conv-1"): origin}
    )
    assert isinstance(outcome, Admitted), outcome
    by_office = {d.recipient.address: d.payload for d in outcome.deliveries}
    assert "support_commitments" not in by_office["academie/dsden"]
    assert by_office["academie/dsden"]["commitments"] == ["ensure_regular_attendance"]
    mdd = by_office["departement/mdd:87-limoges-nord"]
    assert mdd["support_commitments"] == ["accept_social_support"]
    assert mdd["dasen_reference"] == payload["dasen_reference"]
