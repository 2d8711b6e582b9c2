"""The worker tier: the staged deployment package, loaded by Azure's worker library in its own process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from function_app.config import Settings
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
    """Starts a worker on the staged app with this test's storage namespace; the host's start-up sequence done."""
    started: list[WorkerHost] = []

    def start(**extra: str) -> WorkerHost:
        host = WorkerHost(staged_app, app_settings(storage_settings, **extra))
        started.append(host)
        host.start()
        return host

    yield start
    for host in started:
        host.close()
