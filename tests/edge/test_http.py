"""The hub's probes' port over real HTTP: health, readiness and metrics; no case shown."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter

from hub.edge.http import application
from hub.ledger.chain import Entry
from hub.state.sqlite import SqliteState

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


class Port:
    """The application served on a free loopback port, and a way to call it."""

    def __init__(self, url: str, problems: list[str]) -> None:
        self.url, self.problems = url, problems

    async def get(self, path: str) -> tuple[int, str, bytes]:
        async with aiohttp.ClientSession() as http, http.get(self.url + path) as response:
            return response.status, response.content_type, await response.read()


@pytest_asyncio.fixture
async def port(tmp_path: Path) -> AsyncIterator[Port]:
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    await state.commit(
        [Entry(kind="accepted", sender="/academie/dsden", notice_id="m-1", case_id="case-1")]
    )
    registry = CollectorRegistry()
    Counter("hub_example", "A counter of the test's registry.", registry=registry).inc()
    problems: list[str] = []

    async def not_ready() -> list[str]:
        return list(problems)

    runner = web.AppRunner(application(registry, not_ready))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield Port(f"http://127.0.0.1:{runner.addresses[0][1]}", problems)
    await runner.cleanup()
    await state.close()


async def test_health_answers_and_readiness_names_what_is_missing(port: Port) -> None:
    assert await port.get("/healthz") == (200, "application/json", b'{"status": "ok"}')
    status, _, body = await port.get("/readyz")
    assert (status, json.loads(body)) == (200, {"status": "ready"})
    port.problems.append("the intake is not consuming")
    status, _, body = await port.get("/readyz")
    assert status == 503
    assert json.loads(body)["problems"] == ["the intake is not consuming"]


async def test_metrics_are_the_registrys_prometheus_exposition(port: Port) -> None:
    status, content_type, body = await port.get("/metrics")
    assert (status, content_type) == (200, "text/plain")
    assert b"hub_example_total 1.0" in body


async def test_no_case_is_shown_on_the_probes_port(port: Port) -> None:
    status, _, _ = await port.get("/trace/m-1")
    assert status == 404  # the trace API has a port of its own, for named operators
