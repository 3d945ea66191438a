"""Steps under way hold a formal notice's alert on a running hub, until the hold is over.

One hub, one state, its clock (`HUB_DEADLINES_AS_OF`) set three times. On 10 November 2026 two
formal notices are accepted, and for each a regularisation v2 saying that the family told the
DASEN of steps under way within the fifteen days. On 1 December both fifteen days are past but
not the holds: no alert; the second child is then enrolled (a regularisation `enrolled`). On 10
January 2027 the first child's hold (declared 9 November, two months) is over: its alert
reaches the DSDEN and the SDAS, due on the hold's last day; the second is never alerted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess, hub_on_own_broker
from tests.integration.drill import CHECKED, live_again, steps_of
from tests.integration.plain import PlainKafka, Received, notice_headers

pytestmark = pytest.mark.kafka
REGULARISATION, ALERT, ACCEPTANCE = (
    "instruction.regularisation",
    "hub.deadline-alert",
    "hub.acceptance",
)
DSDEN = "/academie/dsden"
NOVEMBER, DECEMBER, JANUARY = (
    "2026-11-10T10:00:00+01:00",
    "2026-12-01T09:00:00+01:00",
    "2027-01-10T09:00:00+01:00",
)
SAINT_JUNIEN = example(FORMAL_NOTICE, "saint-junien-minimal")  # sent 11-02: due 11-17
BELLAC = example(FORMAL_NOTICE, "overdue-bellac")  # notified 10-28: due 11-12
LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")  # due 10-23: overdue at once
HOME_EDUCATION = example(REGULARISATION, "saint-junien-home-education-requested", major=2)
CARE = example(REGULARISATION, "bellac-care-being-arranged", major=2)  # declared 11-06
ENROLLED = {
    **{k: v for k, v in CARE.items() if k != "steps"},
    "sent_on": "2026-11-30",
    "outcome": "enrolled",
    "regularised_on": "2026-11-28",
    "school_uai": "0870008L",
}


@dataclass(frozen=True)
class Case:
    """A formal notice sent, and its case."""

    notice: str
    key: bytes


@dataclass(frozen=True)
class Held:
    """The hub on 10 January 2027, a partner's client, and the two held formal notices."""

    hub: HubProcess
    plain: PlainKafka
    saint_junien: Case
    bellac: Case
    december: dict[str, list[dict[str, Any]]]  # each held notice's alerts, on 1 December
    witness: str  # a formal notice alerted on 1 December: the watch ran
    january_checks: int  # the watch's recorded checks before the hub woke on 10 January


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Held]:
    with hub_on_own_broker(
        tmp_path_factory.mktemp("holds"), HUB_DEADLINES_AS_OF=NOVEMBER, HUB_DEADLINE_CHECK_S="0.5"
    ) as hub:
        plain = PlainKafka(hub.bootstrap)
        try:
            saint_junien, bellac = (
                _formal_notice(plain, SAINT_JUNIEN),
                _formal_notice(plain, BELLAC),
            )
            steps = [_answer(plain, saint_junien, HOME_EDUCATION), _answer(plain, bellac, CARE)]
            _accepted(plain, *steps)

            checks = live_again(hub, DECEMBER)  # both fifteen days past, neither hold
            _accepted(plain, _answer(plain, bellac, ENROLLED))
            witness = _formal_notice(plain, LIMOGES)  # overdue at once: alerted, the watch ran
            _until_alert(plain, "hub.out.departement", ("departement/sdas", witness.notice))
            hub.wait_for_log(CHECKED, count=checks + 1)  # that check is recorded
            december = {
                case.notice: steps_of(hub, case.notice, "deadline-alerted")
                for case in (saint_junien, bellac, witness)
            }

            january_checks = live_again(hub, JANUARY)  # the first hold over, the second closed
            yield Held(hub, plain, saint_junien, bellac, december, witness.notice, january_checks)
        finally:
            plain.close()


def test_steps_under_way_reach_the_sdas_alone_and_hold_the_enrolment(held: Held) -> None:
    notice = held.saint_junien.notice
    [step] = steps_of(held.hub, notice, "deadline-held")
    assert step["detail"] | {"holding_notice": "-"} == {
        "deadline": "enrolment",
        "held_by": REGULARISATION,
        "holding_notice": "-",
        "held_from": "2026-11-09",
        "due_on": "2027-01-09",
        "due_at": "2027-01-09T23:00:00+00:00",
    }
    [answer] = [
        s for s in steps_of(held.hub, notice, "accepted") if s["contract"] == REGULARISATION
    ]
    assert answer["detail"]["recipients"] == ["departement/sdas"]  # never the MDD: nothing closed
    assert steps_of(held.hub, notice, "deadline-closed") == []


def test_past_the_fifteen_days_a_held_deadline_is_not_alerted(held: Held) -> None:
    assert len(held.december[held.witness]) == 1  # the watch ran on 1 December
    assert held.december[held.saint_junien.notice] == []
    assert held.december[held.bellac.notice] == []


def test_once_the_hold_is_over_the_dsden_and_the_sdas_are_alerted_with_its_last_day(
    held: Held,
) -> None:
    notice = held.saint_junien.notice
    alerts = [
        _until_alert(held.plain, "hub.out.academie", ("academie/dsden", notice)),
        _until_alert(held.plain, "hub.out.departement", ("departement/sdas", notice)),
    ]
    for alert in alerts:
        assert alert.json() == {
            "deadline": "enrolment",
            "contract": FORMAL_NOTICE,
            "notice_id": notice,
            "case_id": held.saint_junien.key.decode(),
            "opened_on": "2026-11-02",
            "due_on": "2027-01-09",  # the hold's last day, not the fifteen days'
        }
    held.hub.wait_for_log(CHECKED, count=held.january_checks + 1)  # that check is recorded
    [alerted] = steps_of(held.hub, notice, "deadline-alerted")
    assert alerted["detail"]["offices"] == ["academie/dsden", "departement/sdas"]


def test_an_enrolment_during_the_hold_closes_it_and_nothing_is_ever_alerted(held: Held) -> None:
    notice = held.bellac.notice
    # The check that alerted the first notice, whose hold is over, has found nothing else due.
    _until_alert(held.plain, "hub.out.departement", ("departement/sdas", held.saint_junien.notice))
    held.hub.wait_for_log(CHECKED, count=held.january_checks + 1)
    [closed] = steps_of(held.hub, notice, "deadline-closed")
    assert closed["detail"]["closed_by"] == REGULARISATION
    assert len(steps_of(held.hub, notice, "deadline-held")) == 1  # the care being arranged
    assert steps_of(held.hub, notice, "deadline-alerted") == []
    alerted = {
        r.headers["ce_causationid"]
        for topic in ("hub.out.academie", "hub.out.departement")
        for r in held.plain.everything(topic)
        if r.headers["ce_type"] == ALERT
    }
    assert alerted == {held.witness, held.saint_junien.notice}


def _formal_notice(plain: PlainKafka, payload: dict[str, Any]) -> Case:
    case = Case(str(uuid.uuid4()), str(uuid.uuid4()).encode())
    plain.send(
        "hub.in.academie", json.dumps(payload).encode(), notice_headers(case.notice), case.key
    )
    return case


def _answer(plain: PlainKafka, case: Case, payload: dict[str, Any]) -> str:
    answer = str(uuid.uuid4())
    headers = notice_headers(answer, DSDEN, REGULARISATION, 2, case.notice, answers_from=DSDEN)
    plain.send("hub.in.academie", json.dumps(payload).encode(), headers, case.key)
    return answer


def _accepted(plain: PlainKafka, *notices: str) -> None:
    """Wait for the hub's acceptance of each: recorded with the batch that accepted it."""
    plain.read(
        "hub.out.academie",
        lambda rs: (
            {r.headers.get("ce_causationid") for r in rs if r.headers["ce_type"] == ACCEPTANCE}
            >= set(notices)
        ),
    )


def _until_alert(plain: PlainKafka, topic: str, to: tuple[str, str]) -> Received:
    """The alert to an office about a notice, once it has come."""

    def alert(rs: list[Received]) -> list[Received]:
        return [
            r
            for r in rs
            if r.headers["ce_type"] == ALERT
            and (r.headers["ce_recipient"], r.headers["ce_causationid"]) == to
        ]

    [found] = alert(plain.read(topic, lambda rs: bool(alert(rs))))
    return found
