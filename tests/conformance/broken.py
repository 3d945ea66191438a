"""An adapter broken on purpose, for the kit to catch: it is built on the SDK, then made to
drop the trace context, keep its outbox nowhere durable, never send again, and forget what it
handed over."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from adapters.conformance import Driver, HandOver, Sample, Wiring
from adapters.sdk import Adapter, Handling, Incoming
from adapters.sdk.inbox import Inbox
from hub.catalogue.contracts import load_catalogue
from hub.settings import PROJECT_ROOT
from hub.wire.envelope import Outgoing


class ForgetfulInbox(Inbox):
    """Remembers nothing: every redelivery looks new."""

    def handled(self, source: str, notice_id: str, recipient: str) -> Handling | None:  # noqa: ARG002
        return None


class BrokenAdapter(Adapter):
    """Writes notices without `traceparent`; can be made to forget what it handed over."""

    def notice(self, *args: Any, **options: Any) -> Outgoing:
        record = super().notice(*args, **options)
        headers = {k: v for k, v in record.headers.items() if k != "traceparent"}
        return dataclasses.replace(record, headers=headers)

    def forget_hand_overs(self, state: Path) -> None:
        """Replace its inbox with one that remembers nothing."""
        self._inbox.close()
        self._inbox = ForgetfulInbox(state / "inbox.sqlite")

    @property
    def running(self) -> bool:
        """Whether its broker connection runs (deliveries are read)."""
        return bool(self._broker.running)


class Counter:
    """The institution side: counts every hand-over."""

    def __init__(self) -> None:
        self.seen: list[HandOver] = []

    async def receive(self, notice: Incoming) -> Handling:
        self.seen.append((notice.source, notice.notice_id, notice.recipient))
        return Handling("processed")


class BrokenDriver(Driver):
    def __init__(self) -> None:
        super().__init__("caf", self._serve, lambda wiring: wiring)
        self.side = Counter()
        self.adapter: BrokenAdapter | None = None

    async def _serve(self, wiring: Wiring, stop: asyncio.Event) -> None:
        state = Path(tempfile.mkdtemp(dir=wiring.root))  # a new, empty outbox on every start
        adapter = BrokenAdapter(
            "caf",
            wiring.bootstrap,
            state,
            self.side,
            load_catalogue(PROJECT_ROOT / "contracts"),
            resend_after=3600,  # "later" never comes in a test
        )
        adapter.forget_hand_overs(state)
        self.adapter = adapter
        await adapter.start()
        try:
            await stop.wait()
        finally:
            await adapter.stop()

    async def ready(self) -> None:
        while self.adapter is None or self.adapter.running is False:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    async def emit(self, sample: Sample) -> None:
        assert self.adapter is not None
        await self.adapter.send(sample.contract, sample.office, sample.payload)

    async def handed_over(self) -> list[HandOver]:
        return list(self.side.seen)
