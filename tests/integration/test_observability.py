"""The hub's HTTP port on a running hub: health, readiness, metrics, and the trace API."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess
from tests.integration.plain import PlainKafka, by_id, notice_headers

pytestmark = pytest.mark.kafka
LIMOGES = json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the hub's own port
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _metrics(hub: HubProcess) -> dict[str, list[tuple[dict[str, str], float]]]:
    status, body = _get(f"{hub.http_url}/metrics")
    assert status == 200
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


@pytest.fixture(scope="module")
def sent(running_hub: HubProcess, plain: PlainKafka) -> str:
    """One formal notice through the hub, delivered; its id."""
    notice_id = str(uuid.uuid4())
    plain.send(
        "hub.in.academie", LIMOGES, notice_headers(notice_id), key=str(uuid.uuid4()).encode()
    )
    plain.read("hub.out.departement", lambda got: len(by_id(got, notice_id)) >= 2)
    # The hub records a batch once the broker holds its deliveries: wait for that commit.
    deadline = time.monotonic() + 10
    while running_hub.look(notice_id)[0] != 200:
        assert time.monotonic() < deadline, "the delivered notice was never recorded"
        time.sleep(0.05)
    return notice_id


def test_health_and_readiness_answer(running_hub: HubProcess) -> None:
    assert _get(f"{running_hub.http_url}/healthz") == (200, b'{"status": "ok"}')
    status, body = _get(f"{running_hub.http_url}/readyz")
    assert (status, json.loads(body)) == (200, {"status": "ready"})


@pytest.mark.usefixtures("sent")
def test_metrics_show_the_notice_faststream_and_the_hub(running_hub: HubProcess) -> None:
    samples = _metrics(running_hub)
    accepted = [
        v
        for labels, v in samples["hub_notices_total"]
        if labels
        == {
            "contract": FORMAL_NOTICE,
            "version": "1",
            "sender": "academie/dsden",
            "outcome": "accepted",
        }
    ]
    assert accepted
    assert accepted[0] >= 1
    assert any(name.startswith("faststream_") for name in samples), sorted(samples)
    assert samples["hub_ledger_append_seconds_count"][0][1] >= 1
    assert samples["hub_delivery_latency_seconds_count"][0][1] >= 1
    deadline = time.monotonic() + 30  # the gauges are refreshed every HUB_REFRESH_S
    while not samples.get("hub_consumer_lag"):
        assert time.monotonic() < deadline, "no consumer lag gauge"
        time.sleep(0.5)
        samples = _metrics(running_hub)
    assert samples["hub_receipts_pending"][0][1] >= 2  # nobody sent a receipt for it
    assert all(v >= 0 for _, v in samples["hub_consumer_lag"])


@pytest.mark.skipif(shutil.which("promtool") is None, reason="Debian's prometheus not installed")
@pytest.mark.usefixtures("sent")
def test_promtool_accepts_the_exposition(running_hub: HubProcess) -> None:
    _, body = _get(f"{running_hub.http_url}/metrics")
    check = subprocess.run(
        ["promtool", "check", "metrics"], input=body, capture_output=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_trace_api_returns_what_hub_trace_prints(running_hub: HubProcess, sent: str) -> None:
    status, body = running_hub.look(sent)
    assert status == 200
    served: dict[str, Any] = json.loads(body)
    printed = subprocess.run(
        [sys.executable, "-m", "hub", "trace", sent, "--json", "--path", str(running_hub.ledger)],
        capture_output=True,
        text=True,
        check=True,
    )
    shown = json.loads(printed.stdout)
    looks = [s for s in shown["steps"] if s["kind"] == "looked-up"]
    assert {s["detail"]["operator"] for s in looks} == {"tester"}  # the API's looks, recorded
    # The ledger goes on between the two reads (the API's own look, a deadline alerted since):
    # the API served every step up to its last one, as `hub trace` prints them.
    until = served["steps"][-1]["seq"]
    assert served == {**shown, "steps": [s for s in shown["steps"] if s["seq"] <= until]}
    assert [s["kind"] for s in served["steps"] if s["kind"] != "looked-up"] == [
        "accepted",
        "deadline-opened",  # a formal notice opens the enrolment deadline
        "delivered",
        "delivered",
    ]
    assert running_hub.look("nobody")[0] == 404
    assert _get(f"{running_hub.http_url}/trace/{sent}")[0] == 404  # not on the probes' port
