"""The hub under test runs as its own process, as in production, against the real broker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.edge.embedded import EmbeddedBroker, die_with_parent
from hub.edge.trace_api import add_operator
from tests.integration.plain import PlainKafka


@dataclass
class HubProcess:
    """A `hub serve` process and where it keeps its ledger and log."""

    bootstrap: str
    ledger: Path
    log: Path
    group: str
    process: subprocess.Popen[bytes] | None = None
    lives: int = 0
    env: dict[str, str] = field(default_factory=dict)
    operator_token: str = ""

    def start(self) -> None:
        self.lives += 1
        env = {
            **os.environ,
            "HUB_KAFKA_BOOTSTRAP": self.bootstrap,
            "HUB_KAFKA_IDEMPOTENCE": "false",
            "HUB_TOPICS_OWNER": "hub",
            "HUB_LEDGER_PATH": str(self.ledger),
            "HUB_GROUP_ID": self.group,
            "HUB_HTTP_PORT": "0",  # a free port, named in the log
            "HUB_REFRESH_S": "0.5",
            "HUB_TRACE_PORT": "0",
            "HUB_OPERATORS_PATH": str(self.operators),
            **self.env,
        }
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub", "serve"],
                env=env,
                stdout=log,
                stderr=log,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait for this life of the hub to say it runs (topics created, intake started)."""
        self.wait_for_log(b"hub: running", count=self.lives, timeout=timeout)

    def wait_for_log(self, line: bytes, count: int = 1, timeout: float = 60.0) -> None:
        """Wait until the hub's log holds `line` at least `count` times."""
        deadline = time.monotonic() + timeout
        while self.log.read_bytes().count(line) < count:
            assert self.process is not None
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)

    @property
    def http_url(self) -> str:
        """The HTTP port of this life of the hub, as its log names it."""
        lines = [line for line in self.log.read_text().splitlines() if "hub: HTTP on " in line]
        assert lines, "the hub has not said where its HTTP port is"
        return lines[-1].split("hub: HTTP on ", 1)[1].split(" ", 1)[0]

    @property
    def operators(self) -> Path:
        """The operators file: one operator, `tester`, whose token this test holds."""
        folder = self.ledger.parent  # the state's: its secrets are kept beside it, not under
        path = folder.with_name(f"{folder.name}-secrets") / "operators.json"
        if not self.operator_token:
            self.operator_token = add_operator(path, "tester")
        return path

    @property
    def trace_url(self) -> str:
        """The trace API of this life of the hub, as its log names it."""
        said = [line for line in self.log.read_text().splitlines() if "hub: trace API on " in line]
        assert said, "the hub has not said where its trace API is"
        return said[-1].split("hub: trace API on ", 1)[1].split("/trace", 1)[0]

    def look(self, notice_or_case: str) -> tuple[int, bytes]:
        """`GET /trace/{id}` as the operator `tester`: the status and the body."""
        request = urllib.request.Request(  # noqa: S310 - the hub's own port
            f"{self.trace_url}/trace/{notice_or_case}",
            headers={"Authorization": f"Bearer {self.operator_token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


def hub_process(bootstrap: str, folder: Path, **env: str) -> HubProcess:
    return HubProcess(
        bootstrap,
        folder / "ledger.sqlite",
        folder / "hub.log",
        f"hub-{uuid.uuid4().hex[:8]}",
        env=env,
    )


@pytest.fixture(scope="session")
def running_hub(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    hub = hub_process(kafka_bootstrap, tmp_path_factory.mktemp("hub"))
    hub.start()
    hub.wait_ready()
    yield hub
    assert hub.stop() == 0, hub.log.read_text()


@pytest.fixture(scope="module")
def own_hub(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    """A broker and a hub for one module: partners' adapters there see only their records.

    On the session's broker, adapters of one partner started by different tests would each read
    every delivery; in production a partner runs one adapter, with one state. A module that
    sends dated rules names the hub's calendar in `HUB_CALENDAR` (an instant, such as
    `tests.conftest.PAYER_DECIDES`): the hub judges its files on that day, not on the real date.
    """
    with hub_on_own_broker(
        tmp_path_factory.mktemp("own-hub"),
        **on_calendar(getattr(request.module, "HUB_CALENDAR", None)),
    ) as hub:
        yield hub


def on_calendar(as_of: datetime | None) -> dict[str, str]:
    """The hub's setting for a calendar fixed at `as_of`; none (the real date) for None.

    The same instant is the one deadlines are counted at (`HUB_DEADLINES_AS_OF`).
    """
    return {} if as_of is None else {"HUB_DEADLINES_AS_OF": as_of.isoformat()}


@contextlib.contextmanager
def hub_on_own_broker(folder: Path, **env: str) -> Iterator[HubProcess]:
    """A fresh embedded broker and a hub (with these `HUB_*`/`OTEL_*` variables) on it."""
    with EmbeddedBroker(log_path=folder / "broker.log") as bootstrap:
        hub = hub_process(bootstrap, folder, **env)
        hub.start()
        hub.wait_ready()
        yield hub
        assert hub.stop() == 0, hub.log.read_text()


@contextlib.asynccontextmanager
async def running(
    run: Callable[[Any, asyncio.Event], Coroutine[Any, Any, None]], settings: Any
) -> AsyncIterator[None]:
    """An adapter's `run(settings, stop)` as a task for the block, then stopped."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop))
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until_listening(port: int) -> None:
    """Wait until an adapter's API answers its health check."""
    async with asyncio.timeout(60), aiohttp.ClientSession() as http:
        while True:
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)


@pytest.fixture(scope="session")
def plain(kafka_bootstrap: str) -> PlainKafka:
    return PlainKafka(kafka_bootstrap)
