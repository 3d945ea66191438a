"""The HTTP API an institution's application (or a social worker's tool) uses to send notices.

`POST /notices` checks a notice against its contract and queues it; `GET /notices/{id}` tells
whether the hub accepted or rejected it; with a received folder, `GET /received` lists what the
hub delivered and `GET /received/{contract}/{name}` returns one. Every call but `/healthz`
(how many notices wait for the hub, how many unreadable records were skipped) needs the
bearer token. `serve_api` runs an adapter behind it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.sdk.adapter import Adapter
from adapters.sdk.files import OutsideFolderError, inside
from adapters.sdk.notices import InvalidNotice
from adapters.sdk.received import ReceivedFolder
from adapters.sdk.settings import SECRET_LENGTH, ApiSettings

# The fields of a reply besides its payload, each a string (the last three optional).
TEXTS = ("contract", "office", "case_id", "answers", "answers_from")


class ReplyError(ValueError):
    """A reply the API cannot accept; the message is returned to the application."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A notice the application sends: contract, office, payload, and what it answers.

    `case_id` puts it in a case; `answers` names the notice it answers by its id, and
    `answers_from` by its source (the `from` of the notice received): without it, the adapter
    takes the one notice it holds under that id, or refuses (422) when it holds more or none.
    """

    contract: str
    office: str
    payload: dict[str, Any]
    case_id: str | None = None
    answers: str | None = None
    answers_from: str | None = None


def reply_from(document: Any) -> Reply:
    """Read a reply posted to the API; raise `ReplyError` saying what is wrong."""
    if not isinstance(document, dict):
        raise ReplyError("expected a JSON object")
    missing = [k for k in ("contract", "office", "payload") if k not in document]
    if missing:
        raise ReplyError(f"missing: {', '.join(missing)}")
    if not isinstance(document["payload"], dict):
        raise ReplyError("payload must be an object")
    extra = set(document) - {"payload", *TEXTS}
    if extra:
        raise ReplyError(f"unknown fields: {', '.join(sorted(extra))}")
    texts: dict[str, Any] = {k: document.get(k) for k in TEXTS}
    if any(v is not None and not isinstance(v, str) for v in texts.values()):
        raise ReplyError("contract, office, case_id, answers and answers_from are strings")
    return Reply(payload=document["payload"], **texts)


def api(adapter: Adapter, token: str, received: ReceivedFolder | None = None) -> web.Application:
    """The API: `POST /notices`, `GET /notices/{id}`, and `GET /received` with a folder.

    `token` must be at least 32 characters (`ValueError`): an empty one would let anyone in.
    """
    if len(token) < SECRET_LENGTH:
        raise ValueError(f"the API token must be at least {SECRET_LENGTH} characters")
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
                answers_from=reply.answers_from,
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
        state = adapter.state_of(notice_id)
        if state is None:
            return _problem(404, "no notice with this id was sent through this adapter")
        settlement = adapter.settlement(notice_id)
        outcome: dict[str, Any] = settlement.outcome if settlement else {}
        return web.json_response({"notice_id": notice_id, "state": state, "outcome": outcome})

    @routes.get("/healthz")
    async def health(_: web.Request) -> web.Response:
        counts = {"unsettled": adapter.unsettled(), "skipped": adapter.skipped()}
        return web.json_response({"status": "ok", **counts})

    app = web.Application()
    app.add_routes(routes)
    if received is not None:
        app.add_routes(_received_routes(received.folder, token))
    return app


async def serve_api(
    adapter: Adapter,
    settings: ApiSettings,
    stop: asyncio.Event,
    received: ReceivedFolder | None = None,
) -> None:
    """Serve the API on `api_host:api_port` and run `adapter` behind it until `stop` is set."""
    runner = web.AppRunner(api(adapter, settings.api_token.get_secret_value(), received))
    await runner.setup()
    # Listen first: notices posted before the broker is reachable wait in the outbox.
    await web.TCPSite(runner, settings.api_host, settings.api_port).start()
    await adapter.start()
    try:
        log = logging.getLogger(f"adapter.{adapter.partner}")
        log.info("API on http://%s:%d", settings.api_host, settings.api_port)
        await stop.wait()
    finally:
        await runner.cleanup()
        await adapter.stop()


def _received_routes(folder: Path, token: str) -> list[web.RouteDef]:
    async def listing(request: web.Request) -> web.Response:
        _authorise(request, token)
        return web.json_response({"received": await asyncio.to_thread(_names, folder)})

    async def one(request: web.Request) -> web.Response:
        _authorise(request, token)
        contract, name = request.match_info["contract"], request.match_info["name"]
        document = await asyncio.to_thread(_read, folder, contract, name)
        if document is None:
            return _problem(404, "nothing received under this name")
        return web.json_response(document)

    return [web.get("/received", listing), web.get("/received/{contract}/{name}", one)]


def _names(folder: Path) -> list[str]:
    base = folder.resolve()
    return sorted(
        f"{path.parent.name}/{path.name}"
        for path in base.glob("*/*.json")
        if _served(base, path.parent.name, path.name) is not None
    )


def _read(folder: Path, contract: str, name: str) -> Any:
    path = _served(folder, contract, name)
    return json.loads(path.read_text(encoding="utf-8")) if path is not None else None


def _served(folder: Path, contract: str, name: str) -> Path | None:
    """A regular file directly under a contract's folder, no link on the way; else None.

    The names come from the URL: `inside` refuses any that would lead elsewhere.
    """
    if contract.startswith(".") or name.startswith("."):
        return None
    try:
        path = inside(folder, contract, name)
    except OutsideFolderError:
        return None
    return path if path.is_file() else None


def _authorise(request: web.Request, token: str) -> None:
    # Exactly `Bearer <token>` (RFC 6750): no other scheme, case or spacing.
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    matches = hmac.compare_digest(given.encode(errors="surrogateescape"), token.encode())
    if scheme != "Bearer" or not matches:
        raise web.HTTPUnauthorized(text='{"error": "missing or wrong bearer token"}')


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
