"""The hub's HTTP port, for operators and auditors: `/healthz`, `/readyz`, `/metrics`, `/trace`.

`/healthz` says the process answers; `/readyz` that it consumes (broker connected, intake
subscribed) and that its ledger answers, so an orchestrator routes to it and restarts it on the
right signal. `/metrics` is the Prometheus exposition of the hub's registry (FastStream's
middleware metrics and the hub's own). `/trace/{id}` is `hub trace --json`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from hub.ledger.timeline import timeline
from hub.state.port import State

Probe = Callable[[], Awaitable[list[str]]]  # what is not ready; empty when ready


def application(registry: CollectorRegistry, state: State, not_ready: Probe) -> web.Application:
    """The routes, on this registry and state."""
    routes = web.RouteTableDef()

    @routes.get("/healthz")
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    @routes.get("/readyz")
    async def ready(_: web.Request) -> web.Response:
        problems = await not_ready()
        if problems:
            return web.json_response({"status": "not ready", "problems": problems}, status=503)
        return web.json_response({"status": "ready"})

    @routes.get("/metrics")
    async def metrics(_: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(registry))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    @routes.get("/trace/{id}")
    async def trace(request: web.Request) -> web.Response:
        found = await timeline(state.about, request.match_info["id"])
        if found is None:
            return web.json_response(
                {"error": "the ledger holds nothing about this id"}, status=404
            )
        return web.json_response(found.as_json())

    app = web.Application()
    app.add_routes(routes)
    return app
