"""Housing under both regimes through the running hub: a file keeps the rules of its first day.

One hub, one state: its calendar (`HUB_DEADLINES_AS_OF`) says 20 December 2026, then, restarted,
5 January 2027. Until 31 December 2026 the payer (CAF or MSA) decides on the housing benefit and
informs the CCAPEX (logement.decision-payeur); from 1 January 2027 the CCAPEX decides and tells
the payer that referred the household, and no other (logement.decision-ccapex). A file is under
the rules of the day the hub accepted its first notice: opened in December, it stays under
December's in January; opened in January, it is under January's whatever dates it carries.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from hub.wire.topics import inbound, outbound
from tests.conftest import example
from tests.integration.conftest import HubProcess, hub_on_own_broker
from tests.integration.plain import SCHEMA, PlainKafka, Received, by_id, notice_headers

pytestmark = pytest.mark.kafka
DECEMBER, JANUARY = "2026-12-20T10:00:00+01:00", "2027-01-05T10:00:00+01:00"
CAF, MSA, CCAPEX = "/caf/caf", "/msa/msa", "/ccapex/ccapex"
REFERRAL, ORIENTATION = "logement.saisine-impayes", "logement.orientation"
PAYER_DECIDES, CCAPEX_DECIDES = "logement.decision-payeur", "logement.decision-ccapex"
TEXT_2026 = "CCH R824-1 (décret n° 2016-748 codifié)"  # how each definition's text begins
TEXT_2027 = "Décret n° 2026-84 du 12 février 2026"
WAIT = 30.0  # the longest any one record or ledger entry is waited for


@dataclass(frozen=True)
class Sent:
    """A notice sent as a partner: its id, its sender (`ce_source`) and its case."""

    id: str
    source: str
    case: str


@dataclass(frozen=True)
class December:
    """What was sent while the hub's calendar said 20 December 2026."""

    referral: Sent
    payer_decision: Sent
    ccapex_decision: Sent


@dataclass(frozen=True)
class Housing:
    """The hub, now on 5 January 2027, a partner's client, and what December left."""

    hub: HubProcess
    plain: PlainKafka
    december: December


@pytest.fixture(scope="module")
def housing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Housing]:
    """December played on a hub whose calendar says 2026-12-20, then the hub on 2027-01-05.

    Each December notice is decided (accepted or refused, in the ledger) before the hub stops;
    the tests judge what was decided. The restarted hub keeps the state file and its group.
    """
    folder = tmp_path_factory.mktemp("housing-regimes")
    with hub_on_own_broker(folder, HUB_DEADLINES_AS_OF=DECEMBER) as hub:
        plain = PlainKafka(hub.bootstrap)
        try:
            referral = _send(plain, REFERRAL, _referral("limoges-social-landlord", "2026-12-18"))
            _decided(hub, referral)
            payer_decision = _send(
                plain, PAYER_DECIDES, _payer_decision("2026-12-19"), CAF, referral.case
            )
            ccapex_decision = _send(
                plain,
                CCAPEX_DECIDES,
                _ccapex_decision("maintained-with-plan", "2026-12-19"),
                CCAPEX,
                referral.case,
                answers=referral,
            )
            _decided(hub, payer_decision)
            _decided(hub, ccapex_decision)
            assert hub.stop() == 0, hub.log.read_text()
            hub.env["HUB_DEADLINES_AS_OF"] = JANUARY
            hub.start()
            hub.wait_ready()
            yield Housing(hub, plain, December(referral, payer_decision, ccapex_decision))
        finally:
            plain.close()


def test_in_december_the_payer_decides_and_the_ccapex_is_informed(housing: Housing) -> None:
    referral = housing.december.referral
    accepted = _accepted(housing.hub, referral)
    assert accepted["regime_on"] == "2026-12-20"
    assert accepted["qualified"] == {"arrears_qualification": True}
    [copy] = _copies(housing.plain, "ccapex", referral)
    assert copy.headers["ce_recipient"] == "ccapex/ccapex"
    assert copy.json()["payer"]["organisation"] == "caf"
    qualification = copy.json()["arrears_qualification"]
    assert qualification["qualified"] is True
    assert qualification["text"].startswith(TEXT_2026)  # R824-1 as it read in 2026

    payer_decision = housing.december.payer_decision
    assert _accepted(housing.hub, payer_decision)["recipients"] == ["ccapex/ccapex"]
    [informed] = _copies(housing.plain, "ccapex", payer_decision)
    assert informed.headers["ce_recipient"] == "ccapex/ccapex"
    assert informed.json()["decision"] == "maintained"

    ccapex_decision = housing.december.ccapex_decision
    [reason] = _refused(housing, "ccapex", ccapex_decision).json()["reasons"]
    assert (reason["code"], reason["pointer"]) == ("contract.not-in-force", "ce_type")
    assert "not for a file opened on 2026-12-20" in reason["detail"]
    assert reason["detail"].endswith(f"send {PAYER_DECIDES}")
    assert not by_id(housing.plain.everything(outbound("caf")), ccapex_decision.id)


def test_in_january_the_ccapex_decision_reaches_the_referring_caf_alone(housing: Housing) -> None:
    plain = housing.plain
    referral = _send(plain, REFERRAL, _referral("limoges-social-landlord", "2027-01-04"))
    assert _accepted(housing.hub, referral)["regime_on"] == "2027-01-05"
    [copy] = _copies(plain, "ccapex", referral)
    assert copy.headers["ce_recipient"] == "ccapex/ccapex"
    assert copy.json()["arrears_qualification"]["text"].startswith(TEXT_2027)

    decision = _ccapex_answers(plain, "maintained-with-plan", referral)
    assert _accepted(housing.hub, decision)["recipients"] == ["caf/caf"]
    [to_caf] = _copies(plain, "caf", decision)
    assert to_caf.headers["ce_recipient"] == "caf/caf"
    assert (to_caf.headers["ce_causationid"], to_caf.headers["ce_causationsource"]) == (
        referral.id,
        CAF,
    )
    assert to_caf.key == referral.case.encode()
    assert to_caf.json()["decision"] == "maintained"
    assert not _in_case(plain.everything(outbound("msa")), referral)  # the MSA: nothing of it


def test_an_msa_file_goes_between_the_msa_and_the_ccapex_only(housing: Housing) -> None:
    plain = housing.plain
    referral = _send(plain, REFERRAL, _referral("msa-farm-household", "2027-01-04"), MSA)
    assert _accepted(housing.hub, referral)["recipients"] == ["ccapex/ccapex"]
    [copy] = _copies(plain, "ccapex", referral)
    assert copy.json()["payer"]["organisation"] == "msa"
    decision = _ccapex_answers(plain, "msa-suspended", referral)
    assert _accepted(housing.hub, decision)["recipients"] == ["msa/msa"]
    [to_msa] = _copies(plain, "msa", decision)
    assert (to_msa.headers["ce_recipient"], to_msa.json()["decision"]) == ("msa/msa", "suspended")
    assert not _in_case(plain.everything(outbound("caf")), referral)  # the CAF: nothing of it


def test_the_payer_decides_in_a_december_file_only(housing: Housing) -> None:
    plain = housing.plain
    referral = _send(plain, REFERRAL, _referral("limoges-social-landlord", "2027-01-04"))
    _accepted(housing.hub, referral)
    too_late = _send(plain, PAYER_DECIDES, _payer_decision("2027-01-05"), CAF, referral.case)
    [reason] = _refused(housing, "caf", too_late).json()["reasons"]
    assert (reason["code"], reason["pointer"]) == ("contract.not-in-force", "ce_type")
    assert "not for a file opened on 2027-01-05" in reason["detail"]
    assert reason["detail"].endswith(f"send {CCAPEX_DECIDES}")

    december_case = housing.december.referral.case
    still = _send(plain, PAYER_DECIDES, _payer_decision("2027-01-05"), CAF, december_case)
    assert _accepted(housing.hub, still)["regime_on"] == "2026-12-20"
    [informed] = _copies(plain, "ccapex", still)
    assert informed.headers["ce_recipient"] == "ccapex/ccapex"


def test_a_referral_dated_december_but_accepted_in_january_is_under_2027_rules(
    housing: Housing,
) -> None:
    plain = housing.plain
    backdated = _referral("limoges-social-landlord", "2026-12-18")
    referral = _send(plain, REFERRAL, backdated)
    assert _accepted(housing.hub, referral)["regime_on"] == "2027-01-05"
    [copy] = _copies(plain, "ccapex", referral)
    assert copy.json()["sent_on"] == "2026-12-18"
    assert copy.json()["arrears_qualification"]["text"].startswith(TEXT_2027)
    decision = _ccapex_answers(plain, "maintained-with-plan", referral)
    assert _accepted(housing.hub, decision)["recipients"] == ["caf/caf"]
    [to_caf] = _copies(plain, "caf", decision)
    assert to_caf.headers["ce_causationid"] == referral.id


def test_a_small_debt_is_arrears_once_unpaid_three_months(housing: Housing) -> None:
    plain = housing.plain
    small = _referral("small-recent-debt", "2027-01-04") | {"debt_amount": 300.0}
    three_months = _send(plain, REFERRAL, small | {"arrears_since": "2026-10-04"})
    one_month = _send(plain, REFERRAL, small | {"arrears_since": "2026-12-04"})
    for referral, qualified in ((three_months, True), (one_month, False)):
        assert _accepted(housing.hub, referral)["qualified"] == {"arrears_qualification": qualified}
        [copy] = _copies(plain, "ccapex", referral)
        assert copy.json()["debt_amount"] == 300.0
        qualification = copy.json()["arrears_qualification"]
        assert qualification["qualified"] is qualified
        assert qualification["text"].startswith(TEXT_2027)


def test_the_fsl_reads_an_agreed_orientation_in_v2_and_v1_is_refused(housing: Housing) -> None:
    plain = housing.plain
    agreed = example(ORIENTATION, "limoges-to-fsl", major=2)
    assert agreed["orientation"]["service"] == "fsl"
    consent = {"informed": True, "agreed": True, "recorded_on": "2027-01-04"}
    v2 = _send(plain, ORIENTATION, agreed | {"sent_on": "2027-01-05", "consent": consent}, CCAPEX)
    assert _accepted(housing.hub, v2)["recipients"] == ["departement/fsl"]
    [to_fsl] = _copies(plain, "departement", v2)
    assert to_fsl.headers["ce_recipient"] == "departement/fsl"
    assert to_fsl.headers["ce_dataschema"] == SCHEMA.format(ORIENTATION, 2)
    assert to_fsl.json()["consent"] == consent

    old = example(ORIENTATION, "limoges-to-fsl", major=1) | {"sent_on": "2027-01-05"}
    v1 = _send(plain, ORIENTATION, old, CCAPEX, major=1)
    rejection = _refused(housing, "ccapex", v1)
    assert (rejection.headers["ce_source"], rejection.headers["ce_recipient"]) == (
        "/hub",
        "ccapex/ccapex",
    )
    [reason] = rejection.json()["reasons"]
    assert (reason["code"], reason["pointer"]) == ("contract.major-retired", "ce_dataschema")
    assert reason["detail"].endswith("send v2")
    assert not by_id(plain.everything(outbound("departement")), v1.id)


def _referral(name: str, sent_on: str) -> dict[str, Any]:
    """A shipped v2 referral, sent on `sent_on`: the tenant told three days before."""
    told = (date.fromisoformat(sent_on) - timedelta(days=3)).isoformat()
    return example(REFERRAL, name, major=2) | {"sent_on": sent_on, "tenant_informed_on": told}


def _payer_decision(day: str) -> dict[str, Any]:
    """The CAF's shipped decision (maintained on a plan), decided and sent on `day`."""
    payload = example(PAYER_DECIDES, "maintained-with-plan")
    return payload | {"sent_on": day, "decided_on": day, "review_on": "2027-06-30"}


def _ccapex_decision(name: str, day: str) -> dict[str, Any]:
    """A shipped decision of the CCAPEX, decided and sent on `day`."""
    payload = example(CCAPEX_DECIDES, name)
    return payload | {"sent_on": day, "decided_on": day, "review_on": "2027-06-30"}


def _ccapex_answers(plain: PlainKafka, name: str, referral: Sent) -> Sent:
    """The CCAPEX's decision `name` (an example), answering the payer's referral, in January."""
    decision = _ccapex_decision(name, "2027-01-05")
    return _send(plain, CCAPEX_DECIDES, decision, CCAPEX, referral.case, answers=referral)


def _send(  # noqa: PLR0913 - what is sent, by whom, in which case, which major, answering what
    plain: PlainKafka,
    contract: str,
    payload: dict[str, Any],
    source: str = CAF,
    case: str | None = None,
    *,
    major: int | None = None,
    answers: Sent | None = None,
) -> Sent:
    """Send `payload` as `source` on its partner's topic, in `case` (a new case when None)."""
    notice_id = f"{contract}-{uuid.uuid4().hex[:12]}"
    case = case or str(uuid.uuid4())
    if major is None:
        major = 2 if contract in {REFERRAL, ORIENTATION} else 1
    headers = [
        (name, f"{payload['sent_on']}T09:00:00+01:00".encode() if name == "ce_time" else value)
        for name, value in notice_headers(
            notice_id,
            source,
            contract,
            major,
            answers.id if answers else None,
            answers_from=answers.source if answers else None,
        )
    ]
    plain.send(inbound(source.split("/")[1]), json.dumps(payload).encode(), headers, case.encode())
    return Sent(notice_id, source, case)


def _decided(hub: HubProcess, notice: Sent) -> dict[str, Any]:
    """The ledger's decision on `notice` (its `accepted` or `rejected` entry), once recorded.

    The hub records a batch once the broker holds what it wrote for it: from then on, every
    copy, acceptance and rejection of the notice can be read.
    """
    deadline = time.monotonic() + WAIT
    while True:
        status, body = hub.look(notice.id)
        steps = json.loads(body)["steps"] if status == 200 else []
        found = [
            s
            for s in steps
            if s["notice_id"] == notice.id
            and s["sender"] == notice.source
            and s["kind"] in {"accepted", "rejected"}
        ]
        if found:
            [decision] = found
            return dict(decision)
        assert time.monotonic() < deadline, f"{notice.id}: not decided in {WAIT} s ({status})"
        time.sleep(0.1)


def _accepted(hub: HubProcess, notice: Sent) -> dict[str, Any]:
    """The detail of the ledger's `accepted` entry of `notice`; fails with why it was refused."""
    decision = _decided(hub, notice)
    assert decision["kind"] == "accepted", decision["detail"].get("reasons")
    detail: dict[str, Any] = decision["detail"]
    return detail


def _copies(plain: PlainKafka, partner: str, notice: Sent) -> list[Received]:
    """The copies of a decided notice on a partner's topic, each with its sender's source."""
    return [
        r
        for r in by_id(plain.everything(outbound(partner), WAIT), notice.id)
        if r.headers.get("ce_source") == notice.source
    ]


def _in_case(records: list[Received], notice: Sent) -> list[Received]:
    """The records about `notice`'s case: the hub keys all it writes with the case's id."""
    return [r for r in records if r.key == notice.case.encode()]


def _refused(housing: Housing, partner: str, notice: Sent) -> Received:
    """The one `hub.rejection` of `notice`, on its sender's topic, once the ledger refused it."""
    decision = _decided(housing.hub, notice)
    assert decision["kind"] == "rejected", decision["detail"]["recipients"]

    def mine(records: list[Received]) -> list[Received]:
        return [
            r
            for r in records
            if r.headers.get("ce_type") == "hub.rejection"
            and r.json()["refused"]["id"] == notice.id
        ]

    [rejection] = mine(housing.plain.everything(outbound(partner), WAIT))
    return rejection
