"""Failed logins per source: a sliding window, a success forgets, memory bounded."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from hub.edge.logins import Logins
from hub.observability.metrics import HubMetrics


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _logins(clock: Clock, sources: int = 100) -> tuple[Logins, HubMetrics]:
    metrics = HubMetrics(CollectorRegistry(), (), ())
    logins = Logins(
        metrics.login_failures,
        metrics.logins_throttled,
        limit=3,
        window_s=60,
        clock=clock,
        sources=sources,
    )
    return logins, metrics


def test_a_source_waits_until_its_oldest_failure_leaves_the_window() -> None:
    clock = Clock()
    logins, metrics = _logins(clock)
    for at in (0, 10, 20):
        clock.now = at
        assert logins.wait("10.0.0.1") is None
        logins.failed("10.0.0.1", "unknown-token")
    assert logins.wait("10.0.0.1") == 40  # the failure at 0 leaves at 60
    assert logins.wait("10.0.0.2") is None  # another source is not concerned
    clock.now = 60
    assert logins.wait("10.0.0.1") is None
    logins.failed("10.0.0.1", "no-token")
    assert logins.wait("10.0.0.1") == 10  # the one at 10 leaves at 70
    sample = metrics.registry.get_sample_value
    assert sample("hub_trace_login_failures_total", {"reason": "unknown-token"}) == 3
    assert sample("hub_trace_login_failures_total", {"reason": "no-token"}) == 1
    assert sample("hub_trace_logins_throttled_total") == 2


def test_a_login_that_succeeds_forgets_the_sources_failures() -> None:
    logins, _ = _logins(Clock())
    logins.failed("10.0.0.1", "unknown-token")
    logins.failed("10.0.0.1", "unknown-token")
    logins.succeeded("10.0.0.1")
    logins.failed("10.0.0.1", "unknown-token")
    assert logins.wait("10.0.0.1") is None


def test_past_the_sources_followed_new_ones_share_one_allowance() -> None:
    clock = Clock()
    logins, _ = _logins(clock, sources=2)
    logins.failed("10.0.0.1", "unknown-token")
    logins.failed("10.0.0.2", "unknown-token")
    for n in range(3, 6):  # three new addresses, one allowance: the third is throttled
        assert logins.wait(f"10.0.0.{n}") is None
        logins.failed(f"10.0.0.{n}", "unknown-token")
    assert logins.wait("10.0.0.99") == 60
    assert logins.wait("10.0.0.1") is None  # a followed source keeps its own
    clock.now = 60  # the first ones have left the window: room is made again
    logins.failed("10.0.0.7", "unknown-token")
    assert logins.wait("10.0.0.8") is None
    assert logins.pseudonym("10.0.0.7") != "10.0.0.7"
