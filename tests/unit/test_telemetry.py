"""Telemetry asserted through OpenTelemetry's in-memory exporters: spans, attributes and metric points."""

from __future__ import annotations

import ast
import textwrap
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
from function_app.service_layer.delivery.jobs import DeliveryJob
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


# Timer, queue and Event Grid invocations: the host records no request for them in OpenTelemetry mode
# (Microsoft Learn, "Use OpenTelemetry with Azure Functions"), so each function opens its own request span.
APP_SPAN_TRIGGERS = {"timerTrigger": telemetry.TIMER, "queueTrigger": telemetry.PUBSUB,
                     "eventGridTrigger": telemetry.PUBSUB}


def app_triggers() -> dict[str, str]:
    """Function name -> trigger type, from the app as the worker indexes it."""
    from tests.functions.registry import functions

    return {name: str(function.get_trigger().get_binding_name()) for name, function in functions().items()}


def test_every_timer_queue_and_event_grid_function_opens_a_span_named_after_itself() -> None:
    import inspect

    from tests.functions.registry import registered

    triggers = {name: kind for name, kind in app_triggers().items() if kind in APP_SPAN_TRIGGERS}
    assert {"schedule_nightly_files", "deliver_partner_file", "claims_file_uploaded", "process_claims_file",
            "expire_held_cancellations", "reconcile_nightly", "record_acknowledgements"} <= set(triggers)
    for name, kind in triggers.items():
        tree = ast.parse(textwrap.dedent(inspect.getsource(registered(name))))
        (function,) = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
        body = [s for s in function.body if not isinstance(s, (ast.Import, ast.ImportFrom))
                and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        assert len(body) == 1 and isinstance(body[0], ast.With), f"{name}: the whole body is in the span"
        call = body[0].items[0].context_expr
        assert isinstance(call, ast.Call) and ast.unparse(call.func) == "telemetry.invocation", name
        assert isinstance(call.args[0], ast.Constant) and call.args[0].value == name
        assert ast.unparse(call.args[1]) == f"telemetry.{'TIMER' if kind == 'timerTrigger' else 'PUBSUB'}", name


@pytest.mark.usefixtures("on_azurite")
def test_timer_queue_and_event_grid_invocations_are_requests_with_their_identifiers() -> None:
    import azure.functions as func
    from azure.functions.queue import QueueMessage
    from azure.functions.timer import TimerRequest

    from tests.events import Captured
    from tests.functions.registry import registered

    registered("schedule_nightly_files")(timer=TimerRequest(past_due=True), jobs=Captured())
    job = b'{"partner": "adm-01", "feed": "nightly-contracts", "business_date": "2026-03-02"}'
    message = QueueMessage(id="m-7", body=job, dequeue_count=2)  # type: ignore[no-untyped-call]  # the worker's class
    registered("deliver_partner_file")(message=message)
    outside = "/blobServices/default/containers/reports/blobs/x"
    event = func.EventGridEvent(id="e-1", data={}, topic="t", subject=outside,
                                event_type="Microsoft.Storage.BlobCreated", event_time=None, data_version="1")
    registered("claims_file_uploaded")(event=event, files=Captured())
    spans = {s.name: s for s in SPANS.get_finished_spans()}
    timer, queue, grid = spans["schedule_nightly_files"], spans["deliver_partner_file"], spans["claims_file_uploaded"]
    assert (timer.kind, queue.kind, grid.kind) == (trace.SpanKind.SERVER, trace.SpanKind.CONSUMER,
                                                   trace.SpanKind.CONSUMER)
    assert timer.attributes is not None and queue.attributes is not None and grid.attributes is not None
    assert (timer.attributes["faas.trigger"], timer.attributes["faas.name"], timer.attributes["fni.past_due"]) == (
        "timer", "schedule_nightly_files", True)
    assert (queue.attributes["faas.trigger"], queue.attributes["messaging.message.id"]) == ("pubsub", "m-7")
    assert (queue.attributes["messaging.destination.name"], queue.attributes["fni.dequeue_count"]) == (
        "delivery-jobs", 2)
    assert grid.attributes["messaging.message.id"] == "e-1" and grid.attributes["fni.subject"] == outside
    [file] = [s for s in SPANS.get_finished_spans() if s.name == "fni.deliver_file"]
    assert file.parent is not None and file.parent.span_id == queue.context.span_id
    assert all(s.parent is None for s in (timer, queue, grid))


def test_an_invocation_span_is_a_root_linked_to_the_hosts_context_and_fails_with_the_function() -> None:
    handed = trace.SpanContext(trace_id=0x1F, span_id=0x2E, is_remote=True,
                               trace_flags=trace.TraceFlags(trace.TraceFlags.DEFAULT))  # not sampled by the host
    host, span_of = trace.use_span(trace.NonRecordingSpan(handed)), telemetry.invocation
    with host, pytest.raises(RuntimeError), span_of("reconcile_nightly", telemetry.TIMER, **{"fni.x": None}):
        raise RuntimeError("storage is down")
    [span] = [s for s in SPANS.get_finished_spans() if s.name == "reconcile_nightly"]
    assert span.parent is None and [link.context.span_id for link in span.links] == [0x2E]
    assert span.status.status_code is trace.StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]
    assert span.attributes is not None and "fni.x" not in span.attributes


def test_telemetry_is_configured_once_by_the_worker_or_once_by_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """With PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true (as infra/app/functions.bicep sets it) the worker has
    configured the distro: configuring again would export every span, metric and log twice."""
    import azure.monitor.opentelemetry as distro

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(distro, "configure_azure_monitor", lambda **kwargs: calls.append(kwargs))
    connection = {"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=00000000-0000-0000-0000-000000000000"}
    assert telemetry.AzureMonitor().configure({**connection, "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY": "true"})
    assert calls == []
    process = telemetry.AzureMonitor()
    assert process.configure(connection) is True and process.configure(connection) is True
    assert calls == [{"logger_name": "fni.exchange"}]


def test_the_pinned_exporter_authenticates_with_the_identity_from_the_authentication_string(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """APPLICATIONINSIGHTS_AUTHENTICATION_STRING (set in functions.bicep) is read by exporters from 1.0.0b36; the
    installed one is requirements.txt's pin (private helper: the exporter has no public accessor for it)."""
    from importlib.metadata import version

    from azure.identity import ManagedIdentityCredential
    from azure.monitor.opentelemetry.exporter.export._base import _get_authentication_credential
    from packaging.version import Version

    assert Version(version("azure-monitor-opentelemetry-exporter")) >= Version("1.0.0b36")
    monkeypatch.setenv("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "Authorization=AAD;ClientId=0000-id")
    assert isinstance(_get_authentication_credential(), ManagedIdentityCredential)


def test_the_runbook_names_only_what_the_app_emits() -> None:
    """Metric and span names (`fni.*`) and request names (`requests | where name == "X"`) of docs/runbook.md."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    runbook = (root / "docs" / "runbook.md").read_text(encoding="utf-8")
    metrics_ = {value for name, value in vars(telemetry).items() if name.isupper() and str(value).startswith("fni.")}
    code = "\n".join(p.read_text(encoding="utf-8") for p in (root / "function_app").rglob("*.py"))
    spans = set(re.findall(r'telemetry\.span\(\s*"(fni\.[a-z_.]+)"', code))
    assert {"fni.decide_batch", "fni.deliver_file"} <= spans
    attributes = set(re.findall(r'"(fni\.[a-z_.]+)": ', code))
    named = set(re.findall(r"`(fni\.[a-z_.]+)`", runbook))
    assert named and named <= metrics_ | spans | attributes, named - metrics_ - spans - attributes
    requests = set(re.findall(r'requests \| where name == "(\w+)"', runbook))
    triggers = app_triggers()
    assert requests and all(triggers.get(name) in APP_SPAN_TRIGGERS for name in requests), requests
