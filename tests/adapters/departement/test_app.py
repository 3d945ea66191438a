"""The département's webhook over real HTTP, against a stand-in application."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.departement.app import Webhook, WebhookError
from adapters.departement.mapping import webhook_body
from adapters.departement.signing import verify
from adapters.sdk import Incoming

pytestmark = pytest.mark.asyncio
SECRET = b"a-webhook-secret-of-at-least-32-characters"
NOTICE = Incoming(
    "n-1", "ip.transmission", "/isg/isg", "departement/crip", "c-1", "s", None, {"urgency": "x"}
)


class Application:
    """Keeps each request and answers with the status it is told."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status: int = 200
        self.answer: object = {"ok": True}
        self.location: str | None = None  # answer with a redirect there

    async def take(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        if self.location:
            return web.Response(status=self.status, headers={"Location": self.location})
        return web.json_response(self.answer, status=self.status)


@pytest_asyncio.fixture
async def application() -> AsyncIterator[tuple[Application, Webhook]]:
    app, server = Application(), web.Application()
    server.router.add_post("/webhook", app.take)
    async with TestServer(server) as running, aiohttp.ClientSession() as session:
        yield app, Webhook(str(running.make_url("/webhook")), SECRET, 5.0, session)


async def test_a_delivery_is_signed_over_its_timestamp_idempotency_key_and_body(
    application: tuple[Application, Webhook],
) -> None:
    app, webhook = application
    before = int(time.time())
    assert (await webhook.receive(NOTICE)).status == "processed"
    [(headers, body)] = app.requests
    assert body == webhook_body(NOTICE)
    timestamp = headers["X-Hub-Timestamp"]
    assert before <= int(timestamp) <= time.time()
    assert headers["Idempotency-Key"] == "/isg/isg/n-1/departement/crip"
    signed = f"{timestamp}./isg/isg/n-1/departement/crip.".encode() + body
    expected = "sha256=" + hmac.new(SECRET, signed, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == expected
    assert verify(SECRET, headers, body) == "/isg/isg/n-1/departement/crip"


@pytest.mark.parametrize(
    ("status", "answer", "handling"),
    [
        (202, {}, ("processed", None)),
        (409, {"reason_code": "duplicate"}, ("refused", "duplicate")),
        (422, {"reason_code": "not_competent"}, ("refused", "not_competent")),
        (422, {"reason_code": "Zqx-a-code-of-its-own"}, ("refused", "other")),
        (409, ["not", "an", "object"], ("refused", "other")),
    ],
)
async def test_the_applications_answer_says_how_the_notice_was_handled(
    application: tuple[Application, Webhook],
    status: int,
    answer: object,
    handling: tuple[str, str | None],
) -> None:
    app, webhook = application
    app.status, app.answer = status, answer
    taken = await webhook.receive(NOTICE)
    assert (taken.status, taken.reason_code) == handling


async def test_any_other_answer_is_a_failure_tried_again(
    application: tuple[Application, Webhook],
) -> None:
    app, webhook = application
    app.status = 503
    with pytest.raises(WebhookError, match="the application answered 503"):
        await webhook.receive(NOTICE)


async def test_a_recall_reaches_the_application_as_a_signed_delivery_naming_the_notice(
    application: tuple[Application, Webhook],
) -> None:
    app, webhook = application
    recall = Incoming(
        "r-1",
        "hub.recall",
        "/isg/isg",
        "departement/crip",
        "c-1",
        "s",
        "n-1",
        {
            "notice_id": "n-1",
            "contract": "ip.transmission",
            "reason_code": "sent_in_error",
            "recalled_at": "2026-11-23T11:05:00+01:00",
        },
        "/isg/isg",  # the recalling office's own notice
    )
    assert (await webhook.receive(recall)).status == "processed"
    [(headers, body)] = app.requests
    assert verify(SECRET, headers, body) == "/isg/isg/r-1/departement/crip"
    document = json.loads(body)
    assert (
        document["contract"],
        document["answers"],
        document["answers_from"],
        document["case_id"],
    ) == ("hub.recall", "n-1", "/isg/isg", "c-1")
    assert document["payload"]["reason_code"] == "sent_in_error"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_never_followed_the_delivery_is_not_handed_over(
    application: tuple[Application, Webhook], status: int
) -> None:
    app, webhook = application
    elsewhere, taken = web.Application(), Application()
    elsewhere.router.add_post("/collect", taken.take)
    async with TestServer(elsewhere) as other:
        app.status, app.location = status, str(other.make_url("/collect"))
        with pytest.raises(WebhookError, match=f"answered {status}"):
            await webhook.receive(NOTICE)
    assert len(app.requests) == 1
    assert taken.requests == []  # the signed notice went nowhere else
