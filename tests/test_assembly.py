"""The hub assembled in this process: what it makes on the machine, and readiness costs the
ledger nothing (on the real broker)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import pytest

from hub import assembly
from hub.assembly import kafka_bootstrap, running_hub
from hub.settings import Settings
from hub.state.sqlite import SqliteState
from tests.modes import UMASKS, not_owner_only, umask

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio, pytest.mark.timeout(120)]
SCANS = ("awaiting_receipts", "unreceipted")  # the questions that read the whole history
CLIENTS = 32
# The first round of each schedule: the refresh, the deadline watch, redelivery, retention.
FIRST_ROUNDS = ("deadlines", "overdue", "unreceipted", "case_activity")


class CountingLock:
    """The state's lock, counting how often it is taken."""

    def __init__(self) -> None:
        self.lock, self.taken = threading.Lock(), 0

    def __enter__(self) -> bool:
        self.taken += 1
        return self.lock.__enter__()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.lock.__exit__(kind, error, tb)


class Watched:
    """A SQLite state whose every call is counted when it returns, and which can be made to fail."""

    def __init__(self, state: SqliteState) -> None:
        self.state, self.lock = state, CountingLock()
        state._lock = self.lock  # type: ignore[assignment]  # noqa: SLF001 - the commit lock
        self.done: Counter[str] = Counter()
        self.failing = False
        self.changed = asyncio.Condition()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.state, name)
        if name == "close":
            return method

        async def call(*args: Any, **kwargs: Any) -> Any:
            try:
                if self.failing:
                    raise sqlite3.OperationalError("disk I/O error")
                return await method(*args, **kwargs)
            finally:
                async with self.changed:
                    self.done[name] += 1
                    self.changed.notify_all()

        return call

    async def until(self, condition: Callable[[], bool]) -> None:
        async with self.changed:
            await self.changed.wait_for(condition)


class Hub:
    def __init__(self, url: str, state: Watched) -> None:
        self.url, self.state = url, state

    async def ready(self, http: aiohttp.ClientSession) -> tuple[int, dict[str, Any]]:
        async with http.get(f"{self.url}/readyz") as response:
            return response.status, await response.json()


@contextlib.asynccontextmanager
async def _hub(
    bootstrap: str, folder: Path, monkeypatch: pytest.MonkeyPatch, refresh_s: float
) -> AsyncIterator[Hub]:
    watched: list[Watched] = []

    def open_state(url: str, vault_path: Path | None = None) -> Watched:
        assert vault_path is None
        watched.append(Watched(SqliteState(Path(url.removeprefix("sqlite:///")))))
        return watched[-1]

    monkeypatch.setattr(assembly, "open_state", open_state)
    settings = Settings(
        kafka_bootstrap=bootstrap,
        kafka_idempotence=False,
        topics_owner="hub",
        group_id=f"hub-{uuid.uuid4().hex[:8]}",
        state_url=f"sqlite:///{folder / 'state.sqlite'}",
        http_port=0,
        operators_path=None,
        checkpoint_key_path=None,
        refresh_s=refresh_s,
        deadline_check_s=3600,
        lifecycle_check_s=3600,
    )
    async with running_hub(settings, bootstrap, embedded=False) as hub:
        yield Hub(hub.http_url, watched[0])


async def test_readiness_never_scans_the_ledger_nor_takes_the_commit_lock(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _hub(kafka_bootstrap, tmp_path, monkeypatch, refresh_s=3600) as hub:
        await hub.state.until(lambda: all(hub.state.done[m] for m in FIRST_ROUNDS))
        scans = sum(hub.state.done[m] for m in SCANS)
        taken = hub.state.lock.taken
        async with aiohttp.ClientSession() as http:
            answers = await asyncio.gather(*(hub.ready(http) for _ in range(CLIENTS * 4)))
        assert {status for status, _ in answers} == {200}
        assert sum(hub.state.done[m] for m in SCANS) == scans  # not one scan
        assert hub.state.lock.taken == taken  # never the lock commits wait for


async def test_a_state_that_fails_makes_the_hub_not_ready_until_it_answers(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        _hub(kafka_bootstrap, tmp_path, monkeypatch, refresh_s=0.05) as hub,
        aiohttp.ClientSession() as http,
    ):
        await _until(hub, http, 200)
        hub.state.failing = True
        # On the session's broker, a batch of other tests' records may fail to be recorded
        # first, and say so: the ledger's own problem follows at the next refresh.
        body = await _until(hub, http, 503, "the ledger does not answer (OperationalError)")
        assert "the ledger does not answer (OperationalError)" in body["problems"]
        hub.state.failing = False
        await _until(hub, http, 200)


async def _until(
    hub: Hub, http: aiohttp.ClientSession, status: int, problem: str | None = None
) -> dict[str, Any]:
    """Ask for readiness each time the state has answered again, until it says `status`.

    With `problem`, until that problem is among those it names, too.
    """
    async with asyncio.timeout(60):
        while True:
            seen = sum(hub.state.done.values())
            got, body = await hub.ready(http)
            if got == status and (problem is None or problem in body.get("problems", ())):
                return body
            await hub.state.until(functools.partial(_more, hub.state.done, seen))


def _more(done: Counter[str], seen: int) -> bool:
    return sum(done.values()) > seen


@pytest.mark.parametrize("mask", UMASKS)
@pytest.mark.asyncio
async def test_the_embedded_brokers_folder_and_log_are_owner_only(
    tmp_path: Path, mask: int
) -> None:
    """`hub serve --embedded` and `hub up` make the state's folder (`.hub/`) for the log first."""
    settings = Settings(kafka_bootstrap=None, state_url=f"sqlite:///{tmp_path}/.hub/state.sqlite")
    with umask(mask):
        async with kafka_bootstrap(settings, settings.work_dir) as (_, embedded):
            assert embedded
            assert (tmp_path / ".hub" / "broker.log").is_file()
    assert not_owner_only(tmp_path) == {}
