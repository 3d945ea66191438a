"""Personal data never leaks: notices full of recognisable canary values go through the hub
and an adapter, valid and invalid, and no canary may appear anywhere but in the deliveries to
the offices entitled to them: not in the logs, the metrics, the spans' attributes, the
rejection or acceptance notices, the ledger's file, the traces' JSON, or any other record the
hub writes. (The hub has no dead-letter topic: a refused record's answer is its rejection.)"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.sdk import Adapter, InvalidNotice
from hub.catalogue.contracts import Catalogue
from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess, hub_on_own_broker
from tests.integration.otlp import Receiver
from tests.integration.plain import PlainKafka, by_id, notice_headers
from tests.integration.test_adapter_sdk import Recorder

pytestmark = pytest.mark.kafka
PERSONAL = {"last_name", "first_name", "first_names", "line1", "line2", "commune_name", "name"}
CANARIES: list[str] = []


def _canary() -> str:
    CANARIES.append(f"Zqx{uuid.uuid4().hex[:10]}canari")
    return CANARIES[-1]


def _seeded(payload: Any) -> Any:
    """The payload with every personal string replaced by a fresh canary, a CAF number too."""
    if isinstance(payload, dict):
        out = {}
        for key, value in payload.items():
            if key in PERSONAL and isinstance(value, str):
                out[key] = _canary()
            elif key == "caf_number":
                CANARIES.append(str(uuid.uuid4().int)[:7])
                out[key] = CANARIES[-1]
            else:
                out[key] = _seeded(value)
        return out
    if isinstance(payload, list):
        return [_seeded(v) for v in payload]
    return payload


@pytest.fixture(scope="module")
def spans() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def own_hub(spans: Receiver, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """This module's broker and hub, exporting its spans to `spans`."""
    with hub_on_own_broker(tmp_path_factory.mktemp("canaries"), **spans.env()) as hub:
        yield hub


@pytest.fixture(scope="module")
def played(own_hub: HubProcess) -> tuple[PlainKafka, dict[str, Any]]:
    plain = PlainKafka(own_hub.bootstrap)
    formal = _seeded(example(FORMAL_NOTICE, "limoges-no-known-school"))
    arrears = _seeded(example("logement.saisine-impayes", "limoges-social-landlord"))
    broken = {**_seeded(formal), "child": {"last_name": _canary(), "birth_date": _canary()}}
    sent = {"formal": str(uuid.uuid4()), "arrears": str(uuid.uuid4()), "broken": str(uuid.uuid4())}
    plain.send("hub.in.academie", json.dumps(formal).encode(), notice_headers(sent["formal"]))
    plain.send(
        "hub.in.caf",
        json.dumps(arrears).encode(),
        notice_headers(sent["arrears"], "/caf/caf", "logement.saisine-impayes"),
    )
    plain.send("hub.in.academie", json.dumps(broken).encode(), notice_headers(sent["broken"]))
    # Names a sender made up: a property, a header (twice), a header's value, a contract.
    named = {**_seeded(formal), _canary(): 1}
    header = _canary()
    odd = [(header, b"1"), (header, b"2"), ("x-note", _canary().encode())]
    made_up = f"{_canary().lower()}.notice"
    for name, value, headers in (
        ("named", named, notice_headers(sent.setdefault("named", str(uuid.uuid4())))),
        ("header", formal, notice_headers(sent.setdefault("header", str(uuid.uuid4()))) + odd),
        (
            "typed",
            formal,
            notice_headers(sent.setdefault("typed", str(uuid.uuid4())), contract=made_up),
        ),
    ):
        plain.send("hub.in.academie", json.dumps(value).encode(), headers)
        assert name in sent
    return plain, sent


def _leaks(text: str) -> list[str]:
    return [c for c in CANARIES if c in text]


def test_the_deliveries_do_carry_them_so_the_search_would_find_one(
    played: tuple[PlainKafka, dict[str, Any]],
) -> None:
    plain, sent = played
    got = plain.read("hub.out.ccapex", lambda rs: len(by_id(rs, sent["arrears"])) >= 1)
    assert _leaks(by_id(got, sent["arrears"])[0].value.decode())


def test_no_canary_in_logs_metrics_spans_ledger_traces_or_hub_notices(
    played: tuple[PlainKafka, dict[str, Any]], own_hub: HubProcess, spans: Receiver
) -> None:
    plain, sent = played
    academie = plain.read(
        "hub.out.academie",
        lambda rs: (
            {sent["formal"], sent["broken"], sent["named"], sent["typed"]}
            <= {r.headers.get("ce_causationid") for r in rs}
            | {r.json()["refused"]["id"] for r in rs if r.headers["ce_type"] == "hub.rejection"}
            and any(  # the record with a header twice cannot be named: its headers are unread
                reason["code"] == "header.duplicate"
                for r in rs
                if r.headers["ce_type"] == "hub.rejection"
                for reason in r.json()["reasons"]
            )
        ),
    )
    caf = plain.read(
        "hub.out.caf", lambda rs: any(r.headers["ce_type"] == "hub.acceptance" for r in rs)
    )
    hub_notices = [r for r in academie + caf if r.headers["ce_type"].startswith("hub.")]
    assert {r.headers["ce_type"] for r in hub_notices} == {"hub.acceptance", "hub.rejection"}
    for record in hub_notices:
        assert not _leaks(record.value.decode() + json.dumps(record.headers)), record.headers
    with urllib.request.urlopen(f"{own_hub.http_url}/metrics", timeout=10) as response:  # noqa: S310
        assert not _leaks(response.read().decode())
    for name, notice_id in sent.items():
        if name == "header":  # refused unread: the ledger knows it by its position only
            continue
        status, body = own_hub.look(notice_id)
        assert status == 200
        assert not _leaks(body.decode())
    ledger_files = [own_hub.ledger, *own_hub.ledger.parent.glob(own_hub.ledger.name + "-*")]
    for path in ledger_files:
        assert not _leaks(path.read_bytes().decode("utf-8", "replace")), path
    deadline = time.monotonic() + 30
    while not {"accept instruction.mise-en-demeure", "reject"} <= {s.name for s in spans.spans}:
        assert time.monotonic() < deadline, "the hub's spans did not arrive"
        time.sleep(0.2)
    assert not _leaks(json.dumps([(s.name, s.attributes) for s in spans.spans]))
    log = own_hub.log.read_text(encoding="utf-8")
    assert sent["formal"] in log  # the log does follow the notices, by id
    assert not _leaks(log)


@pytest.mark.asyncio(loop_scope="module")
async def test_no_canary_in_an_adapters_logs_even_at_debug(
    own_hub: HubProcess, catalogue: Catalogue, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    side = Recorder()
    adapter = Adapter(
        "academie",
        own_hub.bootstrap,
        tmp_path,
        side,
        catalogue,
        resend_after=2,
        group_id=f"canary-{uuid.uuid4().hex[:6]}",
    )
    await adapter.start()
    try:
        formal = _seeded(example(FORMAL_NOTICE, "saint-junien-minimal"))
        notice_id = await adapter.send(FORMAL_NOTICE, "dsden", formal)
        assert (await adapter.settled(notice_id, 60)).state == "accepted"
        with pytest.raises(InvalidNotice) as refused:
            await adapter.send(
                FORMAL_NOTICE, "dsden", {**formal, "child": {"last_name": _canary()}}
            )
        assert not _leaks(str(refused.value))
    finally:
        await adapter.stop()
    assert not _leaks(caplog.text)
