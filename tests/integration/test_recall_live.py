"""The recall of a notice sent in error, through the running hub and the real broker.

A formal notice reaches the SDAS and the Limoges-Nord MDD; the SDAS cannot recall it, the DSDEN
can: the recall reaches both offices, their receipts reach the DSDEN, the notice is no longer
sent again although neither office acknowledged it. Then the SDK's side: the CAF recalls a
decision from an export, and the CCAPEX's received file moves to `rappels/`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.caf.app import run as run_caf
from adapters.caf.settings import CafSettings
from adapters.ccapex.app import run as run_ccapex
from adapters.ccapex.settings import CcapexSettings
from hub.wire.topics import inbound, outbound
from tests.conftest import FORMAL_NOTICE, PAYER_DECIDES, example
from tests.integration.conftest import HubProcess, hub_on_own_broker, on_calendar, running
from tests.integration.plain import PlainKafka, Received, notice_headers

pytestmark = pytest.mark.kafka
RECALL = "hub.recall"
LIMOGES = json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()
SDAS, MDD = "departement/sdas", "departement/mdd:87-limoges-nord"
DSDEN = "academie/dsden"


@pytest.fixture(scope="module")
def eager_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A hub that sends a delivery again a second after it went without a receipt.

    Its calendar is a day of December 2026, when the payer decides: the CAF's decision is in
    force for the files it opens, whatever the real date.
    """
    with hub_on_own_broker(
        tmp_path_factory.mktemp("recall"),
        HUB_REDELIVER_AFTER_S="1",
        HUB_REDELIVER_MAX_S="2",
        HUB_LIFECYCLE_CHECK_S="0.3",
        **on_calendar(PAYER_DECIDES),
    ) as hub:
        yield hub


def _recall(notice_id: str, contract: str = FORMAL_NOTICE) -> bytes:
    payload = {
        "notice_id": notice_id,
        "contract": contract,
        "reason_code": "wrong_person",
        "recalled_at": "2026-11-23T11:05:00+01:00",
    }
    return json.dumps(payload).encode()


def _of_type(records: list[Received], contract: str, about: str) -> list[Received]:
    """`contract` records naming `about`: by id, by the notice they answer, or refuse."""
    return [
        r
        for r in records
        if r.headers.get("ce_type") == contract
        and about
        in (
            r.headers.get("ce_id"),
            r.headers.get("ce_causationid"),
            (r.json().get("refused") or {}).get("id") if contract == "hub.rejection" else None,
        )
    ]


def _read(plain: PlainKafka, partner: str, contract: str, about: str, count: int) -> list[Received]:
    def enough(records: list[Received]) -> bool:
        return len(_of_type(records, contract, about)) >= count

    return _of_type(plain.read(outbound(partner), enough), contract, about)


def _steps(hub: HubProcess, notice_id: str) -> list[dict[str, Any]]:
    status, body = hub.look(notice_id)
    assert status == 200, body
    steps: list[dict[str, Any]] = json.loads(body)["steps"]
    return steps


def _redelivered(hub: HubProcess, notice_id: str) -> list[dict[str, Any]]:
    return [
        s
        for s in _steps(hub, notice_id)
        if s["kind"] == "redelivered" and s["notice_id"] == notice_id
    ]


def test_a_recall_reaches_every_office_that_got_the_notice_and_stops_it_being_sent_again(
    eager_hub: HubProcess,
) -> None:
    plain, case, notice = PlainKafka(eager_hub.bootstrap), str(uuid.uuid4()), f"m-{uuid.uuid4()}"
    plain.send(inbound("academie"), LIMOGES, notice_headers(notice), key=case.encode())
    delivered = _read(plain, "departement", FORMAL_NOTICE, notice, 2)
    assert {r.headers["ce_recipient"] for r in delivered} == {SDAS, MDD}

    # An office that received the notice may answer it, not recall it.
    stranger = f"r-{uuid.uuid4()}"
    plain.send(
        inbound("departement"),
        _recall(notice),
        notice_headers(stranger, f"/{SDAS}", RECALL, answers=notice, answers_from=f"/{DSDEN}"),
        key=case.encode(),
    )
    [refused] = _read(plain, "departement", "hub.rejection", stranger, 1)
    assert refused.headers["ce_recipient"] == SDAS
    assert [r["code"] for r in refused.json()["reasons"]] == ["recall.unknown-notice"]

    recall = f"r-{uuid.uuid4()}"
    plain.send(
        inbound("academie"),
        _recall(notice),
        notice_headers(recall, f"/{DSDEN}", RECALL, answers=notice, answers_from=f"/{DSDEN}"),
        key=case.encode(),
    )
    copies = _read(plain, "departement", RECALL, recall, 2)
    assert {r.headers["ce_recipient"] for r in copies} == {SDAS, MDD}
    for copy in copies:  # the DSDEN's recall, as it wrote it, in the notice's case
        assert (copy.headers["ce_source"], copy.headers["ce_causationid"]) == (f"/{DSDEN}", notice)
        assert copy.headers["ce_causationsource"] == f"/{DSDEN}"
        assert copy.key == case.encode()
        assert copy.json() == json.loads(_recall(notice))
    [accepted] = _read(plain, "academie", "hub.acceptance", recall, 1)
    assert accepted.json()["delivered_to"] == [MDD, SDAS]

    # Each office acknowledges the recall; the receipts reach the DSDEN.
    for office in (SDAS, MDD):
        receipt = {"notice_id": recall, "status": "processed", "at": "2026-11-23T11:10:00+01:00"}
        plain.send(
            inbound("departement"),
            json.dumps(receipt).encode(),
            notice_headers(
                f"rc-{uuid.uuid4()}",
                f"/{office}",
                "hub.receipt",
                answers=recall,
                answers_from=f"/{DSDEN}",
            ),
            key=case.encode(),
        )
    receipts = _read(plain, "academie", "hub.receipt", recall, 2)
    assert {r.headers["ce_source"] for r in receipts} == {f"/{SDAS}", f"/{MDD}"}
    assert {r.headers["ce_recipient"] for r in receipts} == {DSDEN}

    # Another notice, left without receipts as the recalled one was, is sent again twice: by
    # then the recalled one would have been too.
    other = f"m-{uuid.uuid4()}"
    plain.send(inbound("academie"), LIMOGES, notice_headers(other), key=str(uuid.uuid4()).encode())
    _read(plain, "academie", "hub.acceptance", other, 1)
    _wait(lambda: len(_redelivered(eager_hub, other)) >= 4)  # two offices, twice
    steps = _steps(eager_hub, notice)
    kinds = [(s["kind"], s["notice_id"]) for s in steps]
    withdrawn = kinds.index(("recalled", notice))
    assert ("redelivered", notice) not in kinds[withdrawn:]
    [recalled] = [s for s in steps if s["kind"] == "recalled"]
    assert recalled["detail"]["recall_id"] == recall
    assert recalled["detail"]["offices"] == [MDD, SDAS]
    [closed] = [s for s in steps if s["kind"] == "deadline-closed"]
    assert (closed["detail"]["closed_by"], closed["detail"]["closing_notice"]) == (RECALL, recall)
    assert {s["office"] for s in steps if s["kind"] == "receipted"} == {SDAS, MDD}


def test_a_notice_is_recalled_once(eager_hub: HubProcess) -> None:
    plain, case, notice = PlainKafka(eager_hub.bootstrap), str(uuid.uuid4()), f"m-{uuid.uuid4()}"
    plain.send(inbound("academie"), LIMOGES, notice_headers(notice), key=case.encode())
    _read(plain, "academie", "hub.acceptance", notice, 1)
    first, second = f"r-{uuid.uuid4()}", f"r-{uuid.uuid4()}"
    for recall in (first, first, second):  # the first twice, then another
        plain.send(
            inbound("academie"),
            _recall(notice),
            notice_headers(recall, f"/{DSDEN}", RECALL, answers=notice, answers_from=f"/{DSDEN}"),
            key=case.encode(),
        )
    acceptances = _read(plain, "academie", "hub.acceptance", first, 2)
    assert len({a.headers["ce_id"] for a in acceptances}) == 1  # the same answer twice
    [refused] = _read(plain, "academie", "hub.rejection", second, 1)
    assert [r["code"] for r in refused.json()["reasons"]] == ["recall.already-recalled"]


def _wait(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait (bounded) for a condition on the hub's ledger, read through its trace API."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.2)


# The SDK's side: an export recalls a decision; the received file moves to `rappels/`.


def _export(folder: Path, name: str, contract: str, *notices: dict[str, Any]) -> None:
    document = {"contract": contract, "office": "caf", "notices": list(notices)}
    (folder / f".{name}.tmp").write_text(json.dumps(document), encoding="utf-8")
    (folder / f".{name}.tmp").rename(folder / name)


async def _files(folder: Path, pattern: str, count: int = 1) -> list[Path]:
    """Wait (bounded) until `folder` holds `count` files matching `pattern`."""
    async with asyncio.timeout(60):
        while len(found := await asyncio.to_thread(_matching, folder, pattern)) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # a folder is the interface here: there is no event
    return found


def _matching(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern)) if folder.exists() else []


@pytest.mark.asyncio
async def test_the_caf_recalls_a_decision_and_the_ccapex_finds_it_in_rappels(
    eager_hub: HubProcess, tmp_path: Path
) -> None:
    caf = CafSettings(
        kafka_bootstrap=eager_hub.bootstrap,
        root=tmp_path / "caf",
        poll_seconds=0.2,
        resend_after_seconds=2,
    )
    ccapex = CcapexSettings(
        kafka_bootstrap=eager_hub.bootstrap,
        root=tmp_path / "ccapex",
        poll_seconds=0.2,
        resend_after_seconds=2,
    )
    decision = example("logement.decision-payeur", "maintained-with-plan")
    async with running(run_caf, caf), running(run_ccapex, ccapex):
        caf.drop.mkdir(parents=True, exist_ok=True)
        _export(caf.drop, "decisions.json", "logement.decision-payeur", decision)
        [accepted] = await _files(caf.received / "hub.acceptance", "*.json")
        notice = json.loads(accepted.read_text())["notice_id"]
        received = ccapex.received / "logement.decision-payeur"
        [copy] = await _files(received, "*.json")
        recall = {
            "notice_id": notice,
            "contract": "logement.decision-payeur",
            "reason_code": "sent_in_error",
            "recalled_at": "2026-11-23T11:05:00+01:00",
        }
        _export(caf.drop, "rappel.json", RECALL, recall)
        rappels = ccapex.root / "rappels" / "logement.decision-payeur"
        [note] = await _files(rappels, "*.rappel.json")
        assert not copy.exists()
        assert (rappels / copy.name).is_file()  # moved, whole
        why = json.loads(note.read_text())
        assert (why["notice_id"], why["reason_code"], why["recalled_by"]) == (
            notice,
            "sent_in_error",
            "/caf/caf",
        )
        # The CCAPEX's receipt of the recall reaches the CAF, beside its receipt of the notice.
        receipts = await _files(caf.received / "hub.receipt", "*.json", 2)
        answered = {json.loads(r.read_text())["payload"]["notice_id"] for r in receipts}
        assert answered == {notice, why["recall_id"]}
