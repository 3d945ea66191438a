"""Answers, conditional consumers, office kinds and pinned versions, through the intake."""

import json
import uuid
from typing import Any

import pytest
import yaml

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import DirectoryFile, PartnerDirectory
from hub.core.intake import Admitted, Delivery, Intake, Rejected
from hub.core.routing import Origin
from hub.wire.envelope import Record
from tests.conftest import CONTRACTS, DIRECTORY, example
from tests.notices import ce_headers

CASE = str(uuid.uuid4())
IP_V2 = example("ip.transmission", "school-social-worker-serious-danger", major=2)
RETOUR = example("ip.retour", "classement-college")


@pytest.fixture
def intake(catalogue: Catalogue, directory: PartnerDirectory) -> Intake:
    return Intake(catalogue, directory)


def _record(
    payload: dict[str, Any], topic: str, source: str, contract: str, major: int = 1, **extra: str
) -> Record:
    headers = ce_headers(
        notice_id=str(uuid.uuid4()), source=source, contract=contract, major=major, **extra
    )
    return Record(topic, 0, 0, CASE.encode(), json.dumps(payload).encode(), tuple(headers))


def _ip_origin(recipients: frozenset[str] = frozenset({"departement/crip"})) -> Origin:
    return Origin("ip-1", "/academie/service-social", "ip.transmission", CASE, recipients)


def _retour(**extra: str) -> Record:
    return _record(RETOUR, "hub.in.departement", "/departement/crip", "ip.retour", 1, **extra)


def test_feedback_goes_to_the_office_that_sent_the_ip_and_only_there(intake: Intake) -> None:
    outcome = intake.examine(_retour(ce_causationid="ip-1"), {"ip-1": [_ip_origin()]})
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


@pytest.mark.parametrize(
    ("extra", "origins", "code"),
    [
        ({}, {}, "answer.missing"),
        ({"ce_causationid": "ip-9"}, {"ip-1": [_ip_origin()]}, "answer.unknown-notice"),
        (
            {"ce_causationid": "ip-1"},
            {"ip-1": [_ip_origin(frozenset({"x/y"}))]},
            "answer.not-recipient",
        ),
    ],
)
def test_an_answer_must_name_a_notice_its_office_received(
    intake: Intake, extra: dict[str, str], origins: dict[str, list[Origin]], code: str
) -> None:
    outcome = intake.examine(_retour(**extra), origins)
    assert isinstance(outcome, Rejected)
    assert [r.code for r in outcome.reasons] == [code]


def test_an_answer_in_another_case_is_refused(intake: Intake) -> None:
    elsewhere = Origin(
        "ip-1",
        "/academie/service-social",
        "ip.transmission",
        str(uuid.uuid4()),
        frozenset({"departement/crip"}),
    )
    outcome = intake.examine(_retour(ce_causationid="ip-1"), {"ip-1": [elsewhere]})
    assert isinstance(outcome, Rejected)
    assert [r.code for r in outcome.reasons] == ["answer.unknown-notice"]


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
    payload = example("logement.orientation", name)
    outcome = intake.examine(
        _record(payload, "hub.in.ccapex", "/ccapex/ccapex", "logement.orientation")
    )
    assert isinstance(outcome, Admitted)
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


def _ip_v2(intake: Intake) -> Delivery:
    outcome = intake.examine(
        _record(IP_V2, "hub.in.academie", "/academie/service-social", "ip.transmission", 2)
    )
    assert isinstance(outcome, Admitted), outcome
    [crip] = outcome.deliveries
    assert crip.recipient.address == "departement/crip"
    return crip


V1_LOSING_OTHER_MINORS = {"ip.transmission": {"major": 1, "accepts_loss_of": ["other_minors"]}}


def test_the_crip_reads_the_latest_ip_other_minors_included(intake: Intake) -> None:
    crip = _ip_v2(intake)
    assert crip.version.major == 2
    assert crip.payload["other_minors"] == IP_V2["other_minors"]


def test_a_partner_pinned_to_an_older_major_receives_it_converted(catalogue: Catalogue) -> None:
    crip = _ip_v2(_pinned(catalogue, partner=V1_LOSING_OTHER_MINORS))
    assert crip.version.major == 1
    assert "other_minors" in IP_V2
    assert "other_minors" not in crip.payload
    assert catalogue.contracts["ip.transmission"].versions[1].accepts(crip.payload)


def test_an_office_pin_wins_over_its_partner_pin(catalogue: Catalogue) -> None:
    crip = _ip_v2(_pinned(catalogue, partner=V1_LOSING_OTHER_MINORS, crip={"ip.transmission": 2}))
    assert crip.version.major == 2
    assert "other_minors" in crip.payload
    crip = _ip_v2(_pinned(catalogue, partner={"ip.transmission": 2}, crip=V1_LOSING_OTHER_MINORS))
    assert crip.version.major == 1
    assert "other_minors" not in crip.payload


def test_a_school_sends_as_its_uai_and_the_answer_reaches_it_alone(intake: Intake) -> None:
    school = "/academie/etablissement:0870015U"
    ip = intake.examine(_record(IP_V2, "hub.in.academie", school, "ip.transmission", 2))
    assert isinstance(ip, Admitted), ip
    origin = Origin(
        ip.envelope.id, school, "ip.transmission", CASE, frozenset({"departement/crip"})
    )
    retour = intake.examine(_retour(ce_causationid=origin.notice_id), {origin.notice_id: [origin]})
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


def test_the_sender_of_a_notice_may_follow_it_up(intake: Intake) -> None:
    formal_notice = Origin(
        "mise-1",
        "/academie/dsden",
        "instruction.mise-en-demeure",
        CASE,
        frozenset({"departement/sdas"}),
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
        ce_causationid="mise-1",
    )
    outcome = intake.examine(record, {"mise-1": [formal_notice]})
    assert isinstance(outcome, Admitted), outcome
