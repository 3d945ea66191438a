"""The département adapter over real HTTP: signed webhooks out, the reply API in."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from adapters.departement.app import run
from adapters.departement.settings import DepartementSettings
from adapters.departement.signing import SignatureError, verify
from adapters.sdk import Adapter
from hub.catalogue.contracts import Catalogue
from hub.edge.embedded import free_port
from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess, running, until_listening
from tests.integration.test_adapter_sdk import WAIT_S, Recorder, _adapter

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio(loop_scope="module")]
SECRET = "a-test-webhook-secret-of-32-characters-at-least"  # noqa: S105 - a test secret
TOKEN = "a-test-api-token-of-at-least-32-characters"  # noqa: S105 - a test token
IP = example("ip.transmission", "school-social-worker-serious-danger", major=3)


@dataclass
class CaseManagement:
    """A stand-in for the département's application, over real HTTP: it checks signatures,
    keeps each delivery once by idempotency key, and fails the first call for chosen ids."""

    url: str = ""
    taken: dict[str, dict[str, Any]] = field(default_factory=dict)
    takes: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    fail_once: set[str] = field(default_factory=set)
    bad_signatures: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def webhook(self, request: web.Request) -> web.Response:
        self.calls += 1
        body = await request.read()
        try:
            key = verify(SECRET.encode(), request.headers, body)
        except SignatureError:
            self.bad_signatures += 1
            return web.json_response({"error": "bad signature"}, status=401)
        document = json.loads(body)
        if document["notice_id"] in self.fail_once:
            self.fail_once.discard(document["notice_id"])
            return web.json_response({"error": "try later"}, status=503)
        self.taken.setdefault(key, document)
        self.takes[key] += 1
        self.arrived.set()
        return web.json_response({"ok": True})

    async def wait_for(self, keys: set[str]) -> None:
        async with asyncio.timeout(WAIT_S):
            while not keys <= set(self.taken):
                self.arrived.clear()
                await self.arrived.wait()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def application() -> AsyncIterator[CaseManagement]:
    app = CaseManagement()
    server = web.Application()
    server.router.add_post("/webhook", app.webhook)
    runner = web.AppRunner(server)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    app.url = f"http://127.0.0.1:{port}/webhook"
    yield app
    await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def departement(
    own_hub: HubProcess, application: CaseManagement, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    port = free_port()
    settings = DepartementSettings(
        kafka_bootstrap=own_hub.bootstrap,
        webhook_url=application.url,
        webhook_secret=SECRET,
        api_token=TOKEN,
        api_port=port,
        root=tmp_path_factory.mktemp("departement"),
        resend_after_seconds=2,
    )
    async with running(run, settings):
        await until_listening(port)
        yield f"http://127.0.0.1:{port}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def school(
    own_hub: HubProcess, catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Adapter, Recorder]]:
    side = Recorder()
    adapter = _adapter("academie", own_hub.bootstrap, tmp_path_factory.mktemp("a"), side, catalogue)
    await adapter.start()
    yield adapter, side
    await adapter.stop()


@pytest.mark.usefixtures("departement")
async def test_deliveries_are_signed_retried_taken_once_and_acknowledged(
    application: CaseManagement, school: tuple[Adapter, Recorder]
) -> None:
    adapter, side = school
    notice_id = str(uuid.uuid4())
    application.fail_once.add(notice_id)  # the application is briefly unavailable
    await adapter.send(
        FORMAL_NOTICE,
        "dsden",
        example(FORMAL_NOTICE, "limoges-no-known-school"),
        notice_id=notice_id,
    )
    delivery = f"/academie/dsden/{notice_id}"  # a delivery: the source, the id, the office
    await application.wait_for(
        {f"{delivery}/departement/sdas", f"{delivery}/departement/mdd:87-limoges-nord"}
    )
    receipts = await side.wait_for(2, notice_id)
    assert {r.payload["status"] for r in receipts} == {"processed"}
    assert application.bad_signatures == 0
    assert notice_id not in application.fail_once  # refused once with 503, then taken
    keys = [k for k in application.takes if k.startswith(delivery)]
    assert [application.takes[k] for k in keys] == [1, 1]
    assert application.taken[f"{delivery}/departement/sdas"]["payload"]["dasen_reference"]


async def test_the_application_answers_an_ip_through_the_api(
    departement: str, application: CaseManagement, school: tuple[Adapter, Recorder]
) -> None:
    adapter, side = school
    ip_id = await adapter.send("ip.transmission", "service-social", IP)
    key = f"/academie/service-social/{ip_id}/departement/crip"
    await application.wait_for({key})
    ip = application.taken[key]
    assert ip["payload"] == IP  # the CRIP reads IP v3, the other minors and Parquet alert too
    retour = {
        "contract": "ip.retour",
        "office": "crip",
        "answers": ip_id,
        "case_id": ip["case_id"],
        "payload": example("ip.retour", "mesure-administrative-service-social"),  # IP's answer
    }
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        async with http.post(f"{departement}/notices", json=retour) as response:
            assert response.status == 202, await response.text()
            retour_id = (await response.json())["notice_id"]
        feedback = await side.wait_for(1, retour_id)
        assert (feedback[0].recipient, feedback[0].answers) == ("academie/service-social", ip_id)
        async with asyncio.timeout(WAIT_S):
            while True:
                async with http.get(f"{departement}/notices/{retour_id}") as response:
                    state = (await response.json())["state"]
                if state != "pending":
                    break
                await asyncio.sleep(0.1)  # the API is polled, as the application would
        assert state == "accepted"


@pytest.mark.parametrize(
    ("token", "body", "status", "message"),
    [
        ("wrong", {}, 401, "bearer token"),
        (TOKEN, {"contract": "ip.retour"}, 400, "missing: office, payload"),
        (
            TOKEN,
            {"contract": "nothing.here", "office": "crip", "payload": {}},
            404,
            "unknown contract",
        ),
        (
            TOKEN,
            {"contract": "ip.retour", "office": "crip", "payload": {}},
            422,
            "required property is missing",
        ),
    ],
)
async def test_the_api_refuses_what_it_cannot_send_and_says_why(
    departement: str, token: str, body: dict[str, Any], status: int, message: str
) -> None:
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http,
        http.post(f"{departement}/notices", json=body) as response,
    ):
        assert response.status == status
        assert message in await response.text()
