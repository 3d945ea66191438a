"""The CAF and CCAPEX adapters: a rent-arrears case from the CAF's export to the CCAPEX and back.

The hub judges on a day of December 2026, when the payer decides (`HUB_CALENDAR`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from adapters.caf.app import run as run_caf
from adapters.caf.settings import CafSettings
from adapters.ccapex.app import run as run_ccapex
from adapters.ccapex.settings import CcapexSettings
from adapters.sdk.outbox import Outbox
from tests.conftest import PAYER_DECIDES, example
from tests.integration.conftest import HubProcess, running
from tests.integration.test_academie_adapter import _files

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio(loop_scope="module")]
Running = tuple[CafSettings, CcapexSettings]
HUB_CALENDAR = PAYER_DECIDES  # `own_hub`'s calendar: files opened while the payer decides


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def housing(
    own_hub: HubProcess, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Running]:
    caf = CafSettings(
        kafka_bootstrap=own_hub.bootstrap,
        root=tmp_path_factory.mktemp("caf"),
        poll_seconds=0.2,
        resend_after_seconds=2,
    )
    ccapex = CcapexSettings(
        kafka_bootstrap=own_hub.bootstrap,
        root=tmp_path_factory.mktemp("ccapex"),
        poll_seconds=0.2,
        resend_after_seconds=2,
    )
    async with running(run_caf, caf), running(run_ccapex, ccapex):
        yield caf, ccapex


def _export(
    folder: Path, name: str, contract: str, office: str, *payloads: dict[str, object]
) -> None:
    document = {"contract": contract, "office": office, "notices": list(payloads)}
    (folder / f".{name}.tmp").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    (folder / f".{name}.tmp").rename(folder / name)


async def test_a_referral_and_the_payers_decision_reach_the_ccapex(
    housing: Running,
) -> None:
    caf, ccapex = housing
    # v2, the latest major: the one the adapter sends, and the one the CCAPEX reads.
    referral = example("logement.saisine-impayes", "limoges-social-landlord", major=2)
    _export(caf.drop, "saisines.json", "logement.saisine-impayes", "caf", referral)
    [received] = await _files(ccapex.received / "logement.saisine-impayes", 1)
    delivered = json.loads(received.read_text())["payload"]
    qualification = delivered.pop("arrears_qualification")  # the hub's, beside the CAF's
    assert delivered == referral
    assert qualification["qualified"] is True
    assert qualification["text"].startswith("CCH R824-1")  # the definition of 2026 files
    [receipt] = await _files(caf.received / "hub.receipt", 1)
    assert json.loads(receipt.read_text())["payload"]["status"] == "processed"

    decision = example("logement.decision-payeur", "maintained-with-plan")
    _export(caf.drop, "decisions.json", "logement.decision-payeur", "caf", decision)
    [received] = await _files(ccapex.received / "logement.decision-payeur", 1)
    assert json.loads(received.read_text())["payload"] == decision


async def test_an_export_naming_a_contract_it_may_not_send_is_refused_by_the_hub(
    housing: Running,
) -> None:
    caf, _ = housing
    # The CCAPEX's orientation of a household (the latest major, the one the adapter sends):
    # not the CAF's to send.
    orientation = example("logement.orientation", "limoges-to-fsl", major=2)
    _export(caf.drop, "mauvais.json", "logement.orientation", "caf", orientation)
    # The file is well formed and its payload valid: it is sent, and the hub refuses it.
    outbox = Outbox(caf.state / "outbox.sqlite")  # a second reader of the adapter's outbox
    try:
        async with asyncio.timeout(60):
            while not (refused := _rejections(outbox)):  # noqa: ASYNC110 - another process's db
                await asyncio.sleep(0.1)
    finally:
        outbox.close()
    assert refused == [["sender.not-producer"]]


def _rejections(outbox: Outbox) -> list[list[str]]:
    rows = outbox._db.execute(  # noqa: SLF001 - reading the adapter's state from outside
        "SELECT notice_id FROM outbox WHERE state = 'rejected'"
    ).fetchall()
    found = [outbox.settlement(notice_id) for (notice_id,) in rows]
    return [[r["code"] for r in s.outcome["reasons"]] for s in found if s]
