"""What one partner could do with another's notice ids, through the running hub (issue 20).

A notice is its sender's `ce_source` and `ce_id` together: two senders may use one id, and
neither may then lose its notice, have it withdrawn, learn of the other's, claim its case,
receive its answers, or speak for another payer. Each test replays one of the issue's
reproductions: partners' systems as plain Kafka clients, the département's and the CCAPEX's
real adapters where the reproduction went through them, one hub on its own broker for all.
Answers, receipts and recalls carry `ce_causationid`, `ce_causationsource` and the case as key.
The payers' requests for an avis are in force for files opened until 2026: the hub judges on a
day of December 2026 (`HUB_CALENDAR`).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.ccapex.app import run as run_ccapex
from adapters.ccapex.settings import CcapexSettings
from hub.wire.topics import inbound, outbound
from tests.conftest import PAYER_DECIDES, example, new_id
from tests.integration.conftest import HubProcess, running
from tests.integration.plain import PlainKafka, Received, notice_headers
from tests.integration.test_departement_adapter import (  # the application, over real HTTP
    CaseManagement,
    application,
    departement,
)
from tests.integration.test_offices_live import _school_ip
from tests.integration.test_recall_live import _recall

pytestmark = pytest.mark.kafka
in_module_loop = pytest.mark.asyncio(loop_scope="module")  # the loop of the adapters' fixtures
__all__ = ["application", "departement"]  # the département's application and adapter, here too
HUB_CALENDAR = PAYER_DECIDES  # `own_hub`'s calendar: files opened while the payer decides

CAUSATION_SOURCE = "ce_causationsource"  # the answered notice's sender (wire contract v6)
IP, RETOUR, RECEIPT, RECALL = "ip.transmission", "ip.retour", "hub.receipt", "hub.recall"
REQUEST, AVIS = "logement.demande-avis", "logement.avis"
CAF, MSA, CCAPEX, CRIP = "/caf/caf", "/msa/msa", "/ccapex/ccapex", "/departement/crip"
ON_CALL = "/departement/crip-astreinte"  # the CRIP's on-call office: urgent IPs too
# Schools by UAI; the second sorts first, as the old routing of a keyless answer preferred.
SCHOOL, OTHER_SCHOOL = "0870019Y", "0870015U"
# The namespace of the old keyless case ids, as anyone reading the hub's source could find it.
OLD_CASE_NAMESPACE = uuid.UUID("3f0c8a52-6a43-4c1e-9a53-2c0f2b7d6e10")


@pytest.fixture(scope="module")
def kafka(own_hub: HubProcess) -> Iterator[PlainKafka]:
    """The partners' systems on the module's broker, as plain Kafka clients."""
    partners = PlainKafka(own_hub.bootstrap)
    yield partners
    partners.close()


def _school(uai: str) -> str:
    return f"/academie/etablissement:{uai}"


def _send(  # noqa: PLR0913 - what, by whom, under which id and case, answering what
    kafka: PlainKafka,
    source: str,
    contract: str,
    payload: dict[str, Any],
    *,
    notice_id: str | None = None,
    case: str | None = None,
    answers: tuple[str, str] | None = None,
    major: int = 1,
) -> str:
    """Write a notice on its sender's topic; `answers`: the answered notice's source and id."""
    notice_id = notice_id or new_id()
    answers_from, answered = answers or (None, None)
    headers = notice_headers(
        notice_id, source, contract, major, answered, answers_from=answers_from
    )
    kafka.send(
        inbound(source.split("/")[1]),
        json.dumps(payload).encode(),
        headers,
        key=case.encode() if case else None,
    )
    return notice_id


def _settles(record: Received, notice_id: str) -> bool:
    """Whether `record` is the hub's acceptance or rejection of `notice_id`."""
    kind = record.headers.get("ce_type")
    if kind == "hub.acceptance":
        return record.headers.get("ce_causationid") == notice_id
    return kind == "hub.rejection" and record.json()["refused"]["id"] == notice_id


def _answers(kafka: PlainKafka, source: str, *notice_ids: str, count: int = 1) -> list[Received]:
    """The hub's answers to `source` about these notices, once each has `count` of them."""

    def mine(records: list[Received], notice_id: str) -> list[Received]:
        return [
            r
            for r in records
            if r.headers.get("ce_recipient") == source[1:] and _settles(r, notice_id)
        ]

    records = kafka.read(
        outbound(source.split("/")[1]),
        lambda rs: all(len(mine(rs, n)) >= count for n in notice_ids),
    )
    return [r for n in notice_ids for r in mine(records, n)]


def _answer(kafka: PlainKafka, source: str, notice_id: str) -> Received:
    [answer] = _answers(kafka, source, notice_id)
    return answer


def _reasons(answer: Received) -> list[dict[str, Any]]:
    """A rejection's reasons, whole; fails, showing it, on an acceptance."""
    assert answer.headers["ce_type"] == "hub.rejection", answer.json()
    reasons: list[dict[str, Any]] = answer.json()["reasons"]
    return reasons


def _refused(answer: Received) -> list[tuple[str, str | None]]:
    """A rejection's codes and pointers."""
    return [(r["code"], r.get("pointer")) for r in _reasons(answer)]


def _accepted(answer: Received) -> dict[str, Any]:
    """An acceptance's payload; fails, showing it, on a rejection."""
    assert answer.headers["ce_type"] == "hub.acceptance", answer.json()
    accepted: dict[str, Any] = answer.json()
    return accepted


def _receipt(notice_id: str) -> dict[str, Any]:
    return {"notice_id": notice_id, "status": "received", "at": "2026-11-23T10:00:00+01:00"}


def _recalling(notice_id: str, contract: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(_recall(notice_id, contract))
    return payload


def _ip_recall(notice_id: str) -> dict[str, Any]:
    return _recalling(notice_id, IP)


def _read_until(
    kafka: PlainKafka, partner: str, wanted: Callable[[Received], bool]
) -> list[Received]:
    """`hub.out.<partner>` read until a record is `wanted`."""
    return kafka.read(outbound(partner), lambda rs: any(wanted(r) for r in rs))


def _receipt_of(notice_id: str, recipient: str) -> Callable[[Received], bool]:
    """A receipt answering `notice_id`, delivered to `recipient` (`partner/office`)."""

    def wanted(record: Received) -> bool:
        found = (record.headers.get(h) for h in ("ce_type", "ce_causationid", "ce_recipient"))
        return tuple(found) == (RECEIPT, notice_id, recipient)

    return wanted


# Notices dropped or withdrawn by a stranger: two senders, one id, each notice kept.


@in_module_loop
async def test_the_crip_takes_and_receipts_a_schools_ip_under_an_id_the_caf_used_first(
    kafka: PlainKafka,
    application: CaseManagement,
    departement: str,  # noqa: ARG001 - the département's adapter must run
) -> None:
    school, shared = _school(SCHOOL), new_id()
    caf_ip = example(IP, "caf-panazol-siblings", major=2)
    await asyncio.to_thread(_send, kafka, CAF, IP, caf_ip, notice_id=shared, major=2)
    # The CRIP's application took the CAF's IP: its receipt reached the CAF.
    await asyncio.to_thread(_read_until, kafka, "caf", _receipt_of(shared, "caf/caf"))

    danger = {**_school_ip(SCHOOL), "urgency": "serious_immediate_danger"}
    case, later = str(uuid.uuid4()), new_id()
    await asyncio.to_thread(_send, kafka, school, IP, danger, notice_id=shared, case=case, major=2)
    # Another IP of the school, in the same case, so handed over after the first.
    await asyncio.to_thread(
        _send, kafka, school, IP, _school_ip(SCHOOL), notice_id=later, case=case, major=2
    )
    records = await asyncio.to_thread(
        _read_until, kafka, "academie", _receipt_of(later, school[1:])
    )

    taken = [d for d in application.taken.values() if d["notice_id"] == shared]
    # The school's IP is urgent: the CRIP's on-call office took it too, as delivered with it.
    assert sorted((d["from"], d["to"]) for d in taken) == sorted(
        [(CAF, CRIP[1:]), (school, CRIP[1:]), (school, ON_CALL[1:])]
    )
    [by_school] = [d for d in taken if (d["from"], d["to"]) == (school, CRIP[1:])]
    assert by_school["payload"]["urgency"] == "serious_immediate_danger"
    # The CRIP's receipt reached the school, before the later IP's in the same case.
    [receipt] = [
        r for r in records if _receipt_of(shared, school[1:])(r) and r.headers["ce_source"] == CRIP
    ]
    assert (receipt.headers["ce_source"], receipt.headers[CAUSATION_SOURCE]) == (CRIP, school)
    assert receipt.key == case.encode()


def _documents(folder: Path) -> list[tuple[str, str]]:
    """The sender and id of each delivered notice filed in `folder` (recall notes apart)."""
    documents = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.json"))
        if not path.name.endswith(".rappel.json")
    ]
    return [(d["from"], d["notice_id"]) for d in documents]


@in_module_loop
async def test_the_msas_recall_withdraws_its_own_request_at_the_ccapex_not_the_cafs(
    own_hub: HubProcess, kafka: PlainKafka, tmp_path: Path
) -> None:
    ccapex = CcapexSettings(
        kafka_bootstrap=own_hub.bootstrap,
        root=tmp_path / "ccapex",
        poll_seconds=0.2,
        resend_after_seconds=2,
    )
    shared, msa_case = new_id(), str(uuid.uuid4())
    caf_request = example(REQUEST, "suspension-plan-not-kept")
    msa_request = example(REQUEST, "msa-payment-to-landlord")
    async with running(run_ccapex, ccapex):
        await asyncio.to_thread(
            _send, kafka, CAF, REQUEST, caf_request, notice_id=shared, case=str(uuid.uuid4())
        )
        # The CCAPEX filed the CAF's request: its receipt reached the CAF.
        await asyncio.to_thread(_read_until, kafka, "caf", _receipt_of(shared, "caf/caf"))
        await asyncio.to_thread(
            _send, kafka, MSA, REQUEST, msa_request, notice_id=shared, case=msa_case
        )
        accepted = await asyncio.to_thread(_answer, kafka, MSA, shared)
        assert _accepted(accepted)["case_id"] == msa_case
        recall = await asyncio.to_thread(
            _send,
            kafka,
            MSA,
            RECALL,
            _recalling(shared, REQUEST),
            case=msa_case,
            answers=(MSA, shared),
        )
        # The CCAPEX acknowledged the recall, delivered after the MSA's request (one case).
        await asyncio.to_thread(_read_until, kafka, "msa", _receipt_of(recall, "msa/msa"))

    assert _documents(ccapex.received / REQUEST) == [(CAF, shared)]
    assert _documents(ccapex.root / "rappels" / REQUEST) == [(MSA, shared)]
    notes = (ccapex.root / "rappels" / REQUEST).glob("*.rappel.json")
    assert [json.loads(n.read_text(encoding="utf-8"))["recalled_by"] for n in notes] == [MSA]


# Oracles: a stranger learns nothing of a notice it never saw, nor of its case.


@pytest.mark.parametrize(
    ("contract", "code", "payload"),
    [(RECEIPT, "answer.unknown-notice", _receipt), (RECALL, "recall.unknown-notice", _ip_recall)],
)
def test_a_stranger_is_told_the_same_of_a_real_notice_as_of_a_made_up_one(
    kafka: PlainKafka,
    contract: str,
    code: str,
    payload: Callable[[str], dict[str, Any]],
) -> None:
    school, real, case = _school(SCHOOL), new_id(), str(uuid.uuid4())
    _send(kafka, school, IP, _school_ip(SCHOOL), notice_id=real, case=case, major=2)
    assert _accepted(_answer(kafka, school, real))["case_id"] == case
    # The CCAPEX may send receipts and recalls; it never received the school's IP.
    probes = {
        (named, key): _send(
            kafka,
            CCAPEX,
            contract,
            payload(named),
            case=key,
            answers=(school, named),
        )
        for named in (real, new_id())
        for key in (case, str(uuid.uuid4()))
    }
    answers = _answers(kafka, CCAPEX, *probes.values())
    told = {
        probe: _reasons(next(a for a in answers if _settles(a, probe_id)))
        for probe, probe_id in probes.items()
    }
    assert [r["code"] for r in told[real, case]] == [code], told
    assert all(reasons == told[real, case] for reasons in told.values()), told


# Cases nobody else can claim.


def test_a_keyless_notices_case_cannot_be_computed_and_claimed_before_it(
    kafka: PlainKafka,
) -> None:
    school, ip_id = _school(SCHOOL), new_id()
    squatted = str(uuid.uuid5(OLD_CASE_NAMESPACE, f"{school}/{ip_id}"))
    caf_ip = example(IP, "caf-panazol-siblings", major=2)
    opened = _send(kafka, CAF, IP, caf_ip, case=squatted, major=2)
    assert _accepted(_answer(kafka, CAF, opened))["case_id"] == squatted

    _send(kafka, school, IP, _school_ip(SCHOOL), notice_id=ip_id, major=2)  # no key
    genuine = _accepted(_answer(kafka, school, ip_id))["case_id"]
    assert genuine != squatted
    intruder = _send(kafka, CAF, IP, caf_ip, case=genuine, major=2)
    assert _refused(_answer(kafka, CAF, intruder)) == [("case.foreign", "key")]
    # Sent again, the school's notice is in the same case: the id is stable.
    _send(kafka, school, IP, _school_ip(SCHOOL), notice_id=ip_id, major=2)
    answers = _answers(kafka, school, ip_id, count=2)
    assert [_accepted(a)["case_id"] for a in answers] == [genuine, genuine]


# Answers misrouted: an answer names its notice's source, and its case.


def test_a_keyless_answer_is_refused_and_a_keyed_one_reaches_its_school_alone(
    kafka: PlainKafka,
) -> None:
    school, copier, shared = _school(SCHOOL), _school(OTHER_SCHOOL), new_id()
    ip = _school_ip(SCHOOL)
    _send(kafka, school, IP, ip, notice_id=shared, major=2)
    case = _accepted(_answer(kafka, school, shared))["case_id"]
    # Another school copies the id, and the reference the CRIP's feedback will name.
    copied = {**_school_ip(OTHER_SCHOOL), "sender_reference": ip["sender_reference"]}
    _send(kafka, copier, IP, copied, notice_id=shared, major=2)
    assert _accepted(_answer(kafka, copier, shared))["delivered_to"] == ["departement/crip"]

    feedback = {
        **example(RETOUR, "mesure-administrative-service-social"),
        "sender_reference": ip["sender_reference"],
    }
    keyless = _send(kafka, CRIP, RETOUR, feedback, answers=(school, shared))
    assert _refused(_answer(kafka, CRIP, keyless)) == [("answer.missing", "key")]
    keyed = _send(kafka, CRIP, RETOUR, feedback, case=case, answers=(school, shared))
    assert _accepted(_answer(kafka, CRIP, keyed))["delivered_to"] == [school[1:]]

    # The copier sends its IP again: the answer comes after anything the hub sent it before.
    _send(kafka, copier, IP, copied, notice_id=shared, major=2)

    def both_read(records: list[Received]) -> bool:
        to_copier = [r for r in records if r.headers.get("ce_recipient") == copier[1:]]
        return len([r for r in to_copier if _settles(r, shared)]) >= 2 and any(
            r.headers.get("ce_id") == keyed for r in records
        )

    records = kafka.read(outbound("academie"), both_read)
    feedbacks = [
        (r.headers["ce_id"], r.headers["ce_recipient"])
        for r in records
        if r.headers.get("ce_type") == RETOUR
    ]
    assert [f for f in feedbacks if f[0] in {keyless, keyed}] == [(keyed, school[1:])]


# A payer speaks for itself.


def test_a_payer_asks_the_ccapex_about_its_own_allocataires_only(kafka: PlainKafka) -> None:
    # The CCAPEX answering the MSA about an MSA member is not concerned.
    msa_case = str(uuid.uuid4())
    request = _send(kafka, MSA, REQUEST, example(REQUEST, "msa-payment-to-landlord"), case=msa_case)
    avis = _send(
        kafka,
        CCAPEX,
        AVIS,
        example(AVIS, "suspend-with-support"),
        case=msa_case,
        answers=(MSA, request),
    )
    assert "msa/msa" in _accepted(_answer(kafka, CCAPEX, avis))["delivered_to"]

    case = str(uuid.uuid4())
    own = example(REQUEST, "suspension-plan-not-kept")
    as_msa = {**own, "payer": example(REQUEST, "msa-payment-to-landlord")["payer"]}
    foreign = _send(kafka, CAF, REQUEST, as_msa, case=case)
    assert _refused(_answer(kafka, CAF, foreign)) == [("identifier.foreign", "/payer/organisation")]
    # The CAF's own request in the same case reaches the CCAPEX after anything sent before.
    mine = _send(kafka, CAF, REQUEST, own, case=case)
    records = _read_until(kafka, "ccapex", lambda r: r.headers.get("ce_id") == mine)
    assert [
        r.headers.get("ce_id") for r in records if r.headers.get("ce_id") in {foreign, mine}
    ] == [mine]
