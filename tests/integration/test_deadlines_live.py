"""Legal deadlines on a running hub: the hub is told the date, and alerts reach their offices."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess, hub_on_own_broker
from tests.integration.plain import PlainKafka, notice_headers

pytestmark = pytest.mark.kafka
LIMOGES = json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()
IP = json.dumps(example("ip.transmission", "school-social-worker-serious-danger", major=2)).encode()
ALERT = "hub.deadline-alert"


@pytest.fixture(scope="module")
def late_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A hub that believes it is February 2027: October 2026's deadlines are all past."""
    with hub_on_own_broker(
        tmp_path_factory.mktemp("deadlines"),
        HUB_DEADLINES_AS_OF="2027-02-01T08:00:00+01:00",
        HUB_DEADLINE_CHECK_S="0.5",
    ) as hub:
        yield hub


def test_past_due_deadlines_alert_exactly_their_offices(late_hub: HubProcess) -> None:
    plain = PlainKafka(late_hub.bootstrap)
    formal, ip = str(uuid.uuid4()), str(uuid.uuid4())
    plain.send("hub.in.academie", LIMOGES, notice_headers(formal), key=str(uuid.uuid4()).encode())
    ip_headers = notice_headers(ip, "/academie/service-social", "ip.transmission", major=2)
    plain.send("hub.in.academie", IP, ip_headers, key=str(uuid.uuid4()).encode())

    def alerts(topic: str, count: int) -> dict[str, str]:
        got = plain.read(
            topic, lambda rs: len([r for r in rs if r.headers["ce_type"] == ALERT]) >= count
        )
        return {
            r.headers["ce_recipient"]: r.headers["ce_causationid"]
            for r in got
            if r.headers["ce_type"] == ALERT
        }

    assert alerts("hub.out.departement", 2) == {"departement/sdas": formal, "departement/crip": ip}
    assert alerts("hub.out.academie", 1) == {"academie/dsden": formal}
    status, body = late_hub.look(ip)
    assert status == 200
    steps = json.loads(body)["steps"]
    alerted = [s for s in steps if s["kind"] == "deadline-alerted"]
    assert [(s["detail"]["deadline"], s["detail"]["offices"]) for s in alerted] == [
        ("feedback", ["departement/crip"])
    ]
