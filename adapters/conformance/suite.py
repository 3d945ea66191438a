"""The conformance suite: subclass it, give it a driver, and pytest runs every check.

    class TestMyAdapter(ConformanceSuite):
        @pytest.fixture(scope="class")
        def driver(self) -> Driver:
            return FileExchangeDriver("caf", run, lambda w: CafSettings(...))

Each check plays the hub (see `hubside`) on a real broker and works the adapter through its
institution side only. A failure says which rule was broken and, where the hub would have
refused a record, with the hub's reason codes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

import pytest

from adapters.conformance.drivers import Driver, Wiring
from adapters.conformance.hubside import HubSide, Published
from adapters.conformance.problems import delivery, differences, envelope_problems, receipt_problems
from adapters.conformance.samples import (
    Sample,
    deliveries_to,
    from_another_sender,
    nothing_delivered,
    sent_samples,
)
from hub.catalogue.contracts import load_catalogue
from hub.catalogue.directory import load_directory
from hub.core.intake import Admitted
from hub.core.outgoing import RECEIPT
from hub.edge.embedded import free_port
from hub.settings import Settings
from hub.wire.envelope import CAUSATION_HEADER, CAUSATION_SOURCE_HEADER

WAIT_S = 60.0


@dataclass
class Kit:
    """The adapter under test, the hub's side, and what the catalogue makes them play."""

    hub: HubSide
    driver: Driver
    wiring: Wiring
    samples: list[Sample]
    deliveries: list[Admitted]
    nothing_delivered: str = ""  # why `deliveries` is empty, when it is

    async def until(self, found: Callable[[], bool], what: str, within: float = WAIT_S) -> None:
        """Wait until `found()` holds, failing early if the adapter stopped on its own."""
        async with asyncio.timeout(within):
            while not found():
                if (failure := self.driver.failure()) is not None:
                    message = f"the adapter stopped while waiting for {what}: {failure!r}"
                    raise AssertionError(message) from failure
                await asyncio.sleep(0.05)

    async def waiting(self, found: Callable[[], bool], what: str, within: float = WAIT_S) -> None:
        """`until`, with a failure that says what never happened."""
        try:
            await self.until(found, what, within)
        except TimeoutError:
            raise AssertionError(f"after {within:.0f} s, still waiting for {what}") from None

    @property
    def resend_limit(self) -> float:
        """How long an unanswered notice may wait to be sent again."""
        return 10.0 + 5 * self.wiring.resend_after

    async def quiet(self, notice_id: str, what: str) -> None:
        """Wait until the adapter has stopped sending `notice_id` (no record for a while)."""
        window = 3 * self.wiring.resend_after + 1.5
        loop = asyncio.get_running_loop()

        def settled() -> bool:
            last = max((p.seen_at for p in self.hub.of(notice_id)), default=0.0)
            return loop.time() - last > window

        await self.waiting(settled, what)

    async def emitted(self, sample: Sample) -> Published:
        """Have the institution side send `sample`; the first record of it the hub reads."""
        known = {p.notice_id for p in self.hub.published}
        await self.driver.emit(sample)

        def new() -> list[Published]:
            return [
                p
                for p in self.hub.published
                if p.notice_id not in known
                and p.headers.get("ce_type") == sample.contract
                and p.payload == sample.payload
            ]

        await self.waiting(lambda: bool(new()), f"a {sample.contract} notice from the adapter")
        return new()[0]

    async def receipt_for(
        self, notice_id: str, recipient: str, source: str | None = None
    ) -> Published:
        """Wait for the `hub.receipt` that `recipient` sends about `notice_id` (from `source`)."""

        def found() -> list[Published]:
            return [
                p
                for p in self.hub.published
                if p.headers.get("ce_type") == RECEIPT
                and p.headers.get(CAUSATION_HEADER) == notice_id
                and p.headers.get("ce_source") == f"/{recipient}"
                and source in (None, p.headers.get(CAUSATION_SOURCE_HEADER))
            ]

        whose = f" from {source} (its ce_causationsource)" if source else ""
        await self.waiting(lambda: bool(found()), f"{recipient}'s receipt for {notice_id}{whose}")
        return found()[0]


class ConformanceSuite:
    """Every rule an adapter must keep; subclass it as `Test...` and override `driver`."""

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [
        pytest.mark.conformance,
        pytest.mark.asyncio(loop_scope="class"),
    ]
    resend_after: ClassVar[float] = 1.0
    # The day the kit judges on, as the hub's calendar: the rules in force for a file opened
    # that day (a contract of one legal regime is sampled only on its days). None: the real day.
    on_day: ClassVar[date | None] = None
    # Each suite gives it: makes the adapter under test's driver (a static method, a class).
    driver: ClassVar[Callable[[], Driver]]

    @pytest.fixture
    def kit(self, conformance_kit: Kit) -> Kit:
        """The suite's kit (`conformance_kit`, started once for the class)."""
        return conformance_kit

    async def test_every_notice_it_sends_is_one_the_hub_accepts(self, kit: Kit) -> None:
        """Each notice passes the hub's checks, carries a trace context and its payload unchanged.

        The hub's checks: envelope, sender, contract, version and schema.
        """
        kit.hub.answer = "accept"
        assert kit.samples, f"{kit.driver.partner} may send no contract: nothing to check"
        problems: list[str] = []
        ids: set[str] = set()
        for sample in kit.samples:
            published = await kit.emitted(sample)
            problems += envelope_problems(sample, published)
            ids.add(published.notice_id or "")
        if len(ids) != len(kit.samples):
            problems.append("two different notices were sent under one ce_id")
        assert not problems, "\n".join(problems)

    async def test_it_sends_a_notice_again_under_its_id_until_the_hub_answers(
        self, kit: Kit
    ) -> None:
        """The broker may lose a record: an unanswered notice is sent again, unchanged."""
        kit.hub.answer = "silent"
        first = await kit.emitted(kit.samples[0])
        notice_id = first.notice_id or ""
        await kit.waiting(
            lambda: len(kit.hub.of(notice_id)) >= 2,  # noqa: PLR2004 - the first send and one more
            f"{notice_id} sent again while the hub is silent "
            f"(resend_after={kit.wiring.resend_after} s)",
            within=kit.resend_limit,
        )
        changed = differences(first, kit.hub.of(notice_id)[1])
        assert not changed, f"{notice_id} was sent again with another {', '.join(changed)}"
        kit.hub.answer = "accept"
        await kit.quiet(notice_id, f"the adapter to stop sending {notice_id} once accepted")

    async def test_it_stops_sending_a_notice_the_hub_rejected(self, kit: Kit) -> None:
        """A rejection settles a notice as an acceptance does: it is not sent again."""
        kit.hub.answer = "reject"
        first = await kit.emitted(kit.samples[-1])
        notice_id = first.notice_id or ""
        await kit.quiet(notice_id, f"the adapter to stop sending {notice_id} once rejected")
        kit.hub.answer = "accept"

    async def test_each_delivery_reaches_the_institution_once_and_is_receipted(
        self, kit: Kit
    ) -> None:
        """Every contract the partner receives: handed over, then a valid `hub.receipt`."""
        kit.hub.answer = "accept"
        assert kit.deliveries, kit.nothing_delivered
        problems: list[str] = []
        for notice in kit.deliveries:
            await kit.hub.deliver(notice)
        for notice, recipient in _addressed(kit, kit.deliveries):
            receipt = await kit.receipt_for(notice.envelope.id, recipient)
            handed = await kit.driver.handed_over()
            problems += receipt_problems(notice, recipient, receipt, handed)
        assert not problems, "\n".join(problems)

    async def test_a_notice_delivered_again_is_not_handed_over_again(self, kit: Kit) -> None:
        """The hub delivers at least once: a redelivery must not reach the institution twice."""
        kit.hub.answer = "accept"
        notice = _renamed(kit.deliveries[0])
        later = _renamed(notice)  # same case, so same partition: read after the redelivery
        await kit.hub.deliver(notice)
        for _, recipient in _addressed(kit, [notice]):
            await kit.receipt_for(notice.envelope.id, recipient)
        await kit.hub.deliver(notice)
        await kit.hub.deliver(later)
        for _, recipient in _addressed(kit, [later]):
            await kit.receipt_for(later.envelope.id, recipient)
        handed = await kit.driver.handed_over()
        twice = [
            recipient
            for _, recipient in _addressed(kit, [notice])
            if handed.count(delivery(notice, recipient)) != 1
        ]
        assert not twice, f"{notice.envelope.id} was handed over more than once to {twice}"

    async def test_two_senders_notices_under_one_id_are_each_handed_over_and_receipted(
        self, kit: Kit
    ) -> None:
        """A notice is its source and id: another sender's under the same id is another one.

        Both reach the institution side, and each is answered by a receipt of its own (its own
        `ce_id`), naming its sender (`ce_causationsource`) in its case (the key).
        """
        kit.hub.answer = "accept"
        first = _renamed(kit.deliveries[0])
        second = from_another_sender(first, kit.hub.intake.directory)
        await kit.hub.deliver(first)
        await kit.hub.deliver(second)
        receipts: dict[str, set[str]] = {}
        for notice, recipient in _addressed(kit, [first, second]):
            source = notice.envelope.source
            receipt = await kit.receipt_for(notice.envelope.id, recipient, source)
            receipts.setdefault(recipient, set()).add(receipt.notice_id or "")
        handed = await kit.driver.handed_over()
        problems = [
            f"{notice.envelope.id} from {notice.envelope.source} was handed over "
            f"{handed.count(delivery(notice, recipient))} times to {recipient}, not once"
            for notice, recipient in _addressed(kit, [first, second])
            if handed.count(delivery(notice, recipient)) != 1
        ]
        problems += [
            f"{recipient} answered both notices {first.envelope.id} with one receipt id"
            for recipient, ids in receipts.items()
            if len(ids) != 2  # noqa: PLR2004 - one per sender
        ]
        assert not problems, "\n".join(problems)

    async def test_a_notice_not_yet_answered_is_sent_again_after_a_restart(self, kit: Kit) -> None:
        """The outbox is durable: stopping the adapter loses nothing it had to send.

        Last of the suite: it ends without waiting for the restarted adapter to rejoin its
        consumer group, which some brokers make slow.
        """
        kit.hub.answer = "silent"
        first = await kit.emitted(kit.samples[0])
        notice_id = first.notice_id or ""
        await kit.driver.stop()
        before = len(kit.hub.of(notice_id))
        await kit.driver.start(kit.wiring)
        await kit.waiting(
            lambda: len(kit.hub.of(notice_id)) > before,
            f"{notice_id} sent again after the adapter restarted",
            within=kit.resend_limit,
        )
        kit.hub.answer = "accept"


def _addressed(kit: Kit, notices: list[Admitted]) -> list[tuple[Admitted, str]]:
    return [
        (notice, d.recipient.address)
        for notice in notices
        for d in notice.deliveries
        if d.recipient.partner == kit.driver.partner
    ]


def _renamed(notice: Admitted) -> Admitted:
    """The same notice in the same case under a new id, as a fresh delivery."""
    envelope = dataclasses.replace(notice.envelope, id=str(uuid.uuid4()))
    return dataclasses.replace(notice, envelope=envelope)


@contextlib.asynccontextmanager
async def started_kit(
    driver: Driver, bootstrap: str, root: Path, resend_after: float, on_day: date | None = None
) -> AsyncIterator[Kit]:
    """The adapter started against the kit's hub side for the block, then stopped.

    The kit judges as the hub would on `on_day` (the real day when None): what it samples and
    delivers, and what it accepts, are the rules in force for a file opened that day.
    """
    settings = Settings()
    catalogue = load_catalogue(settings.contracts_path)
    directory = load_directory(settings.directory_path)
    wiring = Wiring(bootstrap, root, resend_after, free_port())
    hub = HubSide(bootstrap, driver.partner, catalogue, directory, on_day)
    await hub.start()
    try:
        await driver.start(wiring)
        try:
            deliveries = deliveries_to(catalogue, directory, driver.partner, on_day)
            yield Kit(
                hub,
                driver,
                wiring,
                sent_samples(catalogue, directory, driver.partner, on_day),
                deliveries,
                "" if deliveries else nothing_delivered(catalogue, directory, driver.partner),
            )
        finally:
            await driver.stop()
    finally:
        await driver.close()
        await hub.stop()
