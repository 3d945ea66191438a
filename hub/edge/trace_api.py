"""The trace API, on a listener of its own: who may look at a case, and every look recorded.

`GET /trace/{id}` answers what `hub trace --json` prints, to an operator named in the operators
file (`HUB_OPERATORS_PATH`) who shows that operator's token (`Authorization: Bearer ...`). Each
look, found or not, is recorded in the ledger (`looked-up`: who, which id, when) before the
answer goes out, and shows in the timeline of the notice or case looked at. The file holds
only the tokens' SHA-256 (`hub operators add` makes a token); without it, nobody may look.
Failed logins are counted, logged without the token and throttled per source address
(`hub.edge.logins`).
Health, readiness and metrics stay on the probes' port, which a scraper may reach: this one
need not be.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from aiohttp import web

from hub.edge.logins import Logins
from hub.ledger.looks import looked_up
from hub.ledger.timeline import timeline
from hub.state.port import State
from hub.storage import owner_only_folder, read_secret
from hub.wire.envelope import EVENT_ID

NAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{32,512}$")
SCHEME = "Bearer "


class OperatorsError(ValueError):
    """An operators file the hub cannot use as it is."""


def digest(token: str) -> str:
    """How a token is kept: its SHA-256, never the token."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def load_operators(path: Path, state_folder: Path | None = None) -> dict[str, str]:
    """Operator names and their tokens' digests, from a file only its owner can read.

    Never under the state's folder: whoever could write the state must not name operators.
    """
    try:
        text = read_secret(
            path,
            state_folder,
            "the operators file",
            "whoever could write the state could give themselves a token",
        )
    except ValueError as error:
        raise OperatorsError(str(error)) from None
    try:
        document = json.loads(text)
    except ValueError:
        raise OperatorsError("the operators file is not JSON") from None
    operators = document.get("operators") if isinstance(document, dict) else None
    if not isinstance(operators, dict) or not all(
        NAME.match(str(name)) and str(kept).startswith("sha256:")
        for name, kept in operators.items()
    ):
        raise OperatorsError('the operators file must be {"operators": {name: "sha256:..."}}')
    return {str(name): str(kept) for name, kept in operators.items()}


def add_operator(path: Path, name: str) -> str:
    """A new token for `name`, kept as its digest in the operators file; the token itself."""
    if not NAME.match(name):
        raise OperatorsError("an operator's name is 2 to 64 of a-z 0-9 . _ -, a letter first")
    operators = load_operators(path) if path.exists() else {}
    token = secrets.token_urlsafe(32)
    operators[name] = digest(token)
    owner_only_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump({"operators": operators}, out, indent=2)
    return token


def operator_of(header: str, operators: Mapping[str, str]) -> str | None:
    """The operator whose token the `Authorization` header shows, if any."""
    if not header.startswith(SCHEME) or not TOKEN.match(header[len(SCHEME) :]):
        return None
    shown = digest(header[len(SCHEME) :])
    found = None
    for name, kept in operators.items():  # every one compared: the time says nothing
        if hmac.compare_digest(shown.encode(), kept.encode()):
            found = name
    return found


def failure(header: str) -> str:
    """Why a login failed, as a fixed code: no token shown, or one no operator holds."""
    shown = header.startswith(SCHEME) and TOKEN.match(header[len(SCHEME) :])
    return "unknown-token" if shown else "no-token"


def application(state: State, operators: Mapping[str, str], logins: Logins) -> web.Application:
    """The trace API on this state, for these operators, failed logins kept by `logins`."""
    routes = web.RouteTableDef()

    @routes.get("/trace/{id}")
    async def trace(request: web.Request) -> web.Response:
        source = request.remote or "unknown"
        wait = logins.wait(source)
        if wait is not None:  # the token is not even tried
            return web.json_response(
                {"error": "too many failed logins from this address: try again later"},
                status=429,
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        header = request.headers.get("Authorization", "")
        operator = operator_of(header, operators)
        if operator is None:
            logins.failed(source, failure(header))
            return web.json_response(
                {"error": "name yourself: Authorization: Bearer <your operator token>"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="hub-trace"'},
            )
        logins.succeeded(source)
        query = request.match_info["id"]
        if not EVENT_ID.match(query):  # not an id: maybe a name typed in; never recorded
            await state.commit(looked_up(operator, None, None))
            return web.json_response({"error": "not a notice id or a case id"}, status=400)
        found = await timeline(state.about, query)
        await state.commit(looked_up(operator, query, found))
        if found is None:
            return web.json_response(
                {"error": "the ledger holds nothing about this id"}, status=404
            )
        return web.json_response(found.as_json())

    app = web.Application()
    app.add_routes(routes)
    return app
