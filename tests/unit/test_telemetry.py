"""Telemetry asserted through OpenTelemetry's in-memory exporters: spans, attributes and metric points."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from function_app import telemetry
from function_app.service_layer.delivery import DeliveryJob
from tests.events import T0, contract, messages
from tests.partners import DAY, NOON, Clock, contracts_of_the_day, decide, memory_exchange

SPANS = InMemorySpanExporter()
READER = InMemoryMetricReader()


@pytest.fixture(scope="module", autouse=True)
def providers() -> Iterator[None]:
    """OpenTelemetry takes one global provider per process; the in-memory ones are set once, here."""
    tracing = TracerProvider()
    tracing.add_span_processor(SimpleSpanProcessor(SPANS))
    trace.set_tracer_provider(tracing)
    metrics.set_meter_provider(MeterProvider(metric_readers=[READER]))
    yield


@pytest.fixture(autouse=True)
def fresh() -> None:
    SPANS.clear()
    READER.get_metrics_data()  # drain what earlier tests recorded (delta is not configured: read totals)


def points(name: str) -> list[Any]:
    data = READER.get_metrics_data()
    found: list[Any] = []
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    found.extend(metric.data.data_points)
    return found


def total(name: str, **labels: str) -> float:
    return float(sum(p.value for p in points(name) if all(p.attributes.get(k) == v for k, v in labels.items())))


def test_without_a_connection_string_nothing_is_configured() -> None:
    assert telemetry.configure({}) is False


def test_a_batch_gives_a_span_per_batch_and_per_decision_with_the_identifiers() -> None:
    exchange = memory_exchange(clock=Clock(T0 + timedelta(seconds=30)))
    before = total(telemetry.EVENTS, hub="contracts", status="REJECTED", reason="MALFORMED")
    exchange.realtime.process(messages("contracts", [contract("VSC9100001"), b"garbage"], partition="7"))
    spans = {s.name: s for s in SPANS.get_finished_spans() if s.name == "fni.decide_batch"}
    batch = spans["fni.decide_batch"]
    assert batch.attributes is not None
    assert (batch.attributes["fni.hub"], batch.attributes["fni.partition"], batch.attributes["fni.batch_size"]) == (
        "contracts", "7", 2)
    decisions = [s for s in SPANS.get_finished_spans() if s.name == "fni.decide"]
    accepted = next(s for s in decisions if s.attributes and s.attributes["fni.status"] == "ACCEPTED")
    assert accepted.attributes is not None
    assert accepted.attributes["fni.contract_number"] == "VSC9100001"
    assert accepted.attributes["fni.event_id"] == "D10442-VSC9100001-r1"
    assert (accepted.attributes["fni.partition"], accepted.attributes["fni.sequence_number"]) == ("7", 0)
    assert accepted.parent is not None and accepted.parent.span_id == batch.context.span_id
    assert total(telemetry.EVENTS, hub="contracts", status="REJECTED", reason="MALFORMED") == before + 1
    assert total(telemetry.DEAD_LETTERS, hub="contracts") >= 1
    lags = [p for p in points(telemetry.LAG) if p.attributes.get("hub") == "contracts"]
    assert lags and max(p.max for p in lags) >= 29.0


def test_a_delivered_file_is_traced_to_its_journal_positions_and_counted() -> None:
    clock = Clock(NOON)
    exchange = memory_exchange(clock=clock)
    decide(exchange, "contracts", list(contracts_of_the_day(3)))
    clock.now = NOON + timedelta(hours=14)
    before = total(telemetry.FILES_DELIVERED, partner="adm-01", feed="nightly")
    [file] = exchange.delivery.deliver(DeliveryJob("adm-01", "nightly", DAY)).files
    [span] = [s for s in SPANS.get_finished_spans() if s.name == "fni.deliver_file"]
    assert span.attributes is not None
    assert span.attributes["fni.file"] == file.blob_name and span.attributes["fni.records"] == 3
    assert str(span.attributes["fni.first_position"]) <= str(span.attributes["fni.last_position"])
    assert total(telemetry.FILES_DELIVERED, partner="adm-01", feed="nightly") == before + 1
    assert total(telemetry.BYTES_DELIVERED, partner="adm-01", feed="nightly") >= file.bytes
