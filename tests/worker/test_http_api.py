"""The HTTP functions invoked through the worker with requests encoded as the host encodes them (http_trigger.py)."""

from __future__ import annotations

from tests.worker.conftest import StartWorker
from tests.worker.test_http_encoding import RUNTIME


def test_the_worker_declares_the_capabilities_the_http_encoding_follows(start_worker: StartWorker) -> None:
    """The host shapes RpcHttp by these (http_trigger.py [rpchttp]); a worker upgrade that changes them shows here."""
    capabilities = start_worker().capabilities
    assert {k: v for k, v in capabilities.items() if k != "WorkerOpenTelemetryEnabled"} == RUNTIME
