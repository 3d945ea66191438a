"""The département adapter: the case-management application's webhook and reply API, on the hub."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

import aiohttp
from aiohttp import web

from adapters.departement.mapping import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    ReplyError,
    idempotency_key,
    reply_from,
    signature,
    webhook_body,
)
from adapters.departement.settings import PARTNER, DepartementSettings
from adapters.sdk import Adapter, Handling, Incoming, InvalidNotice
from adapters.sdk.process import serve
from hub.contracts import load_catalogue

log = logging.getLogger("adapter.departement")
REFUSED = (409, 422)
REASONS = {"not_competent", "wrong_office", "outside_territory", "duplicate", "incomplete", "other"}


class WebhookError(RuntimeError):
    """The application did not take the notice; the adapter tries again later."""


class Webhook:
    """The institution side: each delivery POSTed, signed, to the application's webhook.

    2xx: processed. 409 or 422 with `{"reason_code": ...}`: refused (a `hub.receipt` code).
    Anything else, or no answer: not handed over, tried again with back-off.
    """

    def __init__(
        self, url: str, secret: bytes, timeout: float, session: aiohttp.ClientSession
    ) -> None:
        """POST to `url`, signing with `secret`."""
        self._url, self._secret, self._session = url, secret, session
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def receive(self, notice: Incoming) -> Handling:
        """Hand one delivery to the application."""
        body = webhook_body(notice)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self._secret, body),
            IDEMPOTENCY_HEADER: idempotency_key(notice),
        }
        async with self._session.post(
            self._url, data=body, headers=headers, timeout=self._timeout
        ) as response:
            if 200 <= response.status < 300:  # noqa: PLR2004 - the success range
                return Handling("processed")
            if response.status in REFUSED:
                reason = await _reason(response)
                return Handling("refused", reason)
            raise WebhookError(f"the application answered {response.status}")


async def _reason(response: aiohttp.ClientResponse) -> str:
    try:
        code = (await response.json(content_type=None)).get("reason_code")
    except (ValueError, AttributeError):
        code = None
    return code if code in REASONS else "other"


def api(adapter: Adapter, token: str) -> web.Application:
    """The reply API: `POST /notices` queues a notice, `GET /notices/{id}` tells its fate."""
    routes = web.RouteTableDef()

    @routes.post("/notices")
    async def post_notice(request: web.Request) -> web.Response:
        _authorise(request, token)
        try:
            reply = reply_from(await request.json())
            notice_id = await adapter.send(
                reply.contract,
                reply.office,
                reply.payload,
                case_id=reply.case_id,
                answers=reply.answers,
            )
        except (ReplyError, json.JSONDecodeError) as error:
            return _problem(400, str(error))
        except InvalidNotice as error:
            return _problem(422, str(error))
        except KeyError as error:
            return _problem(404, f"unknown contract {error}")
        return web.json_response({"notice_id": notice_id, "state": "pending"}, status=202)

    @routes.get("/notices/{notice_id}")
    async def get_notice(request: web.Request) -> web.Response:
        _authorise(request, token)
        notice_id = request.match_info["notice_id"]
        state = adapter.outbox.state(notice_id)
        if state is None:
            return _problem(404, "no notice with this id was sent through this adapter")
        settlement = adapter.outbox.settlement(notice_id)
        outcome: dict[str, Any] = settlement.outcome if settlement else {}
        return web.json_response({"notice_id": notice_id, "state": state, "outcome": outcome})

    @routes.get("/healthz")
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "unsettled": adapter.outbox.unsettled()})

    app = web.Application()
    app.add_routes(routes)
    return app


def _authorise(request: web.Request, token: str) -> None:
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise web.HTTPUnauthorized(text='{"error": "missing or wrong bearer token"}')


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def run(settings: DepartementSettings, stop: asyncio.Event) -> None:
    """Run until `stop` is set: deliver to the webhook, serve the reply API."""
    async with aiohttp.ClientSession() as session:
        webhook = Webhook(
            settings.webhook_url,
            settings.webhook_secret.get_secret_value().encode(),
            settings.webhook_timeout_seconds,
            session,
        )
        adapter = Adapter(
            PARTNER,
            settings.kafka_bootstrap,
            settings.root / "etat",
            webhook,
            load_catalogue(settings.contracts_path),
            resend_after=settings.resend_after_seconds,
            idempotence=settings.kafka_idempotence,
        )
        runner = web.AppRunner(api(adapter, settings.api_token.get_secret_value()))
        await runner.setup()
        await adapter.start()
        try:
            await web.TCPSite(runner, settings.api_host, settings.api_port).start()
            log.info("reply API on http://%s:%d", settings.api_host, settings.api_port)
            await stop.wait()
        finally:
            await runner.cleanup()
            await adapter.stop()


def main() -> None:
    """`python -m adapters.departement`: run until SIGTERM or Ctrl-C."""
    serve(lambda stop: run(DepartementSettings(), stop))
