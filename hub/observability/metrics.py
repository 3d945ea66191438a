"""The hub's own Prometheus metrics, beside FastStream's middleware metrics.

Labels are bounded and never personal: contract ids and versions from the catalogue (any
other value a sender writes counts as `unknown`), offices from the directory, reason codes,
outcomes. Notices are counted when their decision is recorded; the gauges that need the
ledger (receipts awaited) and the broker (consumer lag) are refreshed by `refresh`.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from hub.core.intake import Admitted, Rejected

UNKNOWN = "unknown"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
APPEND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class HubMetrics:
    """Every metric the hub exports, registered on `registry`."""

    def __init__(
        self, registry: CollectorRegistry, contracts: Collection[str], offices: Collection[str]
    ) -> None:
        """Count only these contracts and offices by name; anything else is `unknown`."""
        self.registry = registry
        self._contracts = frozenset(contracts)
        self._offices = frozenset(offices)
        self.notices = Counter(
            "hub_notices",
            "Notices decided by the hub, by contract, major version, sending office and outcome "
            "(accepted, rejected, duplicate).",
            ["contract", "version", "sender", "outcome"],
            registry=registry,
        )
        self.rejections = Counter(
            "hub_rejections",
            "Reasons for refusing records, by code.",
            ["reason"],
            registry=registry,
        )
        self.deliveries = Counter(
            "hub_deliveries",
            "Deliveries published and recorded, by contract and receiving office.",
            ["contract", "office"],
            registry=registry,
        )
        self.delivery_latency = Histogram(
            "hub_delivery_latency_seconds",
            "From the broker's timestamp of a notice to its deliveries being published and "
            "recorded.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.ledger_append = Histogram(
            "hub_ledger_append_seconds",
            "Time to record one batch: its ledger entries and kept records, in one durable commit.",
            buckets=APPEND_BUCKETS,
            registry=registry,
        )
        self.receipts_pending = Gauge(
            "hub_receipts_pending",
            "Deliveries whose receiving office has not sent its receipt yet.",
            registry=registry,
        )
        self.receipts_oldest = Gauge(
            "hub_receipt_pending_oldest_seconds",
            "Age of the oldest delivery still waiting for its receipt (0 when none waits).",
            registry=registry,
        )
        self.deadlines_open = Gauge(
            "hub_deadlines_open", "Legal deadlines opened and not closed yet.", registry=registry
        )
        self.deadlines_overdue = Gauge(
            "hub_deadlines_overdue",
            "Legal deadlines past due and not closed (alerted or about to be).",
            registry=registry,
        )
        self.deadline_alerts = Counter(
            "hub_deadline_alerts",
            "Deadline alerts sent, by the contract that opened the deadline and its name.",
            ["contract", "deadline"],
            registry=registry,
        )
        self.redeliveries = Counter(
            "hub_redeliveries",
            "Deliveries sent again because their office's receipt had not come.",
            registry=registry,
        )
        self.erasures = Counter(
            "hub_erasures",
            "Cases erased (their key destroyed), by reason: request or retention.",
            ["reason"],
            registry=registry,
        )
        self.quarantined = Counter(
            "hub_records_quarantined",
            "Records set aside after failing again and again for a reason of their own, by the "
            "partner that wrote them (each refused to its sender as hub.internal).",
            ["partner"],
            registry=registry,
        )
        self.login_failures = Counter(
            "hub_trace_login_failures",
            "Logins to the trace API refused, by reason: no-token (none, or not one) or "
            "unknown-token (one no operator holds).",
            ["reason"],
            registry=registry,
        )
        self.logins_throttled = Counter(
            "hub_trace_logins_throttled",
            "Requests to the trace API refused untried (429): their source failed too often.",
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "hub_consumer_lag",
            "Records on the partners' inbound topics not yet read by the hub, by topic.",
            ["topic"],
            registry=registry,
        )

    def decided(
        self,
        accepted: Iterable[Admitted],
        duplicates: Iterable[Admitted],
        rejected: Iterable[Rejected],
    ) -> None:
        """Count one batch's decisions."""
        for notice in accepted:
            self.notices.labels(*self._labels(notice), "accepted").inc()
        for notice in duplicates:
            self.notices.labels(*self._labels(notice), "duplicate").inc()
        for refusal in rejected:
            contract = refusal.contract if refusal.contract in self._contracts else UNKNOWN
            sender = refusal.recipient if refusal.recipient in self._offices else refusal.partner
            self.notices.labels(contract, "", sender or UNKNOWN, "rejected").inc()
            for reason in {r.code for r in refusal.reasons}:
                self.rejections.labels(reason).inc()

    def delivered(self, notices: Iterable[Admitted], now: float | None = None) -> None:
        """Count the deliveries of notices now recorded, and their latency."""
        clock = time.time() if now is None else now
        for notice in notices:
            for delivery in notice.deliveries:
                office = self._office(delivery.recipient.address)
                self.deliveries.labels(notice.contract.id, office).inc()
            if notice.record.timestamp_ms is not None and not notice.resumed:
                self.delivery_latency.observe(max(0.0, clock - notice.record.timestamp_ms / 1000))

    def set_aside(self, partner: str) -> None:
        """Count a record quarantined."""
        known = {office.split("/", 1)[0] for office in self._offices}
        self.quarantined.labels(partner if partner in known else UNKNOWN).inc()

    def awaiting(self, count: int, oldest: datetime | None, now: datetime) -> None:
        """Set the receipts gauges from the ledger's count and oldest waiting delivery."""
        self.receipts_pending.set(count)
        self.receipts_oldest.set((now - oldest).total_seconds() if oldest else 0.0)

    def _labels(self, notice: Admitted) -> tuple[str, str, str]:
        return notice.contract.id, str(notice.version.major), self._office(notice.envelope.sender)

    def _office(self, address: str) -> str:
        # An office the directory does not list is one of a kind known by codes (a school by
        # its UAI): counted under its kind, so that labels stay as few as the directory's.
        return address if address in self._offices else address.split(":", 1)[0]
