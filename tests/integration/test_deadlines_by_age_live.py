"""A département's periods by age on a running hub: a baby's evaluation is due within a month.

The directory shortens the evaluation of an information préoccupante (CASF D226-2-4: three
months at most) to one month for a child under two. Two IPs are accepted on the hub's real
clock, on a calendar fixed on a day before any run (files open on the same rules whatever the
date); then the hub is told it is 40 days later: the baby's evaluation alerts the CRIP, the
five-year-old's, due in three months, does not.
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.catalogue.in_force import ZONE
from hub.core.deadlines import due
from hub.edge.embedded import EmbeddedBroker
from tests.conftest import DIRECTORY, PAYER_DECIDES, example
from tests.integration.conftest import HubProcess, hub_process, on_calendar
from tests.integration.drill import CHECKED, steps_of
from tests.integration.plain import PlainKafka, Received, notice_headers

pytestmark = pytest.mark.kafka
IP, ALERT = "ip.transmission", "hub.deadline-alert"
SCHOOL = "/academie/service-social"
AGREEMENT = "agreements:\n  ip.transmission:\n    evaluation: {by_age: [{under: 2, period: P1M}]}\n"


def test_a_baby_s_evaluation_alerts_the_crip_after_a_month_and_an_older_child_s_does_not(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "directory.yaml"
    shutil.copy(DIRECTORY, directory)
    with directory.open("a", encoding="utf-8") as file:
        file.write(AGREEMENT)
    with EmbeddedBroker(log_path=tmp_path / "broker.log") as bootstrap:
        hub = hub_process(
            bootstrap,
            tmp_path,
            HUB_DIRECTORY_PATH=str(directory),
            HUB_DEADLINE_CHECK_S="0.5",
            **on_calendar(PAYER_DECIDES),
        )
        plain = PlainKafka(bootstrap)
        before = datetime.now(UTC)
        hub.start()
        hub.wait_ready()
        try:
            today = before.astimezone(ZONE).date()
            baby = _send_ip(plain, born=today - timedelta(days=200), today=today)
            older = _send_ip(plain, born=date(today.year - 5, 1, 1), today=today)
            _until_delivered(plain, {baby, older})
            assert hub.stop() == 0, hub.log.read_text()
            checks = hub.log.read_bytes().count(CHECKED)
            hub.env["HUB_DEADLINES_AS_OF"] = (before + timedelta(days=40)).isoformat()
            hub.start()
            hub.wait_ready()

            plain.read(
                "hub.out.departement",
                lambda rs: ("departement/crip", baby, "evaluation") in _alerts(rs),
            )
            hub.wait_for_log(CHECKED, count=checks + 1)  # that check is recorded
            # The same check found the older child's evaluation not yet due.
            assert _alerts(plain.everything("hub.out.departement")) == [
                ("departement/crip", baby, "evaluation")
            ]
            assert [s["detail"]["deadline"] for s in steps_of(hub, baby, "deadline-alerted")] == [
                "evaluation"
            ]
            assert steps_of(hub, older, "deadline-alerted") == []
            shortened, kept = _evaluation_opened(hub, baby), _evaluation_opened(hub, older)
            assert shortened["period_by_age"] == "P1M"
            assert shortened["due_on"] == _due(shortened["opened_on"], "P1M")
            assert "period_by_age" not in kept
            assert kept["due_on"] == _due(kept["opened_on"], "P3M")
        finally:
            assert hub.stop() == 0, hub.log.read_text()


def _send_ip(plain: PlainKafka, *, born: date, today: date) -> str:
    """An IP of standard urgency about a child born on `born`, sent today; its id."""
    payload = example(IP, "school-social-worker-serious-danger", major=2)
    payload |= {
        "urgency": "standard",
        "sent_on": today.isoformat(),
        "child": payload["child"] | {"birth_date": born.isoformat()},
    }
    notice = str(uuid.uuid4())
    headers = notice_headers(notice, SCHOOL, IP, major=2)
    plain.send("hub.in.academie", json.dumps(payload).encode(), headers, key=notice.encode())
    return notice


def _until_delivered(plain: PlainKafka, notices: set[str]) -> None:
    """Both IPs delivered to the CRIP: accepted, their deadlines opened with them."""
    plain.read(
        "hub.out.departement",
        lambda rs: {r.headers["ce_id"] for r in rs if r.headers["ce_type"] == IP} >= notices,
    )


def _alerts(records: list[Received]) -> list[tuple[str, str, str]]:
    """The deadline alerts among `records`: (office, notice, deadline)."""
    return sorted(
        (r.headers["ce_recipient"], r.headers["ce_causationid"], r.json()["deadline"])
        for r in records
        if r.headers["ce_type"] == ALERT
    )


def _evaluation_opened(hub: HubProcess, notice: str) -> dict[str, Any]:
    [opened] = [
        s["detail"]
        for s in steps_of(hub, notice, "deadline-opened")
        if s["detail"]["deadline"] == "evaluation"
    ]
    return dict(opened)


def _due(opened_on: str, period: str) -> str:
    return due(date.fromisoformat(opened_on), period).isoformat()
