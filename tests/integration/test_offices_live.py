"""Below the partner, through the running hub: a school answered alone, each office its major.

Schools are offices known by their UAI (`academie/etablissement:<UAI>`): the CRIP's feedback on
an IP reaches the school that sent it and no other. A pin on one office wins over its partner's:
one IP reaches two offices of the département in two majors.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import DIRECTORY, example
from tests.integration.conftest import HubProcess, hub_on_own_broker
from tests.integration.plain import PlainKafka, Received, notice_headers

pytestmark = pytest.mark.kafka
IP = "ip.transmission"
SCHEMA = "https://partner-hub.example/contracts/ip.transmission/v{}/schema.json"
SCHOOLS = ("0870015U", "0870019Y")
# A school head who alerted the Parquet by e-mail (CASF L226-4 II).
TOLD = {"alerted_by": "sender", "alerted_at": "2026-11-23T08:15:00+01:00", "channel": "email"}


def _school_ip(uai: str) -> dict[str, Any]:
    """An IP written by a school head, naming the other children of the home (v2)."""
    payload = example(IP, "caf-panazol-siblings", major=2)
    payload["sender_reference"] = f"CLG-{uai}-2026-001"
    payload["sender_role"] = "school_head"
    payload["sender_service"] = {"name": f"Collège {uai}", "uai": uai}
    payload["school_uai"] = uai
    return payload


def _delivered(records: list[Received], notice_id: str) -> list[str]:
    return [r.headers["ce_recipient"] for r in records if r.headers.get("ce_id") == notice_id]


def test_the_crip_feedback_reaches_the_school_that_sent_the_ip_and_no_other(
    running_hub: HubProcess,  # noqa: ARG001 - started for what it does
    plain: PlainKafka,
) -> None:
    ips = {uai: (str(uuid.uuid4()), str(uuid.uuid4())) for uai in SCHOOLS}  # notice id, case
    for uai, (ip_id, case) in ips.items():
        headers = notice_headers(ip_id, f"/academie/etablissement:{uai}", IP, major=2)
        plain.send("hub.in.academie", json.dumps(_school_ip(uai)).encode(), headers, case.encode())
    crip = plain.read(
        "hub.out.departement",
        lambda got: all(_delivered(got, ip_id) for ip_id, _ in ips.values()),
    )
    for uai, (ip_id, _) in ips.items():
        [delivery] = [r for r in crip if r.headers.get("ce_id") == ip_id]
        assert delivery.headers["ce_recipient"] == "departement/crip"
        assert delivery.json()["school_uai"] == uai
        assert len(delivery.json()["other_minors"]) == 2  # the CRIP reads v3: nothing lost

    feedback = {uai: str(uuid.uuid4()) for uai in SCHOOLS}
    for uai, (ip_id, case) in ips.items():
        school = f"/academie/etablissement:{uai}"
        headers = notice_headers(
            feedback[uai], "/departement/crip", "ip.retour", 1, ip_id, answers_from=school
        )
        # Filed by the school under its own reference, concluded after the IP was sent.
        payload = {
            **example("ip.retour", "mesure-administrative-service-social"),
            "sender_reference": f"CLG-{uai}-2026-001",
        }
        plain.send("hub.in.departement", json.dumps(payload).encode(), headers, case.encode())
    academie = plain.read(
        "hub.out.academie",
        lambda got: all(_delivered(got, retour) for retour in feedback.values()),
    )
    for uai, retour in feedback.items():
        assert _delivered(academie, retour) == [f"academie/etablissement:{uai}"]
        [record] = [r for r in academie if r.headers.get("ce_id") == retour]
        assert record.json()["sender_reference"] == f"CLG-{uai}-2026-001"
        assert (record.headers["ce_causationid"], record.headers["ce_causationsource"]) == (
            ips[uai][0],
            f"/academie/etablissement:{uai}",
        )


@pytest.fixture(scope="module")
def pinned_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A hub whose département reads IP v1 (the losses acknowledged) but whose CRIP pins v2: the
    CRIP's on-call office, which receives an urgent IP as the CRIP does, reads v1."""
    folder = tmp_path_factory.mktemp("pinned")
    directory = folder / "directory.yaml"
    shutil.copy(DIRECTORY, directory)
    _edit_yaml(directory, _pins)
    with hub_on_own_broker(folder, HUB_DIRECTORY_PATH=str(directory)) as hub:
        yield hub


def _edit_yaml(path: Path, edit: Any) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def _pins(directory: dict[str, Any]) -> None:
    departement = directory["partners"]["departement"]
    v1 = {"major": 1, "accepts_loss_of": ["other_minors", "parquet_alert"]}
    departement["consumes"] = {IP: v1}
    v2 = {"major": 2, "accepts_loss_of": ["parquet_alert"]}
    departement["offices"]["crip"]["consumes"] = {IP: v2}


def test_each_office_receives_the_major_it_is_pinned_to(pinned_hub: HubProcess) -> None:
    plain = PlainKafka(pinned_hub.bootstrap)
    ip_id = str(uuid.uuid4())
    headers = notice_headers(ip_id, f"/academie/etablissement:{SCHOOLS[0]}", IP, major=3)
    payload = {
        **_school_ip(SCHOOLS[0]),
        "urgency": "serious_immediate_danger",
        "parquet_alert": TOLD,
    }
    plain.send("hub.in.academie", json.dumps(payload).encode(), headers, str(uuid.uuid4()).encode())
    got = plain.read("hub.out.departement", lambda rs: len(_delivered(rs, ip_id)) == 2)
    by_office = {r.headers["ce_recipient"]: r for r in got if r.headers.get("ce_id") == ip_id}
    crip, on_call = by_office["departement/crip"], by_office["departement/crip-astreinte"]
    assert crip.headers["ce_dataschema"] == SCHEMA.format(2)
    assert crip.json() == {k: v for k, v in payload.items() if k != "parquet_alert"}
    assert on_call.headers["ce_dataschema"] == SCHEMA.format(1)
    lost = ("other_minors", "parquet_alert")
    assert on_call.json() == {k: v for k, v in payload.items() if k not in lost}
