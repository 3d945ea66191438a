"""The conformance kit on the five adapters, each through its real institution side."""

from __future__ import annotations

import json

from aiohttp import web

from adapters.academie.app import run as run_academie
from adapters.academie.settings import AcademieSettings
from adapters.caf.app import run as run_caf
from adapters.caf.settings import CafSettings
from adapters.ccapex.app import run as run_ccapex
from adapters.ccapex.settings import CcapexSettings
from adapters.conformance import ApiDriver, ConformanceSuite, Driver, FileExchangeDriver, Wiring
from adapters.conformance.drivers import HandOver, Run
from adapters.departement.app import run as run_departement
from adapters.departement.settings import DepartementSettings
from adapters.departement.signing import SignatureError, verify
from adapters.isg.app import run as run_isg
from adapters.isg.settings import IsgSettings
from adapters.sdk import FileExchangeSettings
from hub.edge.embedded import free_port
from tests.conftest import CCAPEX_DECIDES, PAYER_DECIDES

# The kit judges on fixed days of the hub's calendar, not the real one: in December 2026 the payer
# decides on the housing benefit; a file opened from 2027-01-01 is the CCAPEX's to decide.
DECEMBER, JANUARY = PAYER_DECIDES.date(), CCAPEX_DECIDES.date()
TOKEN = "a-conformance-api-token-of-32-characters-at-least"  # noqa: S105 - the suite's own
SECRET = "a-conformance-webhook-secret-of-32-characters"  # noqa: S105 - the suite's own


def _files(partner: str, run: Run, settings: type[FileExchangeSettings]) -> Driver:
    """A file-exchange adapter's driver, polling its folder quickly."""

    def configure(w: Wiring) -> FileExchangeSettings:
        return settings(
            kafka_bootstrap=w.bootstrap,
            root=w.root,
            poll_seconds=0.2,
            resend_after_seconds=w.resend_after,
        )

    return FileExchangeDriver(partner, run, configure)


class TestAcademie(ConformanceSuite):
    on_day = DECEMBER

    @staticmethod
    def driver() -> Driver:
        return _files("academie", run_academie, AcademieSettings)


class TestCaf(ConformanceSuite):
    on_day = DECEMBER

    @staticmethod
    def driver() -> Driver:
        return _files("caf", run_caf, CafSettings)


class TestCcapex(ConformanceSuite):
    on_day = DECEMBER

    @staticmethod
    def driver() -> Driver:
        return _files("ccapex", run_ccapex, CcapexSettings)


class TestIsg(ConformanceSuite):
    on_day = DECEMBER

    @staticmethod
    def driver() -> Driver:
        def configure(w: Wiring) -> IsgSettings:
            return IsgSettings(
                kafka_bootstrap=w.bootstrap,
                root=w.root,
                api_token=TOKEN,
                api_port=w.port,
                resend_after_seconds=w.resend_after,
            )

        return ApiDriver("isg", run_isg, configure, TOKEN)


class CaseManagementDriver(ApiDriver):
    """The département's side: its application's webhook (real HTTP) and the reply API."""

    def __init__(self) -> None:
        super().__init__("departement", run_departement, self._configure, TOKEN)
        self.calls: list[HandOver] = []
        self._runner: web.AppRunner | None = None
        self._webhook = ""

    def _configure(self, w: Wiring) -> DepartementSettings:
        return DepartementSettings(
            kafka_bootstrap=w.bootstrap,
            root=w.root,
            api_token=TOKEN,
            api_port=w.port,
            webhook_url=self._webhook,
            webhook_secret=SECRET,
            resend_after_seconds=w.resend_after,
        )

    async def start(self, wiring: Wiring) -> None:
        if self._runner is None:
            app = web.Application()
            app.router.add_post("/webhook", self._take)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            port = free_port()
            await web.TCPSite(self._runner, "127.0.0.1", port).start()
            self._webhook = f"http://127.0.0.1:{port}/webhook"
        await super().start(wiring)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _take(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verify(SECRET.encode(), request.headers, body)
        except SignatureError:
            return web.json_response({"error": "bad signature"}, status=401)
        document = json.loads(body)
        self.calls.append((document["from"], document["notice_id"], document["to"]))
        return web.json_response({"ok": True})

    async def handed_over(self) -> list[HandOver]:
        return list(self.calls)


class TestDepartement(ConformanceSuite):
    on_day = DECEMBER

    @staticmethod
    def driver() -> Driver:
        return CaseManagementDriver()


class TestCafUnderTheCcapex(TestCaf):
    """The CAF's adapter on a day the CCAPEX decides: it refers, and receives the decisions."""

    on_day = JANUARY


class TestCcapexDeciding(TestCcapex):
    """The CCAPEX's adapter on a day it decides on the housing benefit."""

    on_day = JANUARY
