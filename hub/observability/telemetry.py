"""Traces: one trace follows a notice from the sending adapter to every recipient and back.

The W3C `traceparent` header carries it: the adapter's send span starts it, the hub's accept
span continues it, each delivery gets its own child span whose context the delivery carries,
the recipient adapter's receive span and its receipt continue from there. Span attributes are
ids, contract names, offices and codes: never a payload value.

`configure` sets the process's tracer provider: spans are exported with OTLP over HTTP when
the standard variables ask for it (`OTEL_TRACES_EXPORTER=otlp`, or an
`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), and only propagated
otherwise. Libraries (the relay, the SDK) only ask for a tracer.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from hub.core.intake import Admitted, Rejected
from hub.wire.envelope import header_value

PROPAGATOR = TraceContextTextMapPropagator()
_EXPORTING: list[TracerProvider] = []
EXPORT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def configure(service: str) -> TracerProvider | None:
    """Install an exporting tracer provider if the `OTEL_*` variables ask for one.

    Without export the default no-op provider stays: spans cost nothing, and the
    `traceparent` a record came with is passed on unchanged. `OTEL_SERVICE_NAME` overrides
    `service`.
    """
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "")
    wanted = exporter == "otlp" or (
        exporter != "none" and any(os.environ.get(v) for v in EXPORT_VARIABLES)
    )
    if not wanted:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _EXPORTING.append(provider)
    return provider


def exporting() -> bool:
    """Whether this process exports traces (FastStream's middleware is worth its cost then)."""
    return bool(_EXPORTING)


def tracer() -> trace.Tracer:
    """The project's tracer, from whatever provider the process installed."""
    return trace.get_tracer("partner-hub")


def parent(traceparent: str | None, tracestate: str | None = None) -> Context | None:
    """The context a `traceparent` header names (None when absent or malformed)."""
    if not traceparent:
        return None
    carrier = {"traceparent": traceparent}
    if tracestate:
        carrier["tracestate"] = tracestate
    extracted = PROPAGATOR.extract(carrier)
    return extracted if trace.get_current_span(extracted).get_span_context().is_valid else None


def headers_of(span: Span) -> dict[str, str]:
    """The `traceparent` (and `tracestate`) headers that make a record continue `span`."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


@contextlib.contextmanager
def within(headers: Mapping[str, str]) -> Iterator[None]:
    """Make the span a record's trace headers name the current one, for the block."""
    if not _EXPORTING:  # nothing records spans: nothing to continue
        yield
        return
    found = parent(headers.get("traceparent"), headers.get("tracestate"))
    if found is None:
        yield
        return
    token = otel_context.attach(found)
    try:
        yield
    finally:
        otel_context.detach(token)


def current_or(headers: Mapping[str, str]) -> Context | None:
    """The context a consumer's span continues.

    The current one when a span is active (FastStream's consume span), else the one the
    record's headers name.
    """
    if trace.get_current_span().get_span_context().is_valid:
        return None
    return parent(headers.get("traceparent"), headers.get("tracestate"))


class BatchSpans:
    """A batch's spans: accept (child of the sender's) and one per delivery, or reject."""

    def __init__(self, notices: Sequence[Admitted], rejections: Sequence[Rejected]) -> None:
        """Start the spans of this batch's decisions (none when traces are not exported)."""
        self._open: list[Span] = []
        self._trace: dict[int, dict[str, dict[str, str]]] = {}
        if not exporting():  # no span to record: each delivery passes the sender's context on
            return
        for notice in notices:
            self._accept(notice)
        for rejection in rejections:
            span = tracer().start_span(
                "reject",
                context=parent(header_value(rejection.record, "traceparent")),
                kind=SpanKind.CONSUMER,
                attributes={"hub.reasons": sorted({r.code for r in rejection.reasons})},
            )
            self._open.append(span)

    def _accept(self, notice: Admitted) -> None:
        env = notice.envelope
        attributes = {
            "hub.notice_id": env.id,
            "hub.case_id": notice.case_id,
            "hub.contract": notice.contract.id,
            "hub.sender": env.sender,
        }
        accept = tracer().start_span(
            f"accept {notice.contract.id}",
            context=parent(env.traceparent),
            kind=SpanKind.CONSUMER,
            attributes={**attributes, "hub.resumed": notice.resumed},
        )
        within_accept = trace.set_span_in_context(accept)
        offices = {}
        for delivery in notice.deliveries:
            span = tracer().start_span(
                f"deliver {notice.contract.id}",
                context=within_accept,
                kind=SpanKind.PRODUCER,
                attributes={
                    **attributes,
                    "hub.office": delivery.recipient.address,
                    "hub.version": delivery.version.major,
                },
            )
            offices[delivery.recipient.address] = headers_of(span)
            self._open.append(span)
        self._open.append(accept)
        self._trace[id(notice)] = offices

    def trace_of(self, notice: Admitted) -> dict[str, dict[str, str]]:
        """Each office's trace headers for this notice's deliveries (empty when not traced)."""
        return {k: v for k, v in self._trace.get(id(notice), {}).items() if v}

    def end(self) -> None:
        """Everything is published and recorded."""
        for span in self._open:
            span.end()
