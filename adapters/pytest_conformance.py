"""The pytest plugin (entry point `hub-conformance`): the marker, the broker and the kit.

`conformance_bootstrap` is a real Kafka-protocol broker for one suite: the cluster named by
`HUB_CONFORMANCE_BOOTSTRAP`, or else a fresh embedded broker (the `embedded` extra), so that
no suite reads another's records.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

# The suite's checks are assertions: pytest rewrites them to show the values compared.
pytest.register_assert_rewrite("adapters.conformance")

if TYPE_CHECKING:
    from adapters.conformance.suite import Kit


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker every conformance check carries."""
    config.addinivalue_line(
        "markers", "conformance: an adapter conformance check (hub-conformance kit)"
    )


@pytest.fixture(scope="class")
def conformance_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real broker for one conformance suite."""
    if external := os.environ.get("HUB_CONFORMANCE_BOOTSTRAP"):
        yield external
        return
    from hub.edge.embedded import EmbeddedBroker  # noqa: PLC0415 - only without an external one

    log = tmp_path_factory.mktemp("conformance-broker") / "broker.log"
    with EmbeddedBroker(log_path=log) as bootstrap:
        yield bootstrap


@pytest_asyncio.fixture(scope="class", loop_scope="class")
async def conformance_kit(
    request: pytest.FixtureRequest,
    conformance_bootstrap: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Kit]:
    """The suite's adapter (its class's `driver()`) started against the kit's hub side."""
    from adapters.conformance.suite import started_kit  # noqa: PLC0415 - only for suites

    make = getattr(request.cls, "driver", None)
    if make is None:
        pytest.fail(f"{request.cls.__name__} gives no `driver`: a callable making its Driver")
    driver = make()
    root = tmp_path_factory.mktemp(f"conformance-{driver.partner}")
    cls = request.cls
    async with started_kit(
        driver, conformance_bootstrap, root, cls.resend_after, getattr(cls, "on_day", None)
    ) as kit:
        yield kit
