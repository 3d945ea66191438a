"""The département's case-management application, as the scenario plays it, over real HTTP.

It takes the adapter's signed webhooks (checking each with `verify`: signature and five-minute
window; then taking it once per idempotency key, which drops a replay inside the window) and
answers what a caseworker would answer, through the adapter's reply API: the CRIP's outcome
for each IP, the SDAS's outcome for a convocation, the MDD's diagnosis for a CCAPEX request;
and it refuses one delivery as a caseworker would (the wrong MDD).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from adapters.departement.signing import SignatureError, verify

log = logging.getLogger("scenario.departement")


@dataclass(frozen=True, slots=True)
class Answer:
    """What a caseworker sends back about a notice of `contract` received by `office`."""

    contract: str
    office: str
    sample: str
    # Fields the reply takes from the notice it answers: the CRIP files each IP's feedback
    # under the reference its sender gave it, as the hub checks (`matches`).
    echo: tuple[str, ...] = ()


def answer_for(document: dict[str, Any]) -> Answer | None:
    """The reply a delivered notice calls for, if any."""
    contract, office = document["contract"], document["to"].split("/", 1)[1]
    if contract == "ip.transmission" and office == "crip":
        sender = document["from"].strip("/").split("/")[0]
        return Answer("ip.retour", "crip", f"ip-retour-{sender}.json", ("sender_reference",))
    if contract == "absenteisme.convocation" and office == "sdas":
        return Answer("absenteisme.issue-convocation", "sdas", "issue-convocation.json")
    if contract == "logement.demande-diagnostic" and office.startswith("mdd:"):
        return Answer("logement.diagnostic", office, "diagnostic.json")
    return None


def refusal_for(document: dict[str, Any]) -> str | None:
    """The code a caseworker refuses a delivery with, if any (a `hub.receipt` reason).

    The MDD of Bellac finds that the family of a formal notice's copy lives in another sector:
    it refuses it as `wrong_office`, and the hub alerts the SDAS, which routes by hand.
    """
    if document["contract"] == "instruction.mise-en-demeure" and document["to"] == (
        "departement/mdd:87-bellac"
    ):
        return "wrong_office"
    # An urgent IP the département's application cannot take in, at the CRIP or at its on-call
    # office (one application serves both): neither receipt closes its deadline, and the
    # on-call office is alerted when it runs out. The on-call office receipts every other
    # urgent IP as soon as it is delivered, which closes that deadline at once.
    if document["contract"] == "ip.transmission" and document["payload"].get(
        "sender_reference"
    ) == ("ISG87-2026-0457"):
        return "incomplete"
    return None


@dataclass
class CaseManagement:
    """The application: a webhook in, replies out through the adapter's API."""

    secret: bytes
    samples: Path
    api: str = ""
    token: str = ""
    received: dict[str, dict[str, Any]] = field(default_factory=dict)
    replies: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def application(self) -> web.Application:
        """The webhook endpoint, `POST /webhook`."""
        app = web.Application()
        app.router.add_post("/webhook", self._webhook)
        return app

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            key = verify(self.secret, request.headers, body)
        except SignatureError as refused:
            log.warning("webhook call refused: %s", refused)  # the reason quotes no value
            return web.json_response({"error": "bad signature"}, status=401)
        if key not in self.received:  # taken once: a replay inside the window is dropped
            document = json.loads(body)
            self.received[key] = document
            if (reason := refusal_for(document)) is not None:
                return web.json_response({"reason_code": reason}, status=422)
            if (answer := answer_for(document)) is not None:
                task = asyncio.create_task(self._reply(document, answer))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return web.json_response({"ok": True})

    async def _reply(self, document: dict[str, Any], answer: Answer) -> None:
        payload = json.loads((self.samples / answer.sample).read_text(encoding="utf-8"))
        payload |= {name: document["payload"][name] for name in answer.echo}
        body = {
            "contract": answer.contract,
            "office": answer.office,
            "payload": payload,
            "case_id": document["case_id"],
            "answers": document["notice_id"],
        }
        headers = {"Authorization": f"Bearer {self.token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as http,
            http.post(f"{self.api}/notices", json=body) as response,
        ):
            if response.status == 202:  # noqa: PLR2004 - HTTP Accepted
                self.replies.append(answer.contract)
            else:
                self.failures.append(f"{answer.contract}: HTTP {response.status}")
                log.warning("reply %s refused: %s", answer.contract, await response.text())
