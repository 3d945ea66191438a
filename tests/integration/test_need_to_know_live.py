"""Need to know, through the running hub: what the MDD and the DSDEN learn of an absentee.

Before the family agreed to meet it, the MDD of the family's commune learns of the joint
convocation only when and where it is held, routed by a commune it does not receive. The
outcome gives the DSDEN the school commitments, never the support the family accepted, which
the MDD it agreed to be oriented to receives, with who the family is.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import example
from tests.integration.conftest import HubProcess
from tests.integration.plain import SCHEMA, PlainKafka, Received, by_id, notice_headers

pytestmark = pytest.mark.kafka
CONVOCATION = "absenteisme.convocation"
OUTCOME = "absenteisme.issue-convocation"
DSDEN = "/academie/dsden"
MDD = "departement/mdd:87-limoges-nord"  # serves Couzeix, the family's commune
IDENTITY = {"pupil", "guardians", "address", "family_phone"}
SUPPORT = {1: None, 2: ["accept_social_support"]}  # the MDD's `support_commitments`, by major


def _convene(plain: PlainKafka, case: bytes) -> tuple[str, dict[str, Any]]:
    """The DSDEN's joint convocation of the Lambert family, in `case`; its id and its copies."""
    notice_id = str(uuid.uuid4())
    payload = example(CONVOCATION, "couzeix-convocation")
    headers = notice_headers(notice_id, DSDEN, CONVOCATION)
    plain.send("hub.in.academie", json.dumps(payload).encode(), headers, case)
    return notice_id, payload


def _outcome(plain: PlainKafka, case: bytes, answers: str, major: int) -> dict[str, Any]:
    payload = example(OUTCOME, "couzeix-oriented-mdd", major=major)
    if major == 1:  # v1 lists the support the family accepted among its commitments
        payload["commitments"] = ["ensure_regular_attendance", "accept_educational_support"]
    notice_id = str(uuid.uuid4())
    headers = notice_headers(
        notice_id, "/departement/sdas", OUTCOME, major, answers, answers_from=DSDEN
    )
    plain.send("hub.in.departement", json.dumps(payload).encode(), headers, case)
    return {"id": notice_id, **payload}


def _copy(records: list[Received], notice_id: str, office: str) -> Received:
    """The first copy of a notice delivered to `office` (a redelivery repeats it)."""
    return next(r for r in by_id(records, notice_id) if r.headers["ce_recipient"] == office)


def _delivered_to(office: str, notice_id: str) -> Callable[[list[Received]], bool]:
    return lambda got: any(r.headers["ce_recipient"] == office for r in by_id(got, notice_id))


def test_the_mdd_learns_when_and_where_the_family_is_convened_and_not_who(
    running_hub: HubProcess,  # noqa: ARG001 - started for what it does
    plain: PlainKafka,
) -> None:
    notice_id, sent = _convene(plain, str(uuid.uuid4()).encode())
    got = plain.read("hub.out.departement", _delivered_to(MDD, notice_id))
    mdd = _copy(got, notice_id, MDD).json()
    assert mdd == {
        "dasen_reference": sent["dasen_reference"],
        "sent_on": sent["sent_on"],
        "convocation": sent["convocation"],
    }
    assert not IDENTITY & set(mdd)
    # The SDAS, which meets the family with the school social worker, has the whole notice.
    sdas = plain.read("hub.out.departement", _delivered_to("departement/sdas", notice_id))
    assert _copy(sdas, notice_id, "departement/sdas").json() == sent


def test_the_dsden_hears_the_school_commitments_and_the_agreed_mdd_the_support(
    running_hub: HubProcess,  # noqa: ARG001 - started for what it does
    plain: PlainKafka,
) -> None:
    cases = {major: str(uuid.uuid4()).encode() for major in (1, 2)}
    outcomes = {}
    for major, case in cases.items():
        convocation, _ = _convene(plain, case)
        outcomes[major] = _outcome(plain, case, convocation, major)
    academie = plain.read(
        "hub.out.academie",
        lambda got: all(_delivered_to("academie/dsden", o["id"])(got) for o in outcomes.values()),
    )
    departement = plain.read(
        "hub.out.departement",
        lambda got: all(_delivered_to(MDD, o["id"])(got) for o in outcomes.values()),
    )
    for major, sent in outcomes.items():
        dsden = _copy(academie, sent["id"], "academie/dsden")
        # The DSDEN reads v2 (its pin): a v1 outcome reaches it with the support split out.
        assert dsden.headers["ce_dataschema"] == SCHEMA.format(OUTCOME, 2)
        assert dsden.json()["commitments"] == ["ensure_regular_attendance"]
        assert "support_commitments" not in dsden.json()
        assert not IDENTITY & set(dsden.json())
        mdd = _copy(departement, sent["id"], MDD)
        assert mdd.headers["ce_dataschema"] == SCHEMA.format(OUTCOME, major)
        assert mdd.json()["pupil"] == sent["pupil"]
        assert mdd.json()["commitments"] == sent["commitments"]
        # v2 keeps the support apart for the MDD alone; v1, which the MDD reads as sent, lists
        # it among the commitments.
        assert mdd.json().get("support_commitments") == SUPPORT[major]
