"""Indexes the app exactly as the Python worker does, and holds every binding to what the host needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EVENT_HUB_CONNECTION = "EventHubConnection"


WORKER_LIKE_INDEXING = """
import importlib, json, os, sys
import azure.functions as func
root = sys.argv[1]
script = os.path.join(root, "function_app.py")  # PYTHON_SCRIPT_FILE_NAME's default
if not os.path.exists(script):
    sys.exit("the worker refuses to index without " + script)
sys.path.insert(0, root)
module = importlib.import_module("function_app")
apps = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
if len(apps) != 1:
    sys.exit(f"the worker fails with {len(apps)} FunctionApp instances")
functions = {
    f.get_function_name(): {b["name"]: b for b in json.loads(f.get_function_json())["bindings"]}
    for f in apps[0].get_functions()
}
print(json.dumps({"module_file": module.__file__, "functions": functions}))
"""


def index_like_the_worker() -> dict[str, Any]:
    """A fresh interpreter, as the worker has: file-exists check, import by module name, one FunctionApp."""
    result = subprocess.run(
        [sys.executable, "-c", WORKER_LIKE_INDEXING, str(ROOT)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    indexed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return indexed


def test_every_function_is_indexed_with_its_trigger_and_bindings() -> None:
    functions = index_like_the_worker()["functions"]
    assert set(functions) == {
        "contract_submissions", "cancellation_requests", "expire_held_cancellations",
        "schedule_nightly_files", "schedule_micro_batches", "deliver_partner_file", "record_acknowledgements",
        "policy_admin_changes", "reconcile_nightly", "claims_file_uploaded", "process_claims_file",
    }
    for name, hub in [("contract_submissions", "contracts"), ("cancellation_requests", "cancellations")]:
        trigger = functions[name]["events"]
        assert trigger["type"] == "eventHubTrigger"
        assert trigger["eventHubName"] == hub
        assert trigger["connection"] == EVENT_HUB_CONNECTION
        assert trigger["cardinality"].lower() == "many"
        assert trigger["consumerGroup"] == "exchange"
        output = functions[name]["feedback"]
        assert (output["type"], output["direction"]) == ("eventHub", "OUT")
        assert (output["eventHubName"], output["connection"]) == ("dealer-feedback", EVENT_HUB_CONNECTION)
    assert functions["claims_file_uploaded"]["event"]["type"] == "eventGridTrigger"
    for name, binding in [("claims_file_uploaded", "files"), ("process_claims_file", "message"),
                          ("process_claims_file", "more")]:
        assert (functions[name][binding]["queueName"], functions[name][binding]["connection"]) == (
            "claims-files", "AzureWebJobsStorage")
    changes = functions["policy_admin_changes"]
    assert list(changes) == ["events"], "the change feed answers nobody: no output binding"
    assert (changes["events"]["eventHubName"], changes["events"]["connection"]) == ("policy-admin-cdc",
                                                                                    EVENT_HUB_CONNECTION)
    assert changes["events"]["cardinality"].lower() == "many"
    timer = functions["expire_held_cancellations"]
    assert timer["timer"]["type"] == "timerTrigger"
    assert timer["timer"]["schedule"] == "0 */15 * * * *"
    assert timer["feedback"]["eventHubName"] == "dealer-feedback"
    for name, schedule in [("schedule_nightly_files", "%PARTNER_NIGHTLY_SCHEDULE%"),
                           ("schedule_micro_batches", "%PARTNER_MICRO_SCHEDULE%")]:
        bindings = functions[name]
        assert (bindings["timer"]["type"], bindings["timer"]["schedule"]) == ("timerTrigger", schedule)
        assert (bindings["jobs"]["type"], bindings["jobs"]["queueName"]) == ("queue", "delivery-jobs")
        assert bindings["jobs"]["connection"] == "AzureWebJobsStorage"
    worker = functions["deliver_partner_file"]["message"]
    assert (worker["type"], worker["queueName"], worker["connection"]) == ("queueTrigger", "delivery-jobs",
                                                                           "AzureWebJobsStorage")


def test_the_module_name_resolves_to_the_package() -> None:
    module_file = index_like_the_worker()["module_file"]
    assert Path(module_file) == ROOT / "function_app" / "__init__.py"


def test_indexing_does_not_load_storage_clients_or_the_services() -> None:
    """Cold start: the SDK clients and the services load on the first invocation, not at indexing."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import function_app; "
        "heavy = [m for m in ('azure.data.tables', 'azure.storage.blob', 'azure.identity', 'pydantic', "
        "'function_app.service_layer.realtime') if m in sys.modules]; print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_a_wrong_setting_stops_indexing_with_its_name() -> None:
    env = {"PATH": "/usr/bin:/bin", "BUSINESS_TIMEZONE": "Mars/Olympus_Mons"}
    result = subprocess.run(
        [sys.executable, "-c", WORKER_LIKE_INDEXING, str(ROOT)], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert result.returncode != 0
    assert "BUSINESS_TIMEZONE" in result.stderr and "Mars/Olympus_Mons" in result.stderr


def test_a_wrong_partner_file_stops_indexing_naming_partner_and_field(tmp_path: Path) -> None:
    document = json.loads((ROOT / "config" / "partners.json").read_text())
    document["partners"][1]["feeds"][0]["pii"] = "partial"
    bad = tmp_path / "partners.json"
    bad.write_text(json.dumps(document))
    env = {"PATH": "/usr/bin:/bin", "PARTNER_CONFIG_FILE": str(bad)}
    result = subprocess.run(
        [sys.executable, "-c", WORKER_LIKE_INDEXING, str(ROOT)], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert result.returncode != 0
    assert document["partners"][1]["id"] in result.stderr and "pii" in result.stderr
