"""Traces, metrics and logs through OpenTelemetry; exported to Azure Monitor when the app has a connection.

Without `APPLICATIONINSIGHTS_CONNECTION_STRING` nothing is configured and every call here is a cheap no-op
of the OpenTelemetry API, so tests and the CLI need nothing. The names below are what alerts query.

In Azure, `PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true` makes the Python worker configure the Azure Monitor
distro itself, before the app is indexed, and tells the host so, which then stops forwarding the worker's logs
(one copy of each log) and hands every invocation its trace context. The app then configures nothing more: a
second `configure_azure_monitor` would export everything twice. The CLI, outside the worker, configures its own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, SpanKind

EVENTS = "fni.events"  # attributes: hub, status, reason (REJECTED only)
DEAD_LETTERS = "fni.dead_letters"
LAG = "fni.lag_seconds"
BATCH_SIZE = "fni.batch_size"
FILES_DELIVERED = "fni.files.delivered"
BYTES_DELIVERED = "fni.bytes.delivered"
RECONCILIATION_BREAKS = "fni.reconciliation.breaks"
BLOBS_TAKEN = "fni.delivery.blob_taken"  # attributes: partner, feed
SIDE_RECORDS = "fni.change_feed.skipped"  # attributes: hub, kind (tombstone, heartbeat, transaction, schema_change)

log = logging.getLogger("fni.exchange")
_tracer = trace.get_tracer("fni.exchange")
_meter = metrics.get_meter("fni.exchange")
events = _meter.create_counter(EVENTS, unit="{event}", description="inputs decided, by hub, status and reason")
dead_letters = _meter.create_counter(DEAD_LETTERS, unit="{letter}", description="rejected inputs dead-lettered")
lag = _meter.create_histogram(LAG, unit="s", description="from Event Hub enqueue to decision")
batch_size = _meter.create_histogram(BATCH_SIZE, unit="{event}", description="events per trigger batch")
files_delivered = _meter.create_counter(FILES_DELIVERED, unit="{file}", description="partner files completed")
bytes_delivered = _meter.create_counter(BYTES_DELIVERED, unit="By", description="bytes of partner files completed")
side_records = _meter.create_counter(
    SIDE_RECORDS, unit="{record}", description="change-feed records that carry no row change, skipped by kind"
)
reconciliation_breaks = _meter.create_counter(
    RECONCILIATION_BREAKS, unit="{break}", description="breaks a reconciliation run found, by kind and scope"
)
blobs_taken = _meter.create_counter(
    BLOBS_TAKEN, unit="{file}", description="deliveries stopped: the file's name held other bytes, left as they were"
)

# Triggers whose invocations the host records no request for in OpenTelemetry mode (it does for HTTP, Service Bus
# and Event Hubs): the app's span is the request. Values of the semantic conventions' `faas.trigger`.
TIMER, PUBSUB = "timer", "pubsub"
WORKER_EXPORTS = "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"

class AzureMonitor:
    """Whether a process sends its telemetry to Azure Monitor: set up at most once, by the worker or by the app."""

    def __init__(self) -> None:
        self.configured = False

    def configure(self, env: Mapping[str, str] | None = None) -> bool:
        """Sends telemetry to Azure Monitor when a connection is set; returns whether it is sent. Idempotent."""
        env = os.environ if env is None else env
        if self.configured or not env.get("APPLICATIONINSIGHTS_CONNECTION_STRING"):
            return self.configured
        if env.get(WORKER_EXPORTS, "").lower() != "true":  # the worker configured the distro: again would double
            from azure.monitor.opentelemetry import configure_azure_monitor

            configure_azure_monitor(logger_name="fni.exchange")
        self.configured = True
        return True


_this_process = AzureMonitor()


def configure(env: Mapping[str, str] | None = None) -> bool:
    """This process's telemetry (AzureMonitor.configure)."""
    return _this_process.configure(env)


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[trace.Span]:
    """A span whose attributes skip empty values (OpenTelemetry rejects None)."""
    with _tracer.start_as_current_span(name) as current:
        current.set_attributes({k: v for k, v in attributes.items() if v is not None})
        yield current


@contextmanager
def invocation(function: str, trigger: str, **attributes: Any) -> Iterator[trace.Span]:
    """The request span of one timer, queue or Event Grid invocation, named after the function (Application
    Insights lists SERVER and CONSUMER spans as requests). A root span linked to the context the host handed over:
    no sampling decision on a host span that is never exported can drop it. Exceptions mark it failed."""
    configure()
    handed = trace.get_current_span().get_span_context()
    kind = SpanKind.SERVER if trigger == TIMER else SpanKind.CONSUMER
    with _tracer.start_as_current_span(
        function, context=Context(), kind=kind, links=[Link(handed)] if handed.is_valid else []
    ) as current:
        current.set_attributes({"faas.name": function, "faas.trigger": trigger})
        current.set_attributes({k: v for k, v in attributes.items() if v is not None})
        yield current
