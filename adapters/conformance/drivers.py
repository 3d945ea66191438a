"""How the kit works an adapter's institution side: make it send, see what it was handed.

A driver starts the adapter in-process with the kit's broker and folders, asks its institution
side to send a notice through the interface the institution really uses (a file in the drop
folder, a call to its API), and reports every hand-over the institution side saw. The SDK's
two standard sides have drivers here; an adapter with its own side (a webhook, a database)
subclasses `Driver`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from adapters.conformance.samples import Sample
from hub.core.outgoing import SETTLEMENTS

Run = Callable[[Any, asyncio.Event], Coroutine[Any, Any, None]]
# (source, notice id, recipient office) as the institution side saw it: one delivery.
HandOver = tuple[str, str, str]
WAIT_S = 60.0


@dataclass(frozen=True, slots=True)
class Wiring:
    """Where the kit runs the adapter: its broker, its own folder, timing, a free port."""

    bootstrap: str
    root: Path
    resend_after: float
    port: int


class Driver(ABC):
    """One adapter as the kit sees it: started with `run(settings, stop)`, worked from outside."""

    def __init__(self, partner: str, run: Run, configure: Callable[[Wiring], Any]) -> None:
        """`configure` turns the kit's wiring into the adapter's settings object."""
        self.partner = partner
        self._run, self._configure = run, configure
        self.settings: Any = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, wiring: Wiring) -> None:
        """Start the adapter, and wait until its institution side can be worked."""
        self.settings = self._configure(wiring)
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(self.settings, self._stop))
        await self.ready()

    async def ready(self) -> None:
        """Wait until the institution side answers (nothing to wait for by default)."""
        return

    async def stop(self) -> None:
        """Stop the adapter as SIGTERM would; a crash it had is raised here."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def close(self) -> None:
        """Release what the driver itself runs (a stand-in application); after the last stop."""
        return

    def failure(self) -> BaseException | None:
        """Why the adapter stopped on its own, if it did."""
        if self._task is None or not self._task.done():
            return None
        if self._task.cancelled():
            return asyncio.CancelledError()
        return self._task.exception() or RuntimeError("the adapter returned before being stopped")

    @abstractmethod
    async def emit(self, sample: Sample) -> None:
        """Make the institution side send this notice."""

    @abstractmethod
    async def handed_over(self) -> list[HandOver]:
        """Every hand-over the institution side has seen so far, one entry each."""


class FileExchangeDriver(Driver):
    """An adapter exchanging files (`FileExchangeSettings`): exports in, documents out."""

    async def emit(self, sample: Sample) -> None:
        """Write a one-notice JSON export into the drop folder, renamed when complete."""
        await asyncio.to_thread(_export, self.settings.drop, sample)

    async def handed_over(self) -> list[HandOver]:
        """The documents in the received folder (a notice written twice is one file there)."""
        folder: Path = self.settings.received
        return await asyncio.to_thread(_documents, folder)


class ApiDriver(Driver):
    """An adapter with the SDK's HTTP API (`ApiSettings`); its received folder, if it has one."""

    def __init__(
        self, partner: str, run: Run, configure: Callable[[Wiring], Any], token: str
    ) -> None:
        """Call the API with this bearer token."""
        super().__init__(partner, run, configure)
        self._headers = {"Authorization": f"Bearer {token}"}

    @property
    def url(self) -> str:
        """The API's base address."""
        return f"http://{self.settings.api_host}:{self.settings.api_port}"

    async def ready(self) -> None:
        """Wait until `/healthz` answers."""
        async with asyncio.timeout(WAIT_S), aiohttp.ClientSession() as http:
            while self.failure() is None:
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with http.get(f"{self.url}/healthz") as response:
                        if response.status == 200:  # noqa: PLR2004 - HTTP OK
                            return
                await asyncio.sleep(0.05)

    async def emit(self, sample: Sample) -> None:
        """POST the notice to `/notices`; anything but 202 fails the check."""
        body = {"contract": sample.contract, "office": sample.office, "payload": sample.payload}
        async with (
            aiohttp.ClientSession(headers=self._headers) as http,
            http.post(f"{self.url}/notices", json=body) as response,
        ):
            if response.status != 202:  # noqa: PLR2004 - HTTP Accepted
                text = await response.text()
                message = f"POST /notices for {sample.contract} answered {response.status}: {text}"
                raise AssertionError(message)

    async def handed_over(self) -> list[HandOver]:
        """The documents `GET /received` lists."""
        found = []
        async with aiohttp.ClientSession(headers=self._headers) as http:
            async with http.get(f"{self.url}/received") as response:
                names = (await response.json())["received"]
            for name in names:
                async with http.get(f"{self.url}/received/{name}") as response:
                    document = await response.json()
                found.append(_hand_over(document))
        return found


def _hand_over(document: dict[str, Any]) -> HandOver:
    """The delivery a notice's document (`Incoming.as_document`) is."""
    return (document["from"], document["notice_id"], document["to"])


def _export(drop: Path, sample: Sample) -> None:
    export_id = uuid.uuid4().hex[:12]  # files are known by their content: each export differs
    document = {
        "export": export_id,
        "contract": sample.contract,
        "office": sample.office,
        "notices": [sample.payload],
    }
    drop.mkdir(parents=True, exist_ok=True)
    temporary = drop / f".conformance-{export_id}.json.tmp"
    temporary.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    temporary.rename(drop / f"conformance-{export_id}.json")


def _documents(folder: Path) -> list[HandOver]:
    found = []
    for path in sorted(folder.glob("*/*.json")):
        if path.parent.name in SETTLEMENTS:  # the hub's answers about sent notices
            continue
        found.append(_hand_over(json.loads(path.read_text(encoding="utf-8"))))
    return found
