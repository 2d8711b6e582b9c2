"""The app as Azure starts it: the worker library indexes the staged package and loads every function.

On the main of 2026-12-04 this tier failed at the first step: `FunctionLoadError: cannot load the
contract_submissions function: binding events has invalid non-type annotation
list[azure.functions._eventhub.EventHubEvent]` (the worker accepts typing.List, not the built-in list).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.worker.conftest import StartWorker
from tests.worker.host import ROOT, WORKER_PYTHON, WorkerFailure
from tests.worker.package import AZURE_PYTHON, deployment_files

EVENT_HUBS = {"contract_submissions": "contracts", "cancellation_requests": "cancellations",
              "policy_admin_changes": "policy-admin-cdc"}
TIMERS = {"expire_held_cancellations", "schedule_nightly_files", "schedule_micro_batches",
          "record_acknowledgements", "reconcile_nightly"}
QUEUES = {"deliver_partner_file": "delivery-jobs", "process_claims_file": "claims-files"}
HTTP = {"api_contracts", "api_openapi"}  # the dealer and lender API (spec/API.md)


def bindings_of(function: Any) -> dict[str, dict[str, Any]]:
    """The raw bindings the worker reports to the host (what function.json would hold), by name."""
    raw = [json.loads(text) for text in function.raw_bindings]
    return {binding["name"]: binding for binding in raw}


def test_the_worker_indexes_and_loads_every_function(start_worker: StartWorker) -> None:
    functions = start_worker().functions
    assert set(functions) == set(EVENT_HUBS) | TIMERS | set(QUEUES) | HTTP | {"claims_file_uploaded"}
    for function in functions.values():
        assert function.language == "python"
        assert function.properties["worker_indexed"] == "True"


def test_event_hub_triggers_take_bodies_as_bytes(start_worker: StartWorker) -> None:
    """No dataType would let the host JSON-parse every body and fail a batch on one that is not JSON."""
    functions = start_worker().functions
    for name, hub in EVENT_HUBS.items():
        trigger = bindings_of(functions[name])["events"]
        assert trigger["type"] == "eventHubTrigger"
        assert (trigger["eventHubName"], trigger["consumerGroup"]) == (hub, "exchange")
        assert trigger["connection"] == "EventHubConnection"
        assert trigger["cardinality"].lower() == "many"  # the host reads it case-insensitively
        assert trigger["dataType"].lower() == "binary"
        assert functions[name].bindings["events"].data_type == 2  # BindingInfo.DataType.binary
    for name in ("contract_submissions", "cancellation_requests", "expire_held_cancellations"):
        # feedback is sent with azure-eventhub under each input's partition key, which the output binding cannot
        # set for Python (Azure/azure-functions-python-worker#654)
        assert [b for b in bindings_of(functions[name]).values() if b["direction"] == "OUT"] == []


def test_timers_and_queues_are_bound_as_the_host_needs(start_worker: StartWorker) -> None:
    functions = start_worker().functions
    for name in TIMERS:
        timer = bindings_of(functions[name])["timer"]
        assert timer["type"] == "timerTrigger"
        assert timer["useMonitor"] is True
    assert bindings_of(functions["schedule_nightly_files"])["timer"]["schedule"] == "%PARTNER_NIGHTLY_SCHEDULE%"
    for name, queue in QUEUES.items():
        trigger = bindings_of(functions[name])["message"]
        assert (trigger["type"], trigger["queueName"], trigger["connection"]) == (
            "queueTrigger", queue, "AzureWebJobsStorage")
    assert bindings_of(functions["expire_held_cancellations"])["timer"]["schedule"] == "0 */15 * * * *"
    for name, schedule in [("schedule_nightly_files", "%PARTNER_NIGHTLY_SCHEDULE%"),
                           ("schedule_micro_batches", "%PARTNER_MICRO_SCHEDULE%"),
                           ("reconcile_nightly", "%RECONCILE_SCHEDULE%")]:
        bindings = bindings_of(functions[name])
        assert bindings["timer"]["schedule"] == schedule
        if name != "reconcile_nightly":
            assert (bindings["jobs"]["type"], bindings["jobs"]["queueName"]) == ("queue", "delivery-jobs")
            assert bindings["jobs"]["connection"] == "AzureWebJobsStorage"
    assert set(bindings_of(functions["policy_admin_changes"])) == {"events"}, "the change feed answers nobody"
    grid = bindings_of(functions["claims_file_uploaded"])
    assert grid["event"]["type"] == "eventGridTrigger"
    for name, binding in [("claims_file_uploaded", "files"), ("process_claims_file", "more")]:
        output = bindings_of(functions[name])[binding]
        assert (output["type"], output["queueName"], output["connection"]) == (
            "queue", "claims-files", "AzureWebJobsStorage")


def test_event_hub_and_timer_functions_carry_their_own_retry_policy(start_worker: StartWorker) -> None:
    """Azure applies retries to these triggers only from the function's policy, which the worker reports."""
    functions = start_worker().functions
    exponential, fixed = 0, 1  # RpcRetryOptions.RetryStrategy
    for name in EVENT_HUBS:
        retry = functions[name].retry_options
        assert (retry.retry_strategy, retry.max_retry_count) == (exponential, -1)
        assert (retry.minimum_interval.seconds, retry.maximum_interval.seconds) == (5, 300)
    for name in TIMERS:
        retry = functions[name].retry_options
        assert (retry.retry_strategy, retry.max_retry_count, retry.delay_interval.seconds) == (fixed, 3, 60)
    for name in (*QUEUES, "claims_file_uploaded"):
        assert not functions[name].HasField("retry_options")  # queues: maxDequeueCount; Event Grid: its own
    assert "retry" not in json.loads((ROOT / "host.json").read_text(encoding="utf-8"))


def test_a_wrong_setting_stops_the_worker_naming_the_setting(start_worker: StartWorker) -> None:
    with pytest.raises(WorkerFailure, match=r"BUSINESS_TIMEZONE.*Mars/Olympus_Mons"):
        start_worker(BUSINESS_TIMEZONE="Mars/Olympus_Mons")


def test_a_wrong_partner_file_stops_the_worker_naming_partner_and_field(start_worker: StartWorker,
                                                                        tmp_path: Path) -> None:
    document = json.loads((ROOT / "config" / "partners.json").read_text(encoding="utf-8"))
    document["partners"][1]["feeds"][0]["pii"] = "partial"
    bad = tmp_path / "partners.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(WorkerFailure) as failure:
        start_worker(PARTNER_CONFIG_FILE=str(bad))
    assert document["partners"][1]["id"] in str(failure.value) and "pii" in str(failure.value)


def test_the_worker_runs_azures_python_with_the_pinned_packages() -> None:
    import subprocess

    probe = "import sys, importlib.metadata as m; print(sys.version.split()[0], m.version('azure-functions-runtime'))"
    version, runtime = subprocess.run([str(WORKER_PYTHON), "-c", probe], capture_output=True, text=True,
                                      check=True).stdout.split()
    assert version.startswith(AZURE_PYTHON + ".")
    pins = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert f"azure-functions-runtime=={runtime} " in pins
    bicep = (ROOT / "infra" / "app" / "functions.bicep").read_text(encoding="utf-8")
    assert "var pythonVersion = trim(loadTextContent('../../azure-python-version'))" in bicep
    assert "AZURE_PYTHON=$(tr -d '[:space:]' < azure-python-version)" in (ROOT / "dev").read_text(encoding="utf-8")
    assert sys.version_info >= (3, 11)


def test_the_package_holds_the_app_and_nothing_for_development() -> None:
    files = {path.as_posix() for path in deployment_files()}
    for needed in ("function_app.py", "host.json", "requirements.txt", "config/partners.json",
                   "function_app/__init__.py", "function_app/bootstrap.py"):
        assert needed in files
    for path in files:
        assert not path.startswith(("tests/", "bench/", "infra/", "docs/", "tools/", ".venv", "node_modules/",
                                    ".worker"))
        assert path not in {"local.settings.example.json", "local.settings.json", "dev", "azure.yaml",
                            "pyproject.toml", "package.json", "package-lock.json", "README.md"}
