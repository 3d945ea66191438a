"""The hub's probes' port: `/healthz`, `/readyz`, `/metrics`, for the orchestrator and the scraper.

`/healthz` says the process answers; `/readyz` that it consumes (broker connected, intake
subscribed, its last batch recorded) and that its ledger answers, so an orchestrator routes to
it and restarts it on the right signal. The probe is open to anyone on this port: it asks the
state nothing (the ledger's answer is the last refresh's, `hub.schedules.gauges`). `/metrics`
is the Prometheus exposition of the hub's registry (FastStream's middleware metrics and the
hub's own). No case is shown here: the trace API has a listener of its own, for named
operators (`hub.edge.trace_api`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

Probe = Callable[[], Awaitable[list[str]]]  # what is not ready; empty when ready


def application(registry: CollectorRegistry, not_ready: Probe) -> web.Application:
    """The probes, on this registry."""
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

    app = web.Application()
    app.add_routes(routes)
    return app
