"""Answers, conditional consumers, office kinds and pinned versions, through the intake."""

import json
import uuid
from typing import Any

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Admitted, Intake, Rejected
from hub.core.routing import Origin
from hub.wire.envelope import Record
from tests.conftest import CONTRACTS, example
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


def test_a_partner_pinned_to_an_older_major_receives_it_converted(
    intake: Intake, catalogue: Catalogue
) -> None:
    outcome = intake.examine(
        _record(IP_V2, "hub.in.academie", "/academie/service-social", "ip.transmission", 2)
    )
    assert isinstance(outcome, Admitted), outcome
    [crip] = outcome.deliveries
    assert crip.version.major == 1
    assert "other_minors" in IP_V2
    assert "other_minors" not in crip.payload
    assert catalogue.contracts["ip.transmission"].versions[1].accepts(crip.payload)


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
