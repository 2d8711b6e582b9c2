"""The worker tier: the staged deployment package, loaded by Azure's worker library in its own process."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from function_app.config import Settings
from tests.eventhub_standin import EventHubStandIn
from tests.worker.host import WorkerHost
from tests.worker.package import stage

StartWorker = Callable[..., WorkerHost]


@pytest.fixture(scope="session")
def staged_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stage(tmp_path_factory.mktemp("wwwroot"))


def app_settings(settings: Settings, **extra: str) -> dict[str, str]:
    """The app settings the host passes to the worker as its environment (local.settings.example.json's names)."""
    return {
        "AzureWebJobsStorage": settings.storage_connection or "",
        "STORAGE_NAMESPACE": settings.namespace,
        "BUSINESS_TIMEZONE": "America/Chicago",
        "PARTNER_NIGHTLY_SCHEDULE": "0 0 8 * * *",
        "PARTNER_MICRO_SCHEDULE": "0 */5 * * * *",
        "RECONCILE_SCHEDULE": "0 30 9 * * *",
        **extra,
    }


@pytest.fixture
def start_worker(staged_app: Path, storage_settings: Settings) -> Iterator[StartWorker]:
    """Starts a worker on the staged app with this test's storage namespace, its `EventHubConnection` naming an
    Event Hubs stand-in of its own (tests/eventhub_standin.py) where the app sends its feedback with the SDK;
    the host's start-up sequence done."""
    started: list[WorkerHost] = []
    with contextlib.ExitStack() as hubs:

        def start(**extra: str) -> WorkerHost:
            hub = hubs.enter_context(EventHubStandIn.running())
            host = WorkerHost(staged_app, app_settings(storage_settings, EventHubConnection=hub.connection_string,
                                                       **extra))
            host.feedback_hub = hub
            started.append(host)
            host.start()
            return host

        yield start
        for host in started:
            host.close()


def sent_feedback(host: WorkerHost) -> list[Any]:
    """The feedback the worker sent to its hub since the last look, each as (partition key, event). The SDK's
    send returns once the hub settled the transfer, and the stand-in records before it settles: whatever an
    invocation sent is there when the invocation has returned."""
    assert host.feedback_hub is not None
    events = host.feedback_hub.received(timeout=0)
    new, host.feedback_seen = events[host.feedback_seen:], len(events)
    return [(event.partition_key, json.loads(event.body)) for event in new]
