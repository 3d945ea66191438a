"""The trace API over real HTTP: no token, no look; every look recorded with its operator."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from prometheus_client import CollectorRegistry

from hub.edge.embedded import free_port
from hub.edge.logins import Logins
from hub.edge.trace_api import (
    OperatorsError,
    add_operator,
    application,
    load_operators,
    operator_of,
)
from hub.ledger.chain import Entry
from hub.observability.metrics import HubMetrics
from hub.state.sqlite import SqliteState
from tests.modes import UMASKS, not_owner_only, umask

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
CASE = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"


LIMIT, WINDOW_S = 5, 60.0  # failed logins a source may make in a window, in this test
WRONG = "Bearer " + "w" * 43  # a well-formed token no operator holds


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Api:
    def __init__(
        self, url: str, state: SqliteState, token: str, registry: CollectorRegistry, clock: Clock
    ) -> None:
        self.url, self.state, self.token = url, state, token
        self.registry, self.clock = registry, clock

    async def status(self, path: str, header: str) -> tuple[int, str | None]:
        """The status and the `Retry-After` header of a look."""
        async with (
            aiohttp.ClientSession() as http,
            http.get(self.url + path, headers={"Authorization": header}) as response,
        ):
            return response.status, response.headers.get("Retry-After")

    async def get(self, path: str, header: str | None) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": header} if header is not None else {}
        async with (
            aiohttp.ClientSession() as http,
            http.get(self.url + path, headers=headers) as response,
        ):
            return response.status, json.loads(await response.read())

    async def lookups(self) -> list[dict[str, object]]:
        return [s.entry.detail for s in await self.state.entries() if s.entry.kind == "looked-up"]


@pytest_asyncio.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    await state.commit([Entry(kind="accepted", sender="/isg/isg", notice_id="ip-1", case_id=CASE)])
    token = add_operator(tmp_path / "secrets" / "operators.json", "alice.martin")
    operators = load_operators(tmp_path / "secrets" / "operators.json")
    registry, clock = CollectorRegistry(), Clock()
    metrics = HubMetrics(registry, (), ())
    logins = Logins(
        metrics.login_failures,
        metrics.logins_throttled,
        limit=LIMIT,
        window_s=WINDOW_S,
        clock=clock,
    )
    runner = web.AppRunner(application(state, operators, logins))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield Api(f"http://127.0.0.1:{runner.addresses[0][1]}", state, token, registry, clock)
    await runner.cleanup()
    await state.close()


async def test_a_look_without_a_valid_token_is_refused_and_nothing_is_shown(api: Api) -> None:
    for header in (None, "", f"bearer {api.token}", f"Basic {api.token}", "Bearer " + "x" * 43):
        status, body = await api.get("/trace/ip-1", header)
        assert status == 401, header
        assert "steps" not in body
    assert await api.lookups() == []


async def test_each_look_is_recorded_with_its_operator_and_shows_in_the_timeline(
    api: Api,
) -> None:
    status, body = await api.get("/trace/ip-1", f"Bearer {api.token}")
    assert (status, body["kind"]) == (200, "notice")
    status, body = await api.get(f"/trace/{CASE}", f"Bearer {api.token}")
    assert status == 200
    # The look at the notice shows in its case; this look is recorded after it answers.
    assert [step["kind"] for step in body["steps"]] == ["accepted", "looked-up"]
    assert (await api.get("/trace/nobody-1", f"Bearer {api.token}"))[0] == 404
    assert (await api.get("/trace/Martin%20L%C3%A9a", f"Bearer {api.token}"))[0] == 400
    assert await api.lookups() == [
        {"operator": "alice.martin", "query": "ip-1", "found": True},
        {"operator": "alice.martin", "query": CASE, "found": True},
        {"operator": "alice.martin", "query": "nobody-1", "found": False},
        {"operator": "alice.martin", "query": None, "found": False},  # not an id: not kept
    ]
    status, body = await api.get(f"/trace/{CASE}", f"Bearer {api.token}")
    assert [step["kind"] for step in body["steps"]] == ["accepted", "looked-up", "looked-up"]


async def test_failed_logins_are_counted_logged_without_the_token_and_throttled_per_source(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hub")
    answers = [await api.status("/trace/ip-1", WRONG) for _ in range(LIMIT + 3)]
    assert [status for status, _ in answers] == [401] * LIMIT + [429] * 3
    assert all(wait == str(int(WINDOW_S)) for _, wait in answers[LIMIT:])
    # While the source waits, even the right token is not tried: guessing gains nothing.
    assert (await api.status("/trace/ip-1", f"Bearer {api.token}"))[0] == 429
    api.clock.now += WINDOW_S
    assert (await api.status("/trace/ip-1", f"Bearer {api.token}"))[0] == 200
    failures = "hub_trace_login_failures_total"
    assert api.registry.get_sample_value(failures, {"reason": "unknown-token"}) == LIMIT
    assert api.registry.get_sample_value("hub_trace_logins_throttled_total") == 4
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("hub")]
    assert sum("failed login" in line for line in logged) == LIMIT
    assert sum("throttled" in line for line in logged) == 1  # once, not at each refusal
    assert not [line for line in logged if "w" * 43 in line or api.token in line]
    assert await api.lookups() == [{"operator": "alice.martin", "query": "ip-1", "found": True}]


async def test_the_operators_file_keeps_digests_only_and_its_owner_alone_reads_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "operators.json"
    token = add_operator(path, "bob")
    assert token not in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600
    assert operator_of(f"Bearer {token}", load_operators(path)) == "bob"
    assert operator_of(f"Bearer {token}x", load_operators(path)) is None
    os.chmod(path, 0o640)  # noqa: PTH101 - the mode is the point
    with pytest.raises(OperatorsError, match="readable by others"):
        load_operators(path)
    with pytest.raises(OperatorsError, match="operator's name"):
        add_operator(tmp_path / "other.json", "Not A Name")


async def test_the_operators_file_is_refused_anywhere_under_the_state_folder(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state" / "secrets" / "operators.json"
    add_operator(path, "bob")
    assert load_operators(path, tmp_path / "elsewhere") != {}
    with pytest.raises(OperatorsError, match="under the state's folder"):
        load_operators(path, tmp_path / "state")
    add_operator(tmp_path / "outside.json", "bob")
    (tmp_path / "state" / "operators.json").symlink_to(tmp_path / "outside.json")
    with pytest.raises(OperatorsError, match="under the state's folder"):  # a link leading out
        load_operators(tmp_path / "state" / "operators.json", tmp_path / "state")
    (tmp_path / "link").symlink_to(path)  # a link elsewhere, leading in
    with pytest.raises(OperatorsError, match="under the state's folder"):
        load_operators(tmp_path / "link", tmp_path / "state")


async def test_the_hub_refuses_an_operators_file_under_the_state_folder(tmp_path: Path) -> None:
    operators = tmp_path / "state" / "secrets" / "operators.json"
    add_operator(operators, "alice.martin")
    hub = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "serve",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "HUB_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",  # never reached
            "HUB_LEDGER_PATH": str(tmp_path / "state" / "state.sqlite"),
            "HUB_OPERATORS_PATH": str(operators),
            "HUB_HTTP_PORT": "0",
            "HUB_TRACE_PORT": "0",
        },
    )
    _, stderr = await hub.communicate()
    assert hub.returncode == 2
    assert b"hub: cannot start: the operators file must not be kept under the state's folder" in (
        stderr
    )


@pytest.mark.parametrize("mask", UMASKS)
async def test_the_folders_made_for_the_operators_file_are_owner_only(
    tmp_path: Path, mask: int
) -> None:
    with umask(mask):
        add_operator(tmp_path / "secrets" / "deep" / "operators.json", "alice.martin")
    assert not_owner_only(tmp_path) == {}
