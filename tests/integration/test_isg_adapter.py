"""The ISG adapter's API: an orientation and an IP sent, the CRIP's feedback read back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from adapters.isg.app import run
from adapters.isg.settings import IsgSettings
from adapters.sdk import Adapter
from hub.catalogue.contracts import Catalogue
from hub.edge.embedded import free_port
from tests.conftest import example
from tests.integration.conftest import HubProcess, running, until_listening
from tests.integration.test_adapter_sdk import WAIT_S, Recorder, _adapter

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio(loop_scope="module")]
TOKEN = "a-test-isg-api-token-of-at-least-32-characters"  # noqa: S105 - a test's own API token


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def isg(own_hub: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    port = free_port()
    settings = IsgSettings(
        kafka_bootstrap=own_hub.bootstrap,
        api_token=TOKEN,
        api_port=port,
        root=tmp_path_factory.mktemp("isg"),
        resend_after_seconds=2,
    )
    async with running(run, settings):
        await until_listening(port)
        yield f"http://127.0.0.1:{port}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def departement(
    own_hub: HubProcess, catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Adapter, Recorder]]:
    side = Recorder()
    adapter = _adapter(
        "departement", own_hub.bootstrap, tmp_path_factory.mktemp("d"), side, catalogue
    )
    await adapter.start()
    yield adapter, side
    await adapter.stop()


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> str:
    async with http.post(url, json=body) as response:
        assert response.status == 202, await response.text()
        notice_id: str = (await response.json())["notice_id"]
        return notice_id


async def test_an_ip_from_the_isg_reaches_the_crip_and_its_feedback_comes_back(
    isg: str, departement: tuple[Adapter, Recorder]
) -> None:
    crip, side = departement
    ip = {
        **example("ip.transmission", "school-social-worker-serious-danger", major=3),
        "sender_role": "isg_social_worker",
        "sender_service": {"name": "Intervenante sociale, groupement de gendarmerie 87"},
    }
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        ip_id = await _post(
            http, f"{isg}/notices", {"contract": "ip.transmission", "office": "isg", "payload": ip}
        )
        # Serious and immediate danger: the CRIP's on-call office has it at once too.
        both = {n.recipient: n for n in await side.wait_for(2, ip_id)}
        assert set(both) == {"departement/crip", "departement/crip-astreinte"}
        received = both["departement/crip"]
        assert received.payload["parquet_alert"] == ip["parquet_alert"]
        retour = {  # under the IP's own reference, concluded after it was sent
            **example("ip.retour", "saisine-judiciaire-isg"),
            "sender_reference": ip["sender_reference"],
            "concluded_on": "2026-11-20",
            "sent_on": "2026-11-21",
        }
        await crip.send("ip.retour", "crip", retour, case_id=received.case_id, answers=ip_id)
        async with asyncio.timeout(WAIT_S):
            while True:
                async with http.get(f"{isg}/received") as response:
                    names = (await response.json())["received"]
                feedback = [n for n in names if n.startswith("ip.retour/")]
                if feedback:
                    break
                await asyncio.sleep(0.1)  # the API is polled, as the worker's tool would
        async with http.get(f"{isg}/received/{feedback[0]}") as response:
            document = await response.json()
        assert (document["answers"], document["to"]) == (ip_id, "isg/isg")
        assert document["payload"]["outcome"] == retour["outcome"]
        async with http.get(f"{isg}/received/ip.retour/..%2F..%2Fetat") as response:
            assert response.status == 404
