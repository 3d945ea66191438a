"""The formal-notice flow end to end: a plain client, the real broker, the hub as a process."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess
from tests.integration.plain import PlainKafka, Received, by_id, notice_headers

pytestmark = pytest.mark.kafka

LIMOGES = json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()
SAINT_JUNIEN = json.dumps(example(FORMAL_NOTICE, "saint-junien-minimal")).encode()
INVALID = json.dumps(example(FORMAL_NOTICE, "missing-child", kind="invalid")).encode()
CASE = str(uuid.uuid4()).encode()


def _id() -> str:
    return str(uuid.uuid4())


def _send(plain: PlainKafka, value: bytes, notice_id: str, source: str = "/academie/dsden") -> None:
    plain.send("hub.in.academie", value, notice_headers(notice_id, source), key=CASE)


def _delivered_after(plain: PlainKafka, topic: str, sentinel: str) -> list[Received]:
    """Everything on `topic` once the sentinel notice (sent last, same case) is there.

    Records of one case share a partition and are handled in order, so whatever the hub
    would have written for the earlier records is written by then.
    """
    return plain.read(topic, lambda got: len(by_id(got, sentinel)) >= 1)


def _rejections(records: list[Received]) -> list[Received]:
    """The académie's topic carries deliveries too: keep the hub's rejections."""
    return [r for r in records if r.headers.get("ce_type") == "hub.rejection"]


def _refused_ids(records: list[Received]) -> set[str]:
    return {r.json()["refused"]["id"] for r in _rejections(records)}


def _position(rejection: Received) -> tuple[int, int]:
    refused = rejection.json()["refused"]
    return refused["partition"], refused["offset"]


def _deliveries(records: list[Received], notice_id: str) -> dict[str, object]:
    return {r.headers["ce_recipient"]: r.json() for r in by_id(records, notice_id)}


@pytest.mark.usefixtures("running_hub")
def test_sdas_gets_the_full_notice_and_only_the_family_mdd_its_projection(
    plain: PlainKafka,
) -> None:
    notice, sentinel = _id(), _id()
    _send(plain, LIMOGES, notice)
    _send(plain, SAINT_JUNIEN, sentinel)
    records = _delivered_after(plain, "hub.out.departement", sentinel)
    delivered = _deliveries(records, notice)
    assert set(delivered) == {"departement/sdas", "departement/mdd:87-limoges-nord"}
    assert delivered["departement/sdas"] == json.loads(LIMOGES)
    mdd = delivered["departement/mdd:87-limoges-nord"]
    assert isinstance(mdd, dict)
    assert set(mdd) == {"sent_on", "notified_on", "child", "guardians", "address"}
    [sdas] = [r for r in by_id(records, notice) if r.headers["ce_recipient"] == "departement/sdas"]
    assert sdas.key == CASE
    assert sdas.headers["ce_source"] == "/academie/dsden"
    assert sdas.headers["ce_type"] == FORMAL_NOTICE
    assert sdas.headers["content-type"] == "application/json"
    acceptances = plain.read(
        "hub.out.academie", lambda got: any(r.headers.get("ce_causationid") == notice for r in got)
    )
    [acceptance] = [r for r in acceptances if r.headers.get("ce_causationid") == notice]
    assert acceptance.headers["ce_type"] == "hub.acceptance"
    assert acceptance.headers["ce_recipient"] == "academie/dsden"
    assert acceptance.key == CASE
    assert acceptance.json()["delivered_to"] == [
        "departement/mdd:87-limoges-nord",
        "departement/sdas",
    ]


@pytest.mark.usefixtures("running_hub")
def test_a_duplicate_is_delivered_once(plain: PlainKafka) -> None:
    notice, sentinel = _id(), _id()
    _send(plain, LIMOGES, notice)
    _send(plain, LIMOGES, notice)
    _send(plain, SAINT_JUNIEN, sentinel)
    records = _delivered_after(plain, "hub.out.departement", sentinel)
    assert sorted(r.headers["ce_recipient"] for r in by_id(records, notice)) == [
        "departement/mdd:87-limoges-nord",
        "departement/sdas",
    ]


@pytest.mark.usefixtures("running_hub")
def test_refused_records_come_back_to_the_sender_and_reach_nobody(plain: PlainKafka) -> None:
    accepted, invalid, spoofed, garbage = (_id() for _ in range(4))
    _send(plain, LIMOGES, accepted)
    _send(plain, SAINT_JUNIEN, accepted)  # same id, other content: a conflict
    _send(plain, INVALID, invalid)
    _send(plain, LIMOGES, spoofed, source="/departement/sdas")
    plain.send("hub.in.academie", b"\xff\x00garbage", [("ce_id", garbage.encode())], key=CASE)
    headless = plain.send("hub.in.academie", b"\x80", [("x-bad", b"\xc3\x28")], key=CASE)
    oversize = _id()
    _send(plain, b"[" * 300_000, oversize)
    sentinel = _id()
    _send(plain, SAINT_JUNIEN, sentinel)

    rejections = _rejections(
        plain.read(
            "hub.out.academie",
            lambda got: (
                {invalid, spoofed, garbage, oversize, accepted} <= _refused_ids(got)
                and any(_position(r) == headless for r in _rejections(got))
            ),
        )
    )
    reasons = {
        r.json()["refused"]["id"]: [x["code"] for x in r.json()["reasons"]] for r in rejections
    }
    assert reasons[accepted] == ["notice.conflict"]
    assert reasons[invalid] == ["schema.required"]
    assert reasons[spoofed] == ["sender.spoofed"]
    assert reasons[oversize] == ["record.oversize"]
    assert "payload.not-json" in reasons[garbage] or "envelope.missing" in reasons[garbage]
    for r in rejections:
        assert r.headers["ce_type"] == "hub.rejection"
        assert r.headers["ce_source"] == "/hub"
        assert b"Martin" not in r.value
        assert b"garbage" not in r.value

    records = _delivered_after(plain, "hub.out.departement", sentinel)
    for refused in (invalid, spoofed, garbage, oversize):
        assert by_id(records, refused) == []
    # Not even a rejection: the spoofed partner is never told about a record it did not send.
    assert [r for r in records if r.headers["ce_type"] == "hub.rejection"] == []
    assert len(by_id(records, accepted)) == 2  # the first, accepted content only
    assert {r.json()["address"]["commune_insee"] for r in by_id(records, accepted)} == {"87085"}


def test_ledger_verify_passes_on_the_real_run_and_fails_on_an_edited_row(
    running_hub: HubProcess, plain: PlainKafka, tmp_path: Path
) -> None:
    sentinel = _id()
    _send(plain, SAINT_JUNIEN, sentinel)
    plain.read("hub.out.departement", lambda got: len(by_id(got, sentinel)) == 2)
    ok = _verify(running_hub.ledger)
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout.startswith("ledger ok:")

    edited = tmp_path / "edited.sqlite"
    with sqlite3.connect(running_hub.ledger) as source, sqlite3.connect(edited) as target:
        source.backup(target)
    with sqlite3.connect(edited) as db:
        db.execute("UPDATE entries SET office = 'departement/crip' WHERE kind = 'delivered'")
    broken = _verify(edited)
    assert broken.returncode == 1
    assert "was altered" in broken.stdout


def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "ledger", "verify", "--path", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
