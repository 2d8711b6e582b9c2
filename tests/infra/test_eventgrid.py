"""Inbound claims through Event Grid: the storage account's system topic (infra/app/eventgrid.bicep, provisioned)
and its subscription (infra/app/claims-subscription.bicep, deployed by the azd postdeploy hook once the function
exists) deliver BlobCreated events under `inbound/claims/` to the function the code declares, retry, and dead-letter
what cannot be delivered into the account with the topic's own identity; no key, URL secret or connection string.

The function name comes from the decorator in function_app/entrypoints/claims.py, the path from
function_app/adapters/claims/azure.py, and the subjects are checked against the function's own parser.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

from azure.storage.blob import BlobServiceClient

from function_app.adapters.claims.azure import INBOUND
from function_app.adapters.delivery.partner_blobs import BlobPartnerFiles
from function_app.entrypoints import claims
from tests.infra.bicep import (
    ROOT,
    Template,
    body,
    dotted,
    interpolate,
    module_params,
    resources_of,
    template,
    value_of,
)

PARTNER_IDS = [
    partner["id"]
    for partner in json.loads((ROOT / "config" / "partners.json").read_text(encoding="utf-8"))["partners"]
]
SUBSCRIPTION_KIND = "Microsoft.EventGrid/systemTopics/eventSubscriptions"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
SECRET_LIKE = re.compile(r"code=|sig=|AccountKey|SharedAccess|listKeys|/runtime/webhooks/|https?://", re.IGNORECASE)


def decorated_functions(path: Path) -> dict[str, set[str]]:
    """`@<blueprint>.function_name("name")` of each function in a module -> the names of all its decorators."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.FunctionDef):
            continue
        calls = {
            decorator.func.attr: decorator.args
            for decorator in node.decorator_list
            if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
        }
        match calls.get("function_name"):
            case [ast.Constant(value=str(name))]:
                found[name] = set(calls)
    return found


def eventgrid() -> Template:
    return template("app/eventgrid.bicep")


def claims_subscription() -> Template:
    return template("app/claims-subscription.bicep")


def subscription() -> dict[str, Any]:
    (resource,) = resources_of(claims_subscription(), SUBSCRIPTION_KIND).values()
    return body(resource)


def subject(container: str, name: str) -> str:
    return f"/blobServices/default/containers/{container}/blobs/{name}"


def test_the_storage_account_publishes_through_a_system_topic_with_its_own_identity() -> None:
    tpl = eventgrid()
    (topic,) = resources_of(tpl, "Microsoft.EventGrid/systemTopics").values()
    topic = body(topic)
    assert topic["properties"]["topicType"] == "Microsoft.Storage.StorageAccounts"
    assert dotted(topic["properties"]["source"]) == "storage.id"
    assert topic["identity"] == {"type": "SystemAssigned"}
    storage = tpl["resources"]["storage"]
    assert storage["existing"] and body(storage)["name"] == "storageAccountName"
    params = module_params("eventGrid")
    assert dotted(params["storageAccountName"]) == "storage.outputs.name"
    assert params["location"] == "location"  # a system topic lives in its source's region


def test_subscription_targets_the_claims_function_the_code_declares() -> None:
    tpl, sub = claims_subscription(), subscription()
    assert sub["parent"] == "systemTopic"
    topic = tpl["resources"]["systemTopic"]
    assert topic["existing"] and body(topic)["name"] == "systemTopicName"
    assert not resources_of(eventgrid(), SUBSCRIPTION_KIND), "created after the code, not at provision"
    destination = sub["properties"]["destination"]
    assert destination["endpointType"] == "AzureFunction"
    function = value_of(tpl, "functionName")
    assert interpolate(destination["properties"]["resourceId"], {"functionName": function}) == (
        f"${{functionApp.id}}/functions/{function}"
    )
    declared = decorated_functions(Path(claims.__file__))
    assert function in declared, f"{function} is not a function name of {claims.__name__}: {sorted(declared)}"
    assert "event_grid_trigger" in declared[function]
    app = tpl["resources"]["functionApp"]
    assert app["existing"] and body(app)["name"] == "functionAppName"


def test_subscription_filters_blob_created_under_inbound_claims() -> None:
    tpl, sub = claims_subscription(), subscription()
    filters = sub["properties"]["filter"]
    assert filters["includedEventTypes"] == ["Microsoft.Storage.BlobCreated"]
    (advanced,) = filters["advancedFilters"]
    assert (advanced["operatorType"], advanced["key"]) == ("StringContains", "subject")
    (part,) = [value_of(tpl, value) for value in advanced["values"]]
    assert part == f"/blobs/{INBOUND}" == "/blobs/inbound/claims/"
    prefix = value_of(tpl, filters["subjectBeginsWith"])

    def delivered(text: str) -> bool:  # Event Grid's test, case-insensitive by default
        return text.lower().startswith(prefix.lower()) and part.lower() in text.lower()

    names = BlobPartnerFiles(BlobServiceClient("https://account.invalid"))  # no namespace, as in Azure
    for partner in PARTNER_IDS:
        container = names.container_name(partner)
        for name in (f"{INBOUND}2025-01-31.csv", f"{INBOUND}2025-01-31.csv.manifest.json"):
            uploaded = subject(container, name)
            assert delivered(uploaded), uploaded
            assert claims.upload_of(uploaded, "") == (partner, f"{INBOUND}2025-01-31.csv")
        for other in ("outbound/contracts/2025-01-31.csv", "inbound/ack/2025-01-31.ack"):
            assert not delivered(subject(container, other)), other
    assert not delivered(subject("deadletter", f"{INBOUND}x.csv"))
    assert not delivered(subject("app-package", f"{INBOUND}x.csv"))


def test_retries_for_a_day_then_dead_letters_with_the_topic_identity() -> None:
    tpl, sub = claims_subscription(), subscription()
    retry = sub["properties"]["retryPolicy"]
    assert value_of(tpl, retry["maxDeliveryAttempts"]) == 30
    assert value_of(tpl, retry["eventTimeToLiveInMinutes"]) == 24 * 60
    dead = sub["properties"]["deadLetterWithResourceIdentity"]
    assert dead["identity"] == {"type": "SystemAssigned"}
    assert dead["deadLetterDestination"]["endpointType"] == "StorageBlob"
    target = dead["deadLetterDestination"]["properties"]
    assert dotted(target["resourceId"]) == "storage.id"
    assert target["blobContainerName"] == "deadLetterContainerName"
    container = eventgrid()["resources"]["deadLetterContainer"]
    assert container["existing"] and body(container)["name"] == "deadLetterContainerName"
    params = module_params("eventGrid")
    assert dotted(params["deadLetterContainerName"]) == "storage.outputs.eventGridDeadLetterContainerName"
    storage = template("app/storage.bicep")
    assert value_of(storage, "eventGridDeadLetterContainerName") == "eventgrid-deadletter"
    assert "deadLetterDestination" not in sub["properties"], "dead letters are written with the topic's identity only"


def test_the_topic_identity_may_write_the_dead_letter_container_only() -> None:
    tpl = eventgrid()
    (assignment,) = resources_of(tpl, "Microsoft.Authorization/roleAssignments").values()
    assignment = body(assignment)
    assert assignment["scope"] == "deadLetterContainer"
    role = assignment["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
    assert value_of(tpl, role) == STORAGE_BLOB_DATA_CONTRIBUTOR
    assert dotted(assignment["properties"]["principalId"]) == "systemTopic.identity.principalId"
    assert assignment["properties"]["principalType"] == "ServicePrincipal"


def test_no_key_or_secret_url_in_the_subscription() -> None:
    """A WebHook destination would carry the function's system key in its URL: only resource ids are used."""
    sub = subscription()
    destination = sub["properties"]["destination"]
    assert set(destination["properties"]) <= {"resourceId", "maxEventsPerBatch", "preferredBatchSizeInKilobytes"}
    keys, texts = walk(sub)
    assert not keys & {"endpointUrl", "endpointBaseUrl", "accessKey", "connectionString", "sasToken"}
    assert not [text for text in texts if SECRET_LIKE.search(text)]
    endpoint_types = {destination["endpointType"]}
    endpoint_types.add(sub["properties"]["deadLetterWithResourceIdentity"]["deadLetterDestination"]["endpointType"])
    assert endpoint_types == {"AzureFunction", "StorageBlob"}


def walk(value: Any) -> tuple[set[str], set[str]]:
    """Every object key and every string value in a parsed declaration."""
    keys: set[str] = set()
    texts: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            keys.add(key)
            inner_keys, inner_texts = walk(item)
            keys |= inner_keys
            texts |= inner_texts
    elif isinstance(value, list):
        for item in value:
            inner_keys, inner_texts = walk(item)
            keys |= inner_keys
            texts |= inner_texts
    elif isinstance(value, str):
        texts.add(value)
    return keys, texts
