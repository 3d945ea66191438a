"""The institutions' side of the month: what their people and tools do with the adapters.

A DSDEN tool drops an export, a CCAPEX secretary exports one notice in a case, a caseworker
posts a request to an API, and each of them looks in the folder of what arrived; the month
waits for what earlier steps caused, each wait with its limit.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

import aiohttp
from aiohttp import web

from adapters.sdk.tally import Tally, tally
from hub.core.outgoing import ACCEPTANCE, REJECTION
from scenario.casemanagement import CaseManagement
from scenario.cast import Cast

T = TypeVar("T")
SAMPLES = Path(__file__).parent / "samples"
WAIT_S = 90.0
# These answer the notice they follow.
ANSWERS = {
    "instruction.regularisation",
    "logement.diagnostic",
    "logement.avis",
    "logement.decision-ccapex",
}


class Incomplete(RuntimeError):  # noqa: N818 - the month is incomplete, not in error
    """Something the month waits for did not happen in time."""


class Institutions:
    """The institutions' people and tools, against a started cast and the département's app."""

    def __init__(self, cast: Cast, out: TextIO, application: CaseManagement) -> None:
        """Act through `cast` and the département's `application`, narrating to `out`."""
        self.cast, self.out, self.application = cast, out, application
        self.refusals: list[str] = []

    def say(self, text: str) -> None:
        """One line of narration."""
        print(text, file=self.out, flush=True)

    def drop(self, partner: str, sample: str, name: str | None = None) -> None:
        """Put a sample export in a partner's drop folder, as its tool would (then rename)."""
        depot = self.cast.root(partner) / "depot"
        depot.mkdir(parents=True, exist_ok=True)
        target = depot / (name or sample)
        temporary = depot / f".{target.name}.tmp"
        shutil.copyfile(SAMPLES / partner / sample, temporary)
        temporary.rename(target)

    def export(
        self,
        partner: str,
        contract: str,
        sample: str,
        about: dict[str, Any],
        *,
        office: str | None = None,
    ) -> str:
        """Write a one-notice JSON export in the case of `about` (answering it if it must).

        Returns the export's name, which the hub's acceptance or rejection of it names.
        """
        payload = json.loads((SAMPLES / partner / sample).read_text(encoding="utf-8"))
        notice: dict[str, Any] = {"payload": payload, "case_id": about["case_id"]}
        if contract in ANSWERS:
            notice["answers"] = about["notice_id"]
        document = {"contract": contract, "office": office or partner, "notices": [notice]}
        depot = self.cast.root(partner) / "depot"
        name = f"{contract}-{uuid.uuid4().hex[:8]}.json"
        (depot / f".{name}.tmp").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
        (depot / f".{name}.tmp").rename(depot / name)
        return name

    def recall(
        self, partner: str, office: str, about: dict[str, Any], contract: str, reason: str
    ) -> None:
        """Export a recall of a notice `partner` sent (`about`: the hub's acceptance of it)."""
        recall = {
            "notice_id": about["notice_id"],
            "contract": contract,
            "reason_code": reason,
            "recalled_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        document = {"contract": "hub.recall", "office": office, "notices": [recall]}
        depot = self.cast.root(partner) / "depot"
        name = f"rappel-{uuid.uuid4().hex[:8]}.json"
        (depot / f".{name}.tmp").write_text(json.dumps(document), "utf-8")
        (depot / f".{name}.tmp").rename(depot / name)

    async def post(self, partner: str, sample: str) -> tuple[int, dict[str, Any]]:
        """POST a sample request to a partner's API; its status and answer."""
        body = json.loads((SAMPLES / partner / sample).read_text(encoding="utf-8"))
        headers = {"Authorization": f"Bearer {self.cast.token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as http,
            http.post(f"{self.cast.api(partner)}/notices", json=body) as response,
        ):
            answer: dict[str, Any] = await response.json()
            return response.status, answer

    def received(self, partner: str, contract: str) -> list[dict[str, Any]]:
        """Every notice of `contract` in a file partner's received folder so far."""
        folder = self.cast.root(partner) / "recus" / contract
        return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]

    async def received_document(
        self,
        partner: str,
        contract: str,
        about: Callable[[dict[str, Any]], bool] = lambda _: True,
    ) -> dict[str, Any]:
        """The first notice of `contract` in a file partner's received folder (`about` it)."""

        def found() -> list[dict[str, Any]]:
            return [d for d in self.received(partner, contract) if about(d["payload"])]

        documents = await self.until(found, f"{contract} at {partner}")
        return documents[0]

    async def accepted(self, partner: str, export: str, line: int) -> dict[str, Any]:
        """The hub's acceptance of one line of an export, as the adapter files it."""
        return await self._answer(ACCEPTANCE, partner, export, line)

    async def rejected(self, partner: str, export: str, line: int = 1) -> dict[str, Any]:
        """The hub's rejection of one line of an export, as the adapter files it."""
        return await self._answer(REJECTION, partner, export, line)

    async def _answer(self, kind: str, partner: str, export: str, line: int) -> dict[str, Any]:
        def mine() -> list[dict[str, Any]]:
            answers = self.received(partner, kind)
            return [d for d in answers if (d["export"], d["line"]) == (export, line)]

        [answer] = await self.until(mine, f"the {kind} of {export} line {line}")
        return answer

    def tally(self, partner: str) -> Tally:
        """What a partner's adapter sent and received so far."""
        return tally(self.cast.root(partner) / "etat")

    async def until(
        self,
        found: Callable[[], T],
        what: str,
        explain: Callable[[], list[str]] | None = None,
    ) -> T:
        """What `found` returns once it is something, polled; `Incomplete` after `WAIT_S`."""
        try:
            async with asyncio.timeout(WAIT_S):
                while not (result := found()):  # noqa: ASYNC110 - other processes' files
                    await asyncio.sleep(0.2)
                return result
        except TimeoutError:
            gaps = explain() if explain else []
            raise Incomplete(f"after {WAIT_S:.0f} s, still waiting for {what}: {gaps}") from None


async def application_server(application: CaseManagement) -> tuple[web.AppRunner, str]:
    """Serve the département's application on a free local port; its webhook address."""
    runner = web.AppRunner(application.application())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/webhook"
