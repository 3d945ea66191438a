"""What the kit finds wrong in what an adapter wrote and handed over, each said in a sentence.

Plain functions over what the hub side read (`Published`) and what the institution side saw
(`HandOver`): the suite's checks assert that they find nothing.
"""

from __future__ import annotations

from typing import Any

from adapters.conformance.drivers import HandOver
from adapters.conformance.hubside import Published
from adapters.conformance.samples import Sample
from hub.core.intake import Admitted, Rejected
from hub.wire.envelope import CAUSATION_SOURCE_HEADER

STATUSES = ("received", "processed", "refused")


def delivery(notice: Admitted, recipient: str) -> HandOver:
    """One delivery of `notice`, as the institution side sees it: source, id, office."""
    return (notice.envelope.source, notice.envelope.id, recipient)


def differences(first: Published, again: Published) -> list[str]:
    """What changed between two sends of one notice: key, value, header names."""
    changed = [
        part
        for part, a, b in (
            ("key", first.record.key, again.record.key),
            ("value", first.record.value, again.record.value),
        )
        if a != b
    ]
    names = {n for n in set(first.headers) | set(again.headers) if _carries_the_notice(n)}
    changed += sorted(f"header {n}" for n in names if first.headers.get(n) != again.headers.get(n))
    return changed


def _carries_the_notice(header: str) -> bool:
    """CloudEvents attributes and trace context; a client's own headers may vary by send."""
    return header.startswith("ce_") or header in ("content-type", "traceparent", "tracestate")


def envelope_problems(sample: Sample, published: Published) -> list[str]:
    """What keeps a notice the adapter sent for `sample` from being the one asked for."""
    name = f"{sample.contract} ({published.notice_id})"
    verdict = published.verdict
    if isinstance(verdict, Rejected):
        codes = ", ".join(f"{r.code} at {r.pointer or '/'}" for r in verdict.reasons)
        return [f"{name}: the hub would refuse it: {codes}"]
    problems = []
    if verdict.envelope.office != sample.office:
        problems.append(f"{name}: sent as office {verdict.envelope.office}, not {sample.office}")
    if verdict.envelope.traceparent is None:
        problems.append(f"{name}: no traceparent, so no trace can follow it")
    return problems


def receipt_problems(
    notice: Admitted, recipient: str, receipt: Published, handed: list[HandOver]
) -> list[str]:
    """What is wrong with a delivery's hand-over and receipt.

    Handed over once; a receipt the hub accepts, naming the notice by id and source
    (`ce_causationsource`), in its case (the key), with a status of `hub.receipt`.
    """
    name = f"{notice.contract.id} {notice.envelope.id} to {recipient}"
    problems = []
    count = handed.count(delivery(notice, recipient))
    if count == 0:
        problems.append(f"{name}: receipted, but the institution side has not got it")
    elif count > 1:
        problems.append(f"{name}: handed over {count} times")
    verdict = receipt.verdict
    if isinstance(verdict, Rejected):
        codes = ", ".join(r.code for r in verdict.reasons)
        return [*problems, f"{name}: the hub would refuse its receipt: {codes}"]
    body: dict[str, Any] = verdict.payload
    if body.get("notice_id") != notice.envelope.id:
        problems.append(f"{name}: the receipt names another notice")
    if receipt.headers.get(CAUSATION_SOURCE_HEADER) != notice.envelope.source:
        problems.append(f"{name}: the receipt's ce_causationsource is not the notice's source")
    if receipt.record.key != notice.case_id.encode():
        problems.append(f"{name}: the receipt's key is not the notice's case")
    if body.get("status") not in STATUSES:
        problems.append(f"{name}: the receipt's status is not one of {STATUSES}")
    return problems
