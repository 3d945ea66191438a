"""The Grafana dashboard queries only series the hub exports, with labels they have."""

from __future__ import annotations

import json
import re

from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from hub.catalogue.contracts import Catalogue
from hub.edge.kafka import build_broker
from hub.observability.metrics import HubMetrics
from hub.settings import PROJECT_ROOT, Settings

DASHBOARD = PROJECT_ROOT / "deploy" / "grafana" / "partner-hub.json"
SERIES = re.compile(r"\b((?:hub|faststream)_[a-z_]+)")
GROUPED = re.compile(r"\bby \(([^)]*)\)")
MATCHED = re.compile(r"\{([^}]*)\}")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def _exported(catalogue: Catalogue) -> dict[str, set[str]]:
    """Every series name the hub's registry can expose, with its label names."""
    registry = CollectorRegistry()
    HubMetrics(registry, catalogue.contracts, ["academie/dsden"])
    build_broker(Settings(), "127.0.0.1:9", embedded=True, registry=registry)  # middleware
    found: dict[str, set[str]] = {}
    collectors = registry._collector_to_names  # noqa: SLF001 - the metric objects and their labels
    for collector in collectors:
        assert isinstance(collector, MetricWrapperBase)
        labels = set(collector._labelnames) | {"le"}  # noqa: SLF001
        for family in collector.describe():
            for suffix in SUFFIXES.get(family.type, ("",)):
                found[family.name + suffix] = labels
    return found


def test_every_query_names_an_exported_series_and_its_labels(catalogue: Catalogue) -> None:
    exported = _exported(catalogue)
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    problems = []
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(expressions) >= 15
    for expr in expressions:
        names = SERIES.findall(expr)
        if not names:
            problems.append(f"no hub series in {expr}")
        labels = {
            label.strip()
            for group in GROUPED.findall(expr) + [m.split("=")[0] for m in MATCHED.findall(expr)]
            for label in group.split(",")
            if label.strip()
        }
        for name in names:
            if name not in exported:
                problems.append(f"{name} is not exported")
            elif not labels <= exported[name]:
                problems.append(f"{name} has no label {sorted(labels - exported[name])}")
    assert problems == []


def test_the_rule_catches_a_series_the_hub_does_not_export(catalogue: Catalogue) -> None:
    assert "hub_notices_total" in _exported(catalogue)
    assert "hub_notice_total" not in _exported(catalogue)
