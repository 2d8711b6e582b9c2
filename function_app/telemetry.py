"""Traces, metrics and logs through OpenTelemetry; exported to Azure Monitor when the app has a connection.

Without `APPLICATIONINSIGHTS_CONNECTION_STRING` nothing is configured and every call here is a cheap no-op
of the OpenTelemetry API, so tests and the CLI need nothing. The names below are what alerts query.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import metrics, trace

EVENTS = "fni.events"  # attributes: hub, status, reason (REJECTED only)
DEAD_LETTERS = "fni.dead_letters"
LAG = "fni.lag_seconds"
BATCH_SIZE = "fni.batch_size"
FILES_DELIVERED = "fni.files.delivered"
BYTES_DELIVERED = "fni.bytes.delivered"
RECONCILIATION_BREAKS = "fni.reconciliation.breaks"
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

_configured = False


def configure(env: Mapping[str, str] | None = None) -> bool:
    """Sends telemetry to Azure Monitor when a connection is set; returns whether it did. Idempotent."""
    global _configured
    env = os.environ if env is None else env
    if _configured or not env.get("APPLICATIONINSIGHTS_CONNECTION_STRING"):
        return _configured
    from azure.monitor.opentelemetry import configure_azure_monitor

    configure_azure_monitor(logger_name="fni.exchange")
    _configured = True
    return True


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[trace.Span]:
    """A span whose attributes skip empty values (OpenTelemetry rejects None)."""
    with _tracer.start_as_current_span(name) as current:
        current.set_attributes({k: v for k, v in attributes.items() if v is not None})
        yield current
