"""The SDK's HTTP API over real HTTP, with an adapter that is never connected to a broker."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError
from yarl import URL

from adapters.sdk import Adapter, ApiSettings, Incoming, ReceivedFolder, serve_api
from adapters.sdk.http import api
from adapters.sdk.outbox import Outbox
from hub.catalogue.contracts import Catalogue
from hub.edge.embedded import free_port
from hub.wire.envelope import CAUSATION_HEADER, CAUSATION_SOURCE_HEADER
from tests.adapters.sdk.test_adapter import consumed, delivery
from tests.conftest import example

pytestmark = pytest.mark.asyncio
Client = TestClient[web.Request, web.Application]
TOKEN = "a-test-api-token-of-at-least-32-characters"  # noqa: S105 - a test's own API token
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOWHERE = "127.0.0.1:9"  # never connected to
ORIENTATION = "isg.orientation"
SHELTERED = example(ORIENTATION, "isle-sheltered-urgent")
CASE = "8f0d1c52-1f5e-4a7e-9d61-1c8b9e2f3a40"
FEEDBACK = Incoming(
    "n-1",
    "ip.retour",
    "/departement/crip",
    "isg/isg",
    CASE,
    "https://example.org/ip.retour/v1",
    "ip-1",
    {"outcome": "mesure_administrative"},
)


@pytest.fixture
def received(tmp_path: Path) -> ReceivedFolder:
    return ReceivedFolder(tmp_path / "recus")


@pytest_asyncio.fixture
async def adapter(
    tmp_path: Path, catalogue: Catalogue, received: ReceivedFolder
) -> AsyncIterator[Adapter]:
    isg = Adapter("isg", NOWHERE, tmp_path / "etat", received, catalogue)
    yield isg
    await isg.stop()


@pytest_asyncio.fixture
async def client(adapter: Adapter, received: ReceivedFolder) -> AsyncIterator[Client]:
    async with TestClient(TestServer(api(adapter, TOKEN, received))) as http:
        yield http


def _notice(**fields: Any) -> dict[str, Any]:
    return {"contract": ORIENTATION, "office": "isg", "payload": SHELTERED, **fields}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/notices"),
        ("GET", "/notices/n-1"),
        ("GET", "/received"),
        ("GET", "/received/ip.retour/departement_crip__n-1__isg_isg.json"),
    ],
)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong-token",
        f"Basic {TOKEN}x",
        f"Basic {TOKEN}",
        f"bearer {TOKEN}",
        f"BEARER {TOKEN}",
        f"Bearer{TOKEN}",
        f"Bearer  {TOKEN}",
        f"Bearer {TOKEN} x",
        "Bearer ",
        TOKEN,
    ],
)
async def test_every_call_but_the_health_check_needs_the_bearer_token(
    client: Client, adapter: Adapter, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with client.request(method, path, headers=headers, json=_notice()) as response:
        assert response.status == 401
        assert json.loads(await response.text()) == {"error": "missing or wrong bearer token"}
    assert adapter.unsettled() == 0


async def test_the_health_check_needs_no_token_and_counts_what_waits_and_was_skipped(
    client: Client, adapter: Adapter
) -> None:
    async with client.get("/healthz") as response:
        assert (response.status, await response.json()) == (
            200,
            {"status": "ok", "unsettled": 0, "skipped": 0},
        )
    async with client.post("/notices", headers=AUTH, json=_notice()) as response:
        assert response.status == 202
    await adapter._on_record(consumed(b"not json", delivery("n-1")))  # noqa: SLF001 - as read
    async with client.get("/healthz") as response:
        assert await response.json() == {"status": "ok", "unsettled": 1, "skipped": 1}


async def test_a_notice_posted_is_queued_and_pending(
    client: Client, adapter: Adapter, tmp_path: Path
) -> None:
    body = _notice(case_id=CASE, answers="an-earlier", answers_from="/departement/sdas")
    async with client.post("/notices", headers=AUTH, json=body) as response:
        assert response.status == 202
        answer = await response.json()
    notice_id = answer["notice_id"]
    assert answer == {"notice_id": notice_id, "state": "pending"}
    assert adapter.state_of(notice_id) == "pending"
    [queued] = Outbox(tmp_path / "etat" / "outbox.sqlite").due()
    assert (queued.headers["ce_id"], queued.headers["ce_source"]) == (notice_id, "/isg/isg")
    assert (queued.key, queued.headers[CAUSATION_HEADER]) == (CASE.encode(), "an-earlier")
    assert queued.headers[CAUSATION_SOURCE_HEADER] == "/departement/sdas"
    assert json.loads(queued.value) == SHELTERED
    async with client.get(f"/notices/{notice_id}", headers=AUTH) as response:
        assert response.status == 200
        assert await response.json() == {"notice_id": notice_id, "state": "pending", "outcome": {}}


async def test_a_notice_tells_the_hubs_answer_once_it_came(client: Client, tmp_path: Path) -> None:
    async with client.post("/notices", headers=AUTH, json=_notice()) as response:
        notice_id = (await response.json())["notice_id"]
    outbox = Outbox(tmp_path / "etat" / "outbox.sqlite")  # as the adapter settles on an answer
    outbox.settle(notice_id, "accepted", {"case_id": CASE})
    outbox.close()
    async with client.get(f"/notices/{notice_id}", headers=AUTH) as response:
        assert await response.json() == {
            "notice_id": notice_id,
            "state": "accepted",
            "outcome": {"case_id": CASE},
        }


async def test_a_notice_never_sent_here_is_not_found(client: Client) -> None:
    async with client.get("/notices/never-sent", headers=AUTH) as response:
        assert response.status == 404
        assert await response.json() == {
            "error": "no notice with this id was sent through this adapter"
        }


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            b"{not json",
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (b"", "Expecting value: line 1 column 1 (char 0)"),
        (b"[]", "expected a JSON object"),
        (json.dumps({"contract": ORIENTATION}).encode(), "missing: office, payload"),
        (json.dumps(_notice(payload=[SHELTERED])).encode(), "payload must be an object"),
        (json.dumps(_notice(priority="high", at="now")).encode(), "unknown fields: at, priority"),
        (
            json.dumps(_notice(office=7)).encode(),
            "contract, office, case_id, answers and answers_from are strings",
        ),
        (
            json.dumps(_notice(answers="n-1", answers_from=["/departement/crip"])).encode(),
            "contract, office, case_id, answers and answers_from are strings",
        ),
    ],
)
async def test_a_malformed_request_is_refused_saying_what_is_wrong(
    client: Client, adapter: Adapter, body: bytes, error: str
) -> None:
    async with client.post("/notices", headers=AUTH, data=body) as response:
        assert response.status == 400
        assert await response.json() == {"error": error}
    assert adapter.unsettled() == 0


async def _post(client: Client, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with client.post("/notices", headers=AUTH, json=body) as response:
        return response.status, await response.json()


async def test_a_reply_answers_the_one_notice_delivered_under_its_id_in_its_case(
    client: Client, adapter: Adapter, tmp_path: Path
) -> None:
    """The application names the id it received; the adapter adds its source and case."""
    crip = delivery("n-1", "/departement/crip", recipient="isg/isg")
    await adapter._on_record(consumed(b"{}", crip))  # noqa: SLF001 - as delivered (case c-1)
    status, answer = await _post(client, _notice(answers="n-1"))
    assert status == 202
    [queued] = [
        r
        for r in Outbox(tmp_path / "etat" / "outbox.sqlite").due()
        if r.headers["ce_id"] == answer["notice_id"]
    ]
    assert (queued.key, queued.headers[CAUSATION_SOURCE_HEADER]) == (b"c-1", "/departement/crip")
    sdas = delivery("n-1", "/departement/sdas", recipient="isg/isg")
    await adapter._on_record(consumed(b"{}", sdas))  # noqa: SLF001 - another sender, same id
    assert await _post(client, _notice(answers="n-1")) == (  # which one is not guessed
        422,
        {
            "error": f"{ORIENTATION}: ce_causationid: notices from more than one sender have "
            "the id n-1: answers_from is needed, the `from` of the notice answered"
        },
    )
    status, _ = await _post(client, _notice(answers="n-1", answers_from="/departement/sdas"))
    assert status == 202


async def test_a_payload_its_contract_refuses_is_unprocessable(
    client: Client, adapter: Adapter
) -> None:
    payload = example(ORIENTATION, "children-named", "invalid")
    async with client.post("/notices", headers=AUTH, json=_notice(payload=payload)) as response:
        assert response.status == 422
        text = await response.text()
    assert json.loads(text) == {
        "error": f'{ORIENTATION}: /minors_in_household: expected type "integer"'
    }
    assert "Lucas" not in text  # the rule broken, never the value
    assert adapter.unsettled() == 0


async def test_an_unknown_contract_is_not_found(client: Client, adapter: Adapter) -> None:
    async with client.post("/notices", headers=AUTH, json=_notice(contract="no.such")) as response:
        assert response.status == 404
        assert await response.json() == {"error": "unknown contract 'no.such'"}
    assert adapter.unsettled() == 0


async def test_what_was_received_is_listed_and_read(
    client: Client, received: ReceivedFolder
) -> None:
    await received.receive(FEEDBACK)
    received.settled("s-1", "accepted", ("export.json", 1), {"case_id": CASE})
    async with client.get("/received", headers=AUTH) as response:
        assert await response.json() == {
            "received": ["hub.acceptance/s-1.json", "ip.retour/departement_crip__n-1__isg_isg.json"]
        }
    async with client.get(
        "/received/ip.retour/departement_crip__n-1__isg_isg.json", headers=AUTH
    ) as response:
        assert response.status == 200
        assert await response.json() == FEEDBACK.as_document()
    async with client.get(
        "/received/ip.retour/departement_crip__n-2__isg_isg.json", headers=AUTH
    ) as response:
        assert response.status == 404
        assert await response.json() == {"error": "nothing received under this name"}


@pytest.mark.parametrize(
    "path", ["/received/%2E%2E/secret.json", "/received/ip.retour/..%2F..%2Fsecret.json"]
)
async def test_nothing_outside_the_received_folder_is_served(
    client: Client, received: ReceivedFolder, tmp_path: Path, path: str
) -> None:
    await received.receive(FEEDBACK)  # ip.retour/ exists
    (tmp_path / "secret.json").write_text('{"secret": true}', encoding="utf-8")
    url = URL(str(client.make_url("")) + path, encoded=True)  # sent as written, not resolved
    async with client.session.get(url, headers=AUTH) as response:
        assert response.status == 404
        assert await response.json() == {"error": "nothing received under this name"}


async def test_a_symlink_in_the_received_folder_is_neither_listed_nor_served(
    client: Client, received: ReceivedFolder, tmp_path: Path
) -> None:
    await received.receive(FEEDBACK)  # ip.retour/ exists
    (tmp_path / "secret.json").write_text('{"secret": true}', encoding="utf-8")
    (received.folder / "ip.retour" / "lien.json").symlink_to(tmp_path / "secret.json")
    (received.folder / "dossier").symlink_to(tmp_path, target_is_directory=True)
    async with client.get("/received", headers=AUTH) as response:
        assert await response.json() == {
            "received": ["ip.retour/departement_crip__n-1__isg_isg.json"]
        }
    for path in ("/received/ip.retour/lien.json", "/received/dossier/secret.json"):
        async with client.get(path, headers=AUTH) as response:
            assert response.status == 404
            assert await response.json() == {"error": "nothing received under this name"}


@pytest.mark.parametrize("token", ["", "Zqx7c0ffee-canari-31-characters"])
async def test_an_api_token_shorter_than_32_characters_is_refused_naming_the_setting(
    tmp_path: Path, token: str
) -> None:
    assert len(token) < 32
    with pytest.raises(ValidationError) as refused:
        ApiSettings(kafka_bootstrap=NOWHERE, root=tmp_path, api_token=token)
    assert "api_token" in str(refused.value)
    assert "at least 32 characters" in str(refused.value)
    assert "canari" not in str(refused.value)  # the setting, never its value
    settings = ApiSettings(kafka_bootstrap=NOWHERE, root=tmp_path, api_token="x" * 32)
    assert settings.api_token.get_secret_value() == "x" * 32


async def test_an_api_token_must_be_written_as_rfc_6750_says(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        ApiSettings(kafka_bootstrap=NOWHERE, root=tmp_path, api_token=f"{TOKEN} canari")
    assert "api_token\n  Value error, must be letters, digits and -._~+/ only" in str(refused.value)
    assert "canari" not in str(refused.value)
    token = "AZaz09-._~+/" * 3 + "=="
    settings = ApiSettings(kafka_bootstrap=NOWHERE, root=tmp_path, api_token=token)
    assert settings.api_token.get_secret_value() == token


@pytest.mark.parametrize("token", ["", "short"])
async def test_the_api_is_never_served_with_a_short_token(
    adapter: Adapter, received: ReceivedFolder, token: str
) -> None:
    with pytest.raises(ValueError, match="at least 32 characters"):
        api(adapter, token, received)


class Unconnected(Adapter):
    """Its broker is never reached: `start` waits until released, as for a slow broker."""

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self.calls: list[str] = []
        self.release = asyncio.Event()

    async def start(self) -> None:
        self.calls.append("start")
        await self.release.wait()

    async def stop(self) -> None:
        self.calls.append("stop")
        await super().stop()


async def _health(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as response:
        return response.status


async def test_serve_api_listens_before_the_adapter_starts_then_stops_both(
    tmp_path: Path, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    settings = ApiSettings(kafka_bootstrap=NOWHERE, root=tmp_path, api_token=TOKEN, api_port=port)
    adapter = Unconnected("isg", NOWHERE, settings.state, ReceivedFolder(tmp_path), catalogue)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_api(adapter, settings, stop))
    url = f"http://127.0.0.1:{port}"
    async with asyncio.timeout(30):
        while True:
            with contextlib.suppress(aiohttp.ClientConnectionError):
                if await _health(url) == 200:
                    break
            await asyncio.sleep(0.02)
    assert adapter.calls == ["start"]  # answering while the adapter still starts
    with caplog.at_level("INFO", logger="adapter.isg"):
        adapter.release.set()
        stop.set()
        await serving
    assert adapter.calls == ["start", "stop"]
    assert f"API on {url}" in caplog.messages
    with pytest.raises(aiohttp.ClientConnectionError):
        await _health(url)
