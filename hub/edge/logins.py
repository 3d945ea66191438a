"""Failed logins to the trace API: counted, logged without the token, throttled per source.

A source address that fails `limit` times within `window_s` seconds is answered 429, with
`Retry-After`, until the oldest of those failures leaves the window. Its requests are then not
tried against the operators' tokens at all, so guessing gains nothing while it waits; a login
that succeeds forgets the source's failures. Each failure is logged with its reason and a
pseudonym of the source (keyed for this process: lines of one run can be matched, the address
is not written), never the token; the moment a source is throttled is logged once, the
requests refused then are only counted. At most `sources` addresses are followed: past that,
new ones share one allowance, so a flood from many addresses costs bounded memory and ends
throttled too. The source is the peer's address: behind a proxy, every operator shares it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable

from prometheus_client import Counter

log = logging.getLogger("hub.trace")
OVERFLOW = "*"  # the allowance new sources share once `sources` addresses are followed


class Logins:
    """The trace API's failed logins, per source address, over a sliding window."""

    def __init__(  # noqa: PLR0913 - the counters, the allowance and its clock
        self,
        failures: Counter,
        throttled: Counter,
        *,
        limit: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
        sources: int = 10_000,
    ) -> None:
        """Allow `limit` failures per source within `window_s` seconds; count in the counters."""
        self._failures, self._throttled = failures, throttled
        self._limit, self._window, self._clock, self._sources = limit, window_s, clock, sources
        self._seen: dict[str, deque[float]] = {}
        self._key = secrets.token_bytes(16)

    def wait(self, source: str) -> float | None:
        """Seconds the source must wait before it may try again; None when it may now."""
        times = self._seen.get(source)
        if times is None and len(self._seen) >= self._sources:
            times = self._seen.get(OVERFLOW)
        if times is None:
            return None
        now = self._clock()
        self._forget(times, now)
        if len(times) < self._limit:
            return None
        self._throttled.inc()
        return times[0] + self._window - now

    def failed(self, source: str, reason: str) -> None:
        """A login from `source` failed for `reason` (a fixed code: never the token)."""
        self._failures.labels(reason).inc()
        slot = self._slot(source)
        times = self._seen.setdefault(slot, deque(maxlen=self._limit))
        now = self._clock()
        self._forget(times, now)
        times.append(now)
        who = self.pseudonym(slot)
        log.warning("trace API: failed login (%s) from source %s", reason, who)
        if len(times) == self._limit:
            log.warning(
                "trace API: source %s throttled: %d failures within %gs, refused for %gs",
                who,
                self._limit,
                self._window,
                times[0] + self._window - now,
            )

    def succeeded(self, source: str) -> None:
        """A login from `source` succeeded: its failures are forgotten."""
        self._seen.pop(source, None)

    def pseudonym(self, source: str) -> str:
        """The source as the logs name it: stable while this process runs, not the address."""
        return hmac.new(self._key, source.encode(), hashlib.sha256).hexdigest()[:12]

    def _forget(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self._window:
            times.popleft()

    def _slot(self, source: str) -> str:
        """The source's own allowance; the shared one while too many sources are followed."""
        if source in self._seen or len(self._seen) < self._sources:
            return source
        now = self._clock()
        for other, times in list(self._seen.items()):
            self._forget(times, now)
            if not times:
                del self._seen[other]
        return source if len(self._seen) < self._sources else OVERFLOW
