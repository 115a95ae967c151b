"""One OpenTelemetry setup for every service; trace context carried in Kafka headers.

A customer turn is one trace: ingest starts it, each consumer continues it from the record's
``traceparent`` header, and every event also keeps the context in its envelope.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from switchboard.core.settings import TelemetrySettings

_PROPAGATOR = TraceContextTextMapPropagator()
TRACE_HEADERS = ("traceparent", "tracestate")


class JsonlSpanExporter(SpanExporter):
    """Appends one JSON object per finished span to a file; several processes may share it."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(_span_record(span), ensure_ascii=False) + "\n" for span in spans)
        # One write per batch in append mode keeps lines whole across processes.
        with self._lock, self._path.open("a", encoding="utf-8") as sink:
            sink.write(lines)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing buffered: every export is written at once."""


def _span_record(span: ReadableSpan) -> dict[str, object]:
    context = span.get_span_context()
    return {
        "name": span.name,
        "service": span.resource.attributes.get("service.name"),
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
        "kind": span.kind.name,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "attributes": dict(span.attributes or {}),
        "status": span.status.status_code.name,
    }


def configure_tracing(service_name: str, settings: TelemetrySettings) -> TracerProvider:
    """Installs the global tracer provider for this process and returns it (to shut it down)."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if settings.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    elif settings.exporter == "jsonl":
        if not settings.jsonl_path:
            raise ValueError("telemetry.exporter=jsonl needs telemetry.jsonl_path (…_TELEMETRY__JSONL_PATH)")
        provider.add_span_processor(SimpleSpanProcessor(JsonlSpanExporter(Path(settings.jsonl_path))))
    trace.set_tracer_provider(provider)
    return provider


def tracer(name: str = "switchboard") -> trace.Tracer:
    return trace.get_tracer(name)


def current_trace_carrier() -> dict[str, str]:
    """The current trace context as W3C headers (empty when no span is active)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def kafka_headers() -> list[tuple[str, bytes]]:
    """The current trace context as Kafka record headers."""
    return [(key, value.encode()) for key, value in current_trace_carrier().items()]


def context_from_headers(headers: Sequence[tuple[str, bytes]] | None) -> otel_context.Context:
    """The trace context a Kafka record carries (a fresh root when it carries none)."""
    carrier = {key: value.decode("latin-1") for key, value in headers or () if key in TRACE_HEADERS}
    return _PROPAGATOR.extract(carrier)


@contextmanager
def consumer_span(topic: str, headers: Sequence[tuple[str, bytes]] | None, **attributes: object) -> Iterator[Span]:
    """A CONSUMER span continuing the trace of a Kafka record."""
    parent = context_from_headers(headers)
    with tracer().start_as_current_span(
        f"{topic} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic, **attributes},
    ) as span:
        yield span
