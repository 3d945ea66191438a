"""The académie adapter, from the DSDEN's export folder to the département and back."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from adapters.academie.app import run
from adapters.academie.settings import AcademieSettings
from hub.catalogue.contracts import Catalogue
from tests.integration.conftest import HubProcess, running
from tests.integration.test_adapter_sdk import Recorder, _adapter

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio(loop_scope="module")]
EXPORT = Path(__file__).parents[1] / "adapters" / "academie" / "mises-en-demeure-2026-11.csv"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def academie(
    own_hub: HubProcess, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AcademieSettings]:
    settings = AcademieSettings(
        kafka_bootstrap=own_hub.bootstrap,
        root=tmp_path_factory.mktemp("academie"),
        poll_seconds=0.2,
        resend_after_seconds=2,
    )
    async with running(run, settings):
        yield settings


def _json_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.exists() else []


async def _files(folder: Path, count: int) -> list[Path]:
    """Wait (bounded) until `folder` holds `count` files."""
    async with asyncio.timeout(60):
        while len(found := await asyncio.to_thread(_json_files, folder)) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # a folder is the interface here: there is no event
    return found


async def test_an_export_reaches_the_departement_and_the_receipts_come_back_as_files(
    academie: AcademieSettings, own_hub: HubProcess, catalogue: Catalogue, tmp_path: Path
) -> None:
    departement = Recorder()
    social = _adapter("departement", own_hub.bootstrap, tmp_path / "d", departement, catalogue)
    await social.start()
    try:
        export = academie.drop / f"export-{uuid.uuid4().hex[:6]}.csv"
        shutil.copy(EXPORT, export.with_suffix(".tmp"))  # written under a temporary name
        export.with_suffix(".tmp").rename(export)
        received = await departement.wait_for(4)
        assert sorted(n.recipient for n in received) == [
            "departement/mdd:87-bellac",
            "departement/mdd:87-limoges-nord",
            "departement/sdas",
            "departement/sdas",
        ]
        assert {n.payload["child"]["last_name"] for n in received} == {"Lefèvre", "Moreau"}
        receipts = await _files(academie.received / "hub.receipt", 4)
        assert all('"status": "processed"' in p.read_text() for p in receipts)
        assert (academie.drop / "traites" / export.name).exists()
    finally:
        await social.stop()
