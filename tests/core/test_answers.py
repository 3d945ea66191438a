"""Answers, conditional consumers, office kinds and pinned versions, through the intake."""

import dataclasses
import json
import uuid
from typing import Any

import pytest
import yaml

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.directory_file import DirectoryFile
from hub.core.answers import causes, to_read, with_contents
from hub.core.intake import Admitted, Delivery, Intake, Rejected
from hub.core.routing import NoticeKey, Origin
from hub.wire.envelope import Record
from tests.conftest import CONTRACTS, DIRECTORY, example
from tests.notices import answering, ce_headers

CASE = str(uuid.uuid4())
IP_V1 = example("ip.transmission", "college-limoges-bruises")
IP_V2 = example("ip.transmission", "school-social-worker-serious-danger", major=2)
RETOUR = example("ip.retour", "classement-college")  # answers IP_V1
RETOUR_V2 = example("ip.retour", "mesure-administrative-service-social")  # answers IP_V2


@pytest.fixture
def intake(catalogue: Catalogue, directory: PartnerDirectory) -> Intake:
    return Intake(catalogue, directory)


def known(*origins: Origin) -> dict[NoticeKey, Origin]:
    """Accepted notices as the relay hands them over: by source and id."""
    return {NoticeKey(o.source, o.notice_id): o for o in origins}


def _record(  # noqa: PLR0913 - one keyword per thing a test changes
    payload: dict[str, Any],
    topic: str,
    source: str,
    contract: str,
    major: int = 1,
    *,
    key: str | None = CASE,
    **extra: str,
) -> Record:
    headers = ce_headers(
        notice_id=str(uuid.uuid4()), source=source, contract=contract, major=major, **extra
    )
    value = json.dumps(payload).encode()
    return Record(topic, 0, 0, key.encode() if key else None, value, tuple(headers))


def _ip_origin(recipients: frozenset[str] = frozenset({"departement/crip"})) -> Origin:
    return Origin(
        "ip-1", "/academie/service-social", "ip.transmission", CASE, recipients, content=IP_V1
    )


def _retour(**extra: str) -> Record:
    return _feedback(RETOUR, **extra)


def _feedback(payload: dict[str, Any], *, key: str | None = CASE, **extra: str) -> Record:
    return _record(
        payload, "hub.in.departement", "/departement/crip", "ip.retour", 1, key=key, **extra
    )


IP_1 = answering("ip-1", "/academie/service-social")  # how an answer names `_ip_origin()`


def test_feedback_goes_to_the_office_that_sent_the_ip_and_only_there(intake: Intake) -> None:
    outcome = intake.examine(_retour(**IP_1), known(_ip_origin()))
    assert isinstance(outcome, Admitted)
    assert [d.recipient.address for d in outcome.deliveries] == ["academie/service-social"]
    assert set(outcome.deliveries[0].payload) <= {
        "sender_reference",
        "crip_reference",
        "outcome",
        "concluded_on",
        "sent_on",
    }
    assert outcome.case_id == CASE


@pytest.mark.parametrize("missing", ["ce_causationid", "ce_causationsource", "key"])
def test_an_answer_names_the_notice_by_source_and_id_and_its_case_by_key(
    intake: Intake, missing: str
) -> None:
    headers: dict[str, str] = {h: str(v) for h, v in IP_1.items() if h != missing}
    key = None if missing == "key" else CASE
    outcome = intake.examine(_feedback(RETOUR, key=key, **headers), known(_ip_origin()))
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [("answer.missing", missing)]


def test_an_answer_with_a_key_that_is_no_case_id_is_refused(intake: Intake) -> None:
    outcome = intake.examine(_feedback(RETOUR, key="ip-1", **IP_1), known(_ip_origin()))
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [("envelope.key", "key")]


UNKNOWN = {
    "code": "answer.unknown-notice",
    "detail": "no notice this office sent or received has this source and id in this case",
    "pointer": "ce_causationid",
}


@pytest.mark.parametrize(
    ("named", "origins"),
    [
        pytest.param(answering("ip-9", "/academie/service-social"), [_ip_origin()], id="unknown"),
        pytest.param(answering("ip-1", "/isg/isg"), [_ip_origin()], id="another-source"),
        pytest.param(
            IP_1,
            [dataclasses.replace(_ip_origin(), case_id=str(uuid.uuid4()))],
            id="another-case",
        ),
        pytest.param(IP_1, [_ip_origin(frozenset({"departement/sdas"}))], id="not-received"),
        pytest.param(
            IP_1,
            [dataclasses.replace(_ip_origin(), contract="instruction.mise-en-demeure")],
            id="not-answerable",
        ),
    ],
)
def test_an_answer_to_a_notice_it_may_not_answer_learns_nothing_about_it(
    intake: Intake, named: dict[str, str], origins: list[Origin]
) -> None:
    """One refusal, word for word, whatever the cause: no answer tells which notices exist.

    Unknown, another source's, another case's, not received, not of a contract it answers.
    """
    outcome = intake.examine(_retour(**named), known(*origins))
    assert isinstance(outcome, Rejected)
    assert [r.as_json() for r in outcome.reasons] == [UNKNOWN]


@pytest.mark.parametrize(
    "origin",
    [
        dataclasses.replace(_ip_origin(), case_id=str(uuid.uuid4()), content=None),  # erased
        _ip_origin(frozenset({"departement/sdas"})),  # and the feedback does not match it
    ],
)
def test_a_notice_it_may_not_answer_is_neither_read_nor_compared(
    intake: Intake, origin: Origin
) -> None:
    """`answer.case-erased` and `answer.mismatch` would tell that the notice exists."""
    elsewhere = {**RETOUR, "sender_reference": "ISG87-2026-0231"}
    outcome = intake.examine(_feedback(elsewhere, **IP_1), known(origin))
    assert isinstance(outcome, Rejected)
    assert [r.as_json() for r in outcome.reasons] == [UNKNOWN]


def test_an_answer_is_matched_to_the_notice_of_the_source_it_names(intake: Intake) -> None:
    """The ISG sent the CRIP a notice `ip-1` too: the feedback names which one it answers."""
    crip = frozenset({"departement/crip"})
    isg = Origin("ip-1", "/isg/isg", "ip.transmission", CASE, crip, content=IP_V2)
    both = known(isg, _ip_origin())
    outcome = intake.examine(_retour(**IP_1), both)
    assert isinstance(outcome, Admitted), outcome
    assert outcome.answered == _ip_origin()
    assert [d.recipient.address for d in outcome.deliveries] == ["academie/service-social"]
    to_isg = answering("ip-1", "/isg/isg")
    outcome = intake.examine(_feedback(RETOUR_V2, **to_isg), both)
    assert isinstance(outcome, Admitted), outcome
    assert outcome.answered == isg
    assert [d.recipient.address for d in outcome.deliveries] == ["isg/isg"]
    # Compared with the notice it names: the school's feedback does not fit the ISG's IP.
    outcome = intake.examine(_retour(**to_isg), both)
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [
        ("answer.mismatch", "/sender_reference"),
        ("answer.mismatch", "/sent_on"),
        ("answer.mismatch", "/concluded_on"),
    ]


@pytest.mark.parametrize(
    ("name", "office"),
    [
        ("saint-junien-to-mdd", "departement/mdd:87-saint-junien"),
        ("limoges-to-fsl", "departement/fsl"),
    ],
)
def test_a_conditional_consumer_receives_only_when_the_payload_says_so(
    intake: Intake, name: str, office: str
) -> None:
    # v2: v1 cannot record the household's agreement and is retired.
    payload = example("logement.orientation", name, major=2)
    outcome = intake.examine(
        _record(payload, "hub.in.ccapex", "/ccapex/ccapex", "logement.orientation", 2)
    )
    assert isinstance(outcome, Admitted), outcome
    assert [d.recipient.address for d in outcome.deliveries] == [office]


def test_any_office_of_a_declared_kind_may_produce(intake: Intake) -> None:
    payload = example("ip.transmission", "caf-panazol-siblings", major=2)
    outcome = intake.examine(
        _record(payload, "hub.in.departement", "/departement/mdd:87-bellac", "ip.transmission", 2)
    )
    assert isinstance(outcome, Admitted), outcome


def _pinned(
    catalogue: Catalogue,
    partner: dict[str, Any] | None = None,
    crip: dict[str, Any] | None = None,
) -> Intake:
    """An intake on the shipped catalogue and directory, the département's pins set."""
    raw = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))
    departement = raw["partners"]["departement"]
    if partner is not None:
        departement["consumes"] = partner
    if crip is not None:
        departement["offices"]["crip"]["consumes"] = crip
    return Intake(catalogue, PartnerDirectory(DirectoryFile.model_validate(raw)))


def _ip_v2(intake: Intake, office: str = "departement/crip") -> Delivery:
    """The delivery to `office` of an IP of serious and immediate danger sent in v2."""
    outcome = intake.examine(
        _record(IP_V2, "hub.in.academie", "/academie/service-social", "ip.transmission", 2)
    )
    assert isinstance(outcome, Admitted), outcome
    by_office = {d.recipient.address: d for d in outcome.deliveries}
    assert set(by_office) == {"departement/crip", "departement/crip-astreinte"}
    return by_office[office]


V1_LOSING = {"ip.transmission": {"major": 1, "accepts_loss_of": ["other_minors", "parquet_alert"]}}
V2_LOSING = {"ip.transmission": {"major": 2, "accepts_loss_of": ["parquet_alert"]}}


@pytest.mark.parametrize("office", ["departement/crip", "departement/crip-astreinte"])
def test_the_departement_reads_v3_whatever_major_the_sender_writes(
    intake: Intake, office: str
) -> None:
    delivered = _ip_v2(intake, office)
    assert delivered.version.major == 3  # the département's pin
    assert delivered.payload["other_minors"] == IP_V2["other_minors"]
    # A v2 notice cannot say whether the Parquet was alerted: v3 says it does not.
    assert "parquet_alert" not in IP_V2
    assert delivered.payload["parquet_alert"] == {"alerted_by": "not_stated"}
    assert delivered.version.accepts(delivered.payload)


def test_a_partner_pinned_to_an_older_major_receives_it_converted(catalogue: Catalogue) -> None:
    crip = _ip_v2(_pinned(catalogue, partner=V1_LOSING))
    assert crip.version.major == 1
    assert "other_minors" in IP_V2
    assert "other_minors" not in crip.payload
    assert "parquet_alert" not in crip.payload
    assert catalogue.contracts["ip.transmission"].versions[1].accepts(crip.payload)


def test_an_office_pin_wins_over_its_partner_pin(catalogue: Catalogue) -> None:
    crip = _ip_v2(_pinned(catalogue, partner=V1_LOSING, crip=V2_LOSING))
    assert crip.version.major == 2
    assert "other_minors" in crip.payload
    crip = _ip_v2(_pinned(catalogue, partner=V2_LOSING, crip=V1_LOSING))
    assert crip.version.major == 1
    assert "other_minors" not in crip.payload


def test_a_school_sends_as_its_uai_and_the_answer_reaches_it_alone(intake: Intake) -> None:
    school = "/academie/etablissement:0870015U"
    ip = intake.examine(_record(IP_V2, "hub.in.academie", school, "ip.transmission", 2))
    assert isinstance(ip, Admitted), ip
    origin = Origin(
        ip.envelope.id,
        school,
        "ip.transmission",
        CASE,
        frozenset({"departement/crip"}),
        content=ip.payload,
    )
    retour = intake.examine(
        _feedback(RETOUR_V2, **answering(origin.notice_id, school)), known(origin)
    )
    assert isinstance(retour, Admitted), retour
    assert [d.recipient.address for d in retour.deliveries] == ["academie/etablissement:0870015U"]


@pytest.mark.parametrize(
    "school",
    ["/academie/etablissement", "/academie/etablissement:0870015u", "/academie/etablissements"],
)
def test_a_school_is_known_by_a_well_formed_uai_only(intake: Intake, school: str) -> None:
    outcome = intake.examine(_record(IP_V2, "hub.in.academie", school, "ip.transmission", 2))
    assert isinstance(outcome, Rejected)
    assert [r.code for r in outcome.reasons] == ["sender.unknown-office"]


MISE_1 = answering("mise-1", "/academie/dsden")  # how an answer names the formal notice


def test_the_sender_of_a_notice_may_follow_it_up(intake: Intake) -> None:
    formal_notice = Origin(
        "mise-1",
        "/academie/dsden",
        "instruction.mise-en-demeure",
        CASE,
        frozenset({"departement/sdas"}),
        content=example("instruction.mise-en-demeure", "limoges-no-known-school"),
    )
    payload = example(
        "instruction.regularisation",
        min(
            p.stem
            for p in (CONTRACTS / "instruction.regularisation/v1/examples/valid").glob("*.json")
        ),
    )
    record = _record(
        payload,
        "hub.in.academie",
        "/academie/dsden",
        "instruction.regularisation",
        1,
        **MISE_1,
    )
    outcome = intake.examine(record, known(formal_notice))
    assert isinstance(outcome, Admitted), outcome


FORMAL_NOTICE = example("instruction.mise-en-demeure", "limoges-no-known-school")
REGULARISATION = example("instruction.regularisation", "limoges-enrolled")  # of FORMAL_NOTICE


def _formal_notice(content: dict[str, Any] | None = FORMAL_NOTICE) -> Origin:
    return Origin(
        "mise-1",
        "/academie/dsden",
        "instruction.mise-en-demeure",
        CASE,
        frozenset({"departement/sdas"}),
        content=content,
    )


def _regularisation(payload: dict[str, Any]) -> Record:
    contract = "instruction.regularisation"
    return _record(payload, "hub.in.academie", "/academie/dsden", contract, **MISE_1)


def test_the_regularisation_of_the_child_given_formal_notice_is_admitted(intake: Intake) -> None:
    outcome = intake.examine(_regularisation(REGULARISATION), known(_formal_notice()))
    assert isinstance(outcome, Admitted), outcome
    assert outcome.answered is not None
    assert outcome.answered.notice_id == "mise-1"


@pytest.mark.parametrize(
    ("changed", "pointers"),
    [
        ({"child": {**REGULARISATION["child"], "first_names": "Noah"}}, ["/child/first_names"]),
        (
            {"child": {**REGULARISATION["child"], "birth_date": "2016-03-14"}},
            ["/child/birth_date"],
        ),
        ({"dasen_reference": "DSDEN87-MED-2026-0157"}, ["/dasen_reference"]),
        ({"sent_on": "2026-10-04"}, ["/sent_on"]),  # before the formal notice was sent
        (
            {"child": {**REGULARISATION["child"], "last_name": "Petit"}, "sent_on": "2026-09-30"},
            ["/child/last_name", "/sent_on"],
        ),
    ],
)
def test_a_regularisation_of_another_child_or_dated_before_the_notice_is_refused(
    intake: Intake, changed: dict[str, Any], pointers: list[str]
) -> None:
    payload = {**REGULARISATION, **changed}
    outcome = intake.examine(_regularisation(payload), known(_formal_notice()))
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [
        ("answer.mismatch", p) for p in pointers
    ]
    said = json.dumps([r.as_json() for r in outcome.reasons])
    for value in ("Noah", "Petit", "Martin", "2016-03-14", "0157", "2026-09-30", "2026-10-04"):
        assert value not in said


def test_an_answer_to_a_notice_whose_case_was_erased_is_refused(intake: Intake) -> None:
    outcome = intake.examine(_regularisation(REGULARISATION), known(_formal_notice(None)))
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [
        ("answer.case-erased", "ce_causationid")
    ]


def test_a_receipt_answers_a_notice_without_reading_it(intake: Intake) -> None:
    receipt = {"notice_id": "mise-1", "status": "processed", "at": "2026-11-23T10:00:00+01:00"}
    record = _record(receipt, "hub.in.departement", "/departement/sdas", "hub.receipt", **MISE_1)
    outcome = intake.examine(record, known(_formal_notice(None)))  # nothing read
    assert isinstance(outcome, Admitted), outcome


def test_the_feedback_is_filed_under_the_senders_reference_only(intake: Intake) -> None:
    elsewhere = {**RETOUR, "sender_reference": "ISG87-2026-0231"}
    outcome = intake.examine(_feedback(elsewhere, **IP_1), known(_ip_origin()))
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [
        ("answer.mismatch", "/sender_reference")
    ]
    concluded_before = {**RETOUR, "concluded_on": "2026-03-11"}  # the IP was sent on 03-12
    outcome = intake.examine(_feedback(concluded_before, **IP_1), known(_ip_origin()))
    assert isinstance(outcome, Rejected)
    assert [(r.code, r.pointer) for r in outcome.reasons] == [("answer.mismatch", "/concluded_on")]


def test_only_the_notices_an_answer_compares_are_read(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    ip = _ip_origin()
    formal_notice = _formal_notice(None)
    origins = known(ip, formal_notice)
    receipt = _record({}, "hub.in.departement", "/departement/crip", "hub.receipt", **IP_1)
    notice = _record({}, "hub.in.academie", "/academie/dsden", "instruction.mise-en-demeure")
    answers = [_retour(**IP_1), _regularisation(REGULARISATION)]
    assert to_read(catalogue, directory, [receipt, notice], origins) == set()
    assert to_read(catalogue, directory, answers, origins) == {
        NoticeKey("/academie/service-social", "ip-1"),
        NoticeKey("/academie/dsden", "mise-1"),
    }
    # Another source's notice under the same id is not the one the answer names...
    other = Origin("mise-1", "/isg/isg", "isg.orientation", CASE)
    assert to_read(catalogue, directory, answers[1:], known(other, formal_notice)) == {
        NoticeKey("/academie/dsden", "mise-1")
    }
    # ... and an answer naming it is not compared with it: not a contract it `matches`.
    contract = "instruction.regularisation"
    naming_other = _record(
        REGULARISATION,
        "hub.in.academie",
        "/academie/dsden",
        contract,
        **answering("mise-1", "/isg/isg"),
    )
    assert to_read(catalogue, directory, [naming_other], known(other, formal_notice)) == set()


def test_an_answer_names_a_notice_by_a_well_formed_source_and_id_both() -> None:
    named = [
        _retour(**IP_1),
        _retour(ce_causationid="ip-2"),  # no source: names nothing
        _retour(ce_causationsource="/academie/service-social"),  # no id
        _retour(**answering("ip 3", "/academie/service-social")),  # not an id
        _retour(**answering("ip-4", "academie/service-social")),  # not a source
        _record({}, "hub.in.academie", "/academie/dsden", "instruction.mise-en-demeure"),
    ]
    assert causes(named) == {NoticeKey("/academie/service-social", "ip-1")}


def test_the_notices_read_from_the_vault_are_handed_over_and_the_others_left_empty() -> None:
    sealed = Record("hub.in.academie", 0, 3, CASE.encode(), json.dumps(FORMAL_NOTICE).encode(), ())
    mise, ip = NoticeKey("/academie/dsden", "mise-1"), NoticeKey("/academie/service-social", "ip-1")
    origins = known(_formal_notice(None), _ip_origin())
    read = with_contents(origins, {mise: sealed})
    assert read[mise].content == FORMAL_NOTICE
    assert read[mise] == origins[mise]  # the same notice, its content added
    assert read[ip] == origins[ip]
    assert read[ip].content == IP_V1  # not read: as it was handed over
    assert "Martin" not in repr(read)  # an origin never shows its content
