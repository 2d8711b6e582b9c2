"""The Bicep deployment read without Azure: it parses, and it deploys what the code needs and nothing that holds a key.

App settings are compared with what function_app/ reads (tests/infra/code_settings.py), partners and feeds with
config/partners.json, hubs with the emulator's infra/local/Config.json, metric names with function_app/telemetry.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient

from function_app import telemetry
from function_app.adapters.delivery.partner_blobs import BlobPartnerFiles
from function_app.config import DEFAULT_API_CALLERS, load_settings
from function_app.domain.kernel.feedback import ReasonCode
from function_app.entrypoints import claims, delivery, realtime
from tests.infra.bicep import (
    INFRA,
    ROOT,
    Template,
    bicep_files,
    body,
    dotted,
    expand,
    indexed,
    interpolate,
    loop_over,
    looped_array,
    module_params,
    resources_of,
    setting_value,
    template,
    value_of,
)
from tests.infra.code_settings import names_with_prefix, scan
from tests.infra.test_eventgrid import decorated_functions
from tests.worker.package import AZURE_PYTHON, PYTHON_VERSION_FILE

PARTNERS = json.loads((ROOT / "config" / "partners.json").read_text(encoding="utf-8"))["partners"]
PARTNER_IDS = [partner["id"] for partner in PARTNERS]
LOCAL_SETTINGS = json.loads((ROOT / "local.settings.example.json").read_text(encoding="utf-8"))["Values"]

# Read by the code, deliberately not set in Azure.
NOT_IN_AZURE = {
    "STORAGE_NAMESPACE": "test isolation only",
    "PRODUCT_CATALOGUE_FILE": "optional refund catalogue override; Azure runs the built-in catalogue",
    "API_CALLERS": "optional path of the API's caller map; Azure reads the packaged config/api_callers.json",
    "WEBSITE_INSTANCE_ID": "set by App Service itself on every instance: how the app knows it runs in Azure",
}
# Identity-based connection settings the host (and config.py) read, by connection kind.
STORAGE_FORMS = [
    {"__blobServiceUri", "__queueServiceUri", "__tableServiceUri", "__credential", "__clientId"},
    {"__accountName", "__credential", "__clientId"},
]
EVENTHUB_FORM = {"__fullyQualifiedNamespace", "__credential", "__clientId"}
KEY_LIKE = re.compile(
    r"AccountKey=|SharedAccessKey|SharedAccessSignature|sig=|DefaultEndpointsProtocol|InstrumentationKey="
    r"|listKeys\(|listConnectionStrings\(|[A-Za-z0-9+/]{80,}==|[?&]code=|/runtime/webhooks/",
    re.IGNORECASE,
)


def app_settings() -> dict[str, Any]:
    functions = template("app/functions.bicep")
    (site,) = resources_of(functions, "Microsoft.Web/sites").values()
    entries = body(site)["properties"]["siteConfig"]["appSettings"]
    names = [entry["name"] for entry in entries]
    assert len(names) == len(set(names)), "an app setting is listed twice"
    return {entry["name"]: entry["value"] for entry in entries}


def the_resource(tpl: Template, kind: str) -> dict[str, Any]:
    (resource,) = resources_of(tpl, kind).values()
    return body(resource)


@pytest.mark.parametrize("path", bicep_files(), ids=lambda path: str(path.relative_to(INFRA)))
def test_every_template_parses(path: Path) -> None:
    assert template(str(path.relative_to(INFRA)))


def test_main_deploys_every_module_into_the_resource_group() -> None:
    main = template("main.bicep")
    assert main["globals"]["scope"]["value"] == "subscription"
    used = {module["detail"]["path"] for module in main["modules"].values()}
    on_disk = {str(path.relative_to(INFRA)) for path in (INFRA / "app").glob("*.bicep")}
    # deployed after the code by the azd postdeploy hook (tests/infra/test_postdeploy_hook.py), never at provision
    after_deploy = {"app/claims-subscription.bicep"}
    assert used == on_disk - after_deploy
    assert {body(module)["scope"] for module in main["modules"].values()} == {"rg"}


def test_app_settings_are_exactly_what_the_code_reads() -> None:
    code = scan(ROOT / "function_app")
    settings = set(app_settings())
    assert set(NOT_IN_AZURE) <= code.read, "an exemption names a setting the code no longer reads"
    assert not settings & set(NOT_IN_AZURE)
    assert not settings & set(code.connections), "a bare connection setting would hold a connection string"

    of_connections = {name for connection in code.connections for name in names_with_prefix(code.read, connection)}
    expected = code.read - of_connections - set(NOT_IN_AZURE) - set(code.connections)
    for connection, kind in code.connections.items():
        configured = {name.removeprefix(connection) for name in names_with_prefix(settings, connection)}
        forms = STORAGE_FORMS if kind == "storage" else [EVENTHUB_FORM]
        assert configured in forms, f"{connection}: {sorted(configured)} is not an identity-based connection"
        known = set().union(*forms)
        read = {name.removeprefix(connection) for name in names_with_prefix(code.read, connection)}
        assert read <= known, f"the code reads {connection} settings the template does not know: {read - known}"
        expected |= {connection + suffix for suffix in configured}
    if code.default_credential:
        expected.add("AZURE_CLIENT_ID")  # DefaultAzureCredential picks a user-assigned identity by it
    if code.azure_monitor:
        expected.add("APPLICATIONINSIGHTS_AUTHENTICATION_STRING")  # App Insights takes Entra ID ingestion only
    assert settings == expected


def test_the_scan_finds_every_setting_the_readme_documents() -> None:
    code = scan(ROOT / "function_app")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([A-Za-z_]+)`", table, re.MULTILINE)
    assert documented
    missed = [name for name in documented if name not in code.read and name.split("__")[0] not in code.connections]
    assert not missed


def test_plain_settings_match_the_local_example() -> None:
    functions, settings = template("app/functions.bicep"), app_settings()
    values = {name: setting_value(functions, expr) for name, expr in settings.items() if "__" not in name}
    for name in values.keys() & LOCAL_SETTINGS.keys():
        assert values[name] == LOCAL_SETTINGS[name], name
    assert values["PARTNER_NIGHTLY_SCHEDULE"] == "0 0 8 * * *"
    assert values["PARTNER_MICRO_SCHEDULE"] == "0 * * * * *"
    assert values["BUSINESS_TIMEZONE"] == "America/Chicago"
    assert values["PARTNER_CONFIG_FILE"] == "config/partners.json"
    overridden = module_params("functions").keys()
    assert not {"partnerNightlySchedule", "partnerMicroSchedule", "businessTimezone"} & overridden


def test_every_connection_uses_the_user_assigned_identity() -> None:
    settings = app_settings()
    for name, value in settings.items():
        if name.endswith("__credential"):
            assert value == "managedidentity", name
        if name.endswith("__clientId"):
            assert value == "identityClientId", name
    assert settings["AZURE_CLIENT_ID"] == "identityClientId"
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "Authorization=AAD;ClientId=${identityClientId}"
    assert dotted(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]) == "appInsights.properties.ConnectionString"
    functions = template("app/functions.bicep")
    assert functions["resources"]["appInsights"]["existing"], "the connection property is read, never written"
    params = module_params("functions")
    assert dotted(params["identityClientId"]) == "identity.outputs.clientId"
    assert dotted(params["identityId"]) == "identity.outputs.id"


def test_flex_consumption_python_app_runs_as_the_identity() -> None:
    functions = template("app/functions.bicep")
    plan = the_resource(functions, "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    site = the_resource(functions, "Microsoft.Web/sites")
    assert site["kind"] == "functionapp,linux"
    assert site["identity"]["type"] == "UserAssigned"
    assert site["properties"]["httpsOnly"] is True
    config = site["properties"]["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "pythonVersion"}
    assert python_version(functions) == AZURE_PYTHON
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"] == {"type": "UserAssignedIdentity", "userAssignedIdentityResourceId": "identityId"}
    assert site["tags"]["function"]["parameters"]["arg_2"] == {"'azd-service-name'": "api"}
    policies = resources_of(functions, "Microsoft.Web/sites/basicPublishingCredentialsPolicies").values()
    assert {body(policy)["name"]: body(policy)["properties"]["allow"] for policy in policies} == {
        "ftp": False,
        "scm": False,
    }


def test_local_auth_is_off_everywhere() -> None:
    namespace = the_resource(template("app/eventhubs.bicep"), "Microsoft.EventHub/namespaces")
    assert namespace["properties"]["disableLocalAuth"] is True
    monitoring = template("app/monitoring.bicep")
    assert the_resource(monitoring, "Microsoft.Insights/components")["properties"]["DisableLocalAuth"] is True
    workspace = the_resource(monitoring, "Microsoft.OperationalInsights/workspaces")
    assert workspace["properties"]["features"]["disableLocalAuth"] is True
    account = the_resource(template("app/storage.bicep"), "Microsoft.Storage/storageAccounts")["properties"]
    assert account["allowSharedKeyAccess"] is False


def test_storage_account_is_locked_down_and_serves_sftp() -> None:
    account = the_resource(template("app/storage.bicep"), "Microsoft.Storage/storageAccounts")
    assert account["kind"] == "StorageV2"
    properties = account["properties"]
    assert properties["allowBlobPublicAccess"] is False
    assert properties["minimumTlsVersion"] == "TLS1_2"
    assert properties["supportsHttpsTrafficOnly"] is True
    assert properties["isHnsEnabled"] is True
    assert properties["isSftpEnabled"] is True
    assert properties["isLocalUserEnabled"] is True


def test_no_key_sas_or_connection_string_anywhere_in_infra() -> None:
    files = [path for path in INFRA.rglob("*") if path.is_file()] + [ROOT / "azure.yaml"]
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if KEY_LIKE.search(line)
    ]
    assert not found


def test_partner_ids_follow_config_partners_json() -> None:
    assert value_of(template("main.bicep"), "partnerIds") == PARTNER_IDS
    assert module_params("storage")["partnerIds"] == "partnerIds"
    feeds = [(partner["id"], feed) for partner in PARTNERS for feed in partner["feeds"]]
    daily = [f"{partner}/{feed['name']}" for partner, feed in feeds if feed["sla"] == "P1D"]
    assert value_of(template("main.bicep"), "nightlyFeeds") == daily
    assert module_params("alerts")["nightlyFeeds"] == "nightlyFeeds"


def test_one_container_and_one_sftp_user_per_partner() -> None:
    storage = template("app/storage.bicep")
    names = BlobPartnerFiles(BlobServiceClient("https://account.invalid"))
    (containers,) = (
        res
        for res in resources_of(storage, "Microsoft.Storage/storageAccounts/blobServices/containers").values()
        if loop_over(res)
    )
    assert loop_over(containers) == ("id", "partnerIds")
    assert expand(containers, PARTNER_IDS) == [names.container_name(partner) for partner in PARTNER_IDS]

    (users,) = resources_of(storage, "Microsoft.Storage/storageAccounts/localUsers").values()
    assert loop_over(users) == ("id", "partnerIds")
    user = body(users)
    assert user["name"]["function"] == {
        "type": "replace",
        "parameters": {"original_string": "id", "old_string": "-", "new_string": ""},
    }
    logins = [partner.replace("-", "") for partner in PARTNER_IDS]
    assert len(set(logins)) == len(logins) and all(re.fullmatch(r"[a-z0-9]{3,64}", login) for login in logins)
    homes = expand(users, PARTNER_IDS, "properties.homeDirectory")
    assert homes == [names.container_name(partner) for partner in PARTNER_IDS]
    (scope,) = user["properties"]["permissionScopes"]
    assert scope["resourceName"] == user["properties"]["homeDirectory"]  # the partner's own container, nothing else
    assert (scope["service"], scope["permissions"]) == ("blob", "rcl")  # read, create, list: no overwrite or delete
    assert user["properties"]["hasSshPassword"] is False and user["properties"]["hasSharedKey"] is False


def test_containers_tables_and_queues_are_the_ones_the_code_uses() -> None:
    storage, settings = template("app/storage.bicep"), load_settings({})
    single = {
        body(res)["name"]
        for res in resources_of(storage, "Microsoft.Storage/storageAccounts/blobServices/containers").values()
        if not loop_over(res)
    }
    assert single == {
        "deadLetterContainerName",
        "reportsContainerName",
        "eventGridDeadLetterContainerName",
        "deploymentContainerName",
    }
    assert value_of(storage, "deadLetterContainerName") == settings.dead_letter_container
    assert value_of(storage, "reportsContainerName") == settings.reports_container
    # Event Grid's own dead letters (tests/infra/test_eventgrid.py) stay apart from the app's.
    assert value_of(storage, "eventGridDeadLetterContainerName") == "eventgrid-deadletter"
    assert module_params("storage")["deploymentContainerName"] == "deploymentContainerName"
    assert dotted(module_params("functions")["deploymentContainerName"]) == "storage.outputs.deploymentContainerName"
    tables = resources_of(storage, "Microsoft.Storage/storageAccounts/tableServices/tables")
    (table_loop,) = tables.values()
    assert value_of(storage, looped_array(table_loop)) == [
        settings.contracts_table,
        settings.journal_table,
        settings.deliveries_table,
        settings.breaks_table,
        settings.claims_table,
        settings.claim_files_table,
        settings.in_flight_table,
    ]
    (queue_loop,) = resources_of(storage, "Microsoft.Storage/storageAccounts/queueServices/queues").values()
    assert value_of(storage, looped_array(queue_loop)) == [
        delivery.JOBS_QUEUE,
        f"{delivery.JOBS_QUEUE}-poison",
        claims.FILES_QUEUE,
        f"{claims.FILES_QUEUE}-poison",
    ]


def test_hubs_and_consumer_groups_match_the_code_and_the_emulator() -> None:
    eventhubs = template("app/eventhubs.bicep")
    inputs = value_of(eventhubs, "inputHubs")
    feedback = value_of(eventhubs, "feedbackHub")
    hubs = {hub["name"]: hub["partitions"] for hub in [*inputs, feedback]}
    assert set(hubs) == {"contracts", "cancellations", "policy-admin-cdc", "dealer-feedback"}
    emulator = json.loads((INFRA / "local" / "Config.json").read_text(encoding="utf-8"))
    entities = emulator["UserConfig"]["NamespaceConfig"][0]["Entities"]
    assert hubs == {entity["Name"]: entity["PartitionCount"] for entity in entities}

    groups = resources_of(eventhubs, "Microsoft.EventHub/namespaces/eventhubs/consumergroups")
    (group,) = groups.values()
    assert loop_over(group) == ("hub", "inputHubs")
    assert indexed(body(group)["parent"]) == ("inputs", "i")
    assert loop_over(eventhubs["resources"]["inputs"]) == ("hub", "inputHubs")
    assert value_of(eventhubs, body(group)["name"]) == realtime.CONSUMER_GROUP
    assert feedback["name"] == realtime.FEEDBACK_HUB
    triggered = {"contracts", "cancellations"}  # the hubs of realtime.py's triggers
    assert triggered <= {hub["name"] for hub in inputs}


def test_every_role_assignment_goes_to_the_identity_as_a_service_principal() -> None:
    """The app's identity gets its roles in roles.bicep; the one other principal is the Event Grid system topic's
    own identity, which writes its dead letters (eventgrid.bicep, checked in test_eventgrid.py)."""
    kind = "Microsoft.Authorization/roleAssignments"
    principals = {"roles.bicep": "principalId", "eventgrid.bicep": "systemTopic.identity.principalId"}
    assignments = [
        (path, name, body(res))
        for path in bicep_files()
        for name, res in resources_of(template(str(path.relative_to(INFRA))), kind).items()
    ]
    assert assignments
    for path, name, assignment in assignments:
        assert path.name in principals, f"{name}: role assignments belong in roles.bicep"
        assert dotted(assignment["properties"]["principalId"]) == principals[path.name], name
        assert assignment["properties"]["principalType"] == "ServicePrincipal", name
        assert "scope" in assignment, f"{name} must name the resource it is scoped to"
    assert dotted(module_params("roles")["principalId"]) == "identity.outputs.principalId"


def test_roles_are_the_needed_ones_on_the_narrowest_scopes() -> None:
    roles = template("app/roles.bicep")
    granted = {}
    for res in resources_of(roles, "Microsoft.Authorization/roleAssignments").values():
        assignment = body(res)
        definition = assignment["properties"]["roleDefinitionId"]
        role = definition if isinstance(definition, str) else definition["function"]["parameters"]["resource_name_1"]
        scope = indexed(assignment["scope"])
        granted[role] = scope[0] if scope else assignment["scope"]
    assert granted == {
        "storageBlobDataOwner": "storage",
        "storageQueueDataContributor": "storage",
        "storageTableDataContributor": "storage",
        "sealWriterRoleId": "evidence",
        "eventHubsDataReceiver": "inputHubs",
        "eventHubsDataSender": "feedbackHub",
        "monitoringMetricsPublisher": "appInsights",
    }
    assert loop_over(roles["resources"]["inputHubs"]) == ("hub", "inputHubNames")
    assert dotted(module_params("roles")["sealWriterRoleId"]) == "evidence.outputs.sealWriterRoleId"
    assert dotted(module_params("roles")["evidenceAccountName"]) == "evidence.outputs.name"
    assert dotted(module_params("roles")["inputHubNames"]) == "eventHubs.outputs.inputHubNames"
    assert dotted(module_params("roles")["feedbackHubName"]) == "eventHubs.outputs.feedbackHubName"
    assert value_of(roles, "storageBlobDataOwner") == "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
    assert value_of(roles, "eventHubsDataReceiver") == "a638d3c7-ab3a-418d-83e6-5f17a39d4fde"
    assert value_of(roles, "eventHubsDataSender") == "2b629674-e913-4c01-ae53-ef4638d8f975"
    assert value_of(roles, "monitoringMetricsPublisher") == "3913510d-42f4-4e42-8a64-420c390055eb"


def test_the_seals_live_in_an_immutable_versioned_container_the_app_may_only_read_and_create_in() -> None:
    evidence, settings = template("app/evidence.bicep"), load_settings({})
    account = the_resource(evidence, "Microsoft.Storage/storageAccounts")["properties"]
    assert account["allowSharedKeyAccess"] is False and account["allowBlobPublicAccess"] is False
    assert account["isHnsEnabled"] is False  # version-level immutability needs versioning, which HNS excludes
    assert the_resource(evidence, "Microsoft.Storage/storageAccounts/blobServices")["properties"][
        "isVersioningEnabled"] is True
    container = the_resource(evidence, "Microsoft.Storage/storageAccounts/blobServices/containers")
    assert value_of(evidence, container["name"]) == settings.evidence_container
    assert container["properties"]["immutableStorageWithVersioning"] == {"enabled": True}
    policy = the_resource(evidence, "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies")
    assert policy["parent"] == "evidenceContainer" and policy["name"] == "default"
    assert value_of(evidence, policy["properties"]["immutabilityPeriodSinceCreationInDays"]) == 2555
    assert policy["properties"]["allowProtectedAppendWrites"] is False
    assert value_of(template("main.bicep"), "evidenceRetentionDays") == 2555
    assert module_params("evidence")["retentionDays"] == "evidenceRetentionDays"
    (role,) = resources_of(evidence, "Microsoft.Authorization/roleDefinitions").values()
    (permissions,) = body(role)["properties"]["permissions"]
    assert permissions["actions"] == [] and sorted(permissions["dataActions"]) == [
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    ]  # create, never overwrite (`blobs/write`) or delete
    assert dotted(module_params("functions")["evidenceBlobEndpoint"]) == "evidence.outputs.blobEndpoint"
    assert app_settings()["EVIDENCE_BLOB_SERVICE_URI"] == "evidenceBlobEndpoint"


def test_alert_rules_cover_the_seven_conditions() -> None:
    alerts = template("app/alerts.bicep")
    rules = {name: body(res) for name, res in resources_of(alerts, "Microsoft.Insights/scheduledQueryRules").items()}
    criteria = {name: rule["properties"]["criteria"]["allOf"] for name, rule in rules.items()}
    assert all(len(conditions) == 1 for conditions in criteria.values())
    queries = {name: str(value_of(alerts, conditions[0]["query"])) for name, conditions in criteria.items()}
    reconciliation = getattr(telemetry, "RECONCILIATION_BREAKS", "fni.reconciliation.breaks")
    assert f"'{telemetry.DEAD_LETTERS}'" in queries["deadLettersAlert"]
    assert "'delivery-jobs-poison'" in queries["poisonAlert"]
    assert f"'{reconciliation}'" in queries["reconciliationAlert"]
    assert f"'{telemetry.LAG}'" in queries["lagAlert"]
    assert criteria["lagAlert"][0]["threshold"] == "lagSlaSeconds"
    assert "missingNightlyQuery" in queries["missingNightlyAlert"]
    assert f"'{telemetry.FILES_DELIVERED}'" in str(value_of(alerts, "missingNightlyQuery"))
    assert f"'{telemetry.EVENTS}'" in queries["truncateAlert"]
    assert f"'{ReasonCode.TABLE_TRUNCATED.value}'" in queries["truncateAlert"]
    assert f"'{telemetry.BLOBS_TAKEN}'" in queries["blobTakenAlert"]
    assert len(rules) == 7
    for name, rule in rules.items():
        assert [dotted(group) for group in rule["properties"]["actions"]["actionGroups"]] == ["actionGroup.id"], name
        assert dotted(rule["properties"]["scopes"][0]) == "appInsights.id", name


def test_azure_yaml_deploys_the_root_as_a_python_function_app() -> None:
    lines = (ROOT / "azure.yaml").read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    assert re.search(r"^name: \S+", text, re.MULTILINE)
    service = re.search(r"^services:\n  api:\n((?:    .*\n?)+)", text, re.MULTILINE)
    assert service, "services.api is missing"
    fields = dict(line.strip().split(": ", 1) for line in service.group(1).splitlines())
    assert fields == {"project": ".", "language": "python", "host": "function"}


def test_parameters_file_is_azd_style() -> None:
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert parameters["environmentName"] == {"value": "${AZURE_ENV_NAME}"}
    assert parameters["location"] == {"value": "${AZURE_LOCATION}"}
    declared = template("main.bicep")["parameters"]
    assert set(parameters) <= set(declared)


def python_version(functions: Template) -> str:
    """`trim(loadTextContent('<file>'))`, evaluated: the file read relative to the template, as Bicep reads it."""
    expr = value_of(functions, "pythonVersion")["function"]
    assert expr["type"] == "trim"
    load = expr["parameters"]["string_to_trim"]["function"]
    assert load["type"] == "load_text_content"
    source = (INFRA / "app" / Path(load["parameters"]["file_path"])).resolve()
    assert source == PYTHON_VERSION_FILE, "Bicep, ./dev and the worker tier read one file"
    return source.read_text(encoding="utf-8").strip()


def test_the_python_version_file_stays_out_of_the_package() -> None:
    from tests.worker.package import deployment_files

    assert PYTHON_VERSION_FILE.is_file()
    assert PYTHON_VERSION_FILE.relative_to(ROOT) not in set(deployment_files())


def test_dealer_facing_functions_have_always_ready_instances() -> None:
    """Flex Consumption `alwaysReady` entries named `function:<name>` (Microsoft Learn, "Azure Functions Flex
    Consumption plan hosting", always ready instances), one instance each by default, for the two functions the
    60-second lag alert watches."""
    functions = template("app/functions.bicep")
    site = the_resource(functions, "Microsoft.Web/sites")
    ready = site["properties"]["functionAppConfig"]["scaleAndConcurrency"]["alwaysReady"]
    item, array = ready["loop_type"]["detail"]["item_name"], ready["loop_type"]["detail"]["array_name"]
    names = [interpolate(ready["config"]["name"], {item: name}) for name in value_of(functions, array)]
    assert names == ["function:contract_submissions", "function:cancellation_requests"]
    assert ready["config"]["instanceCount"] == "alwaysReadyInstances"
    assert value_of(functions, "alwaysReadyInstances") == 1
    assert value_of(template("main.bicep"), "alwaysReadyInstances") == 1
    assert module_params("functions")["alwaysReadyInstances"] == "alwaysReadyInstances"
    declared = decorated_functions(Path(realtime.__file__))
    for name in value_of(functions, array):
        assert "event_hub_message_trigger" in declared.get(name, set()), f"{name} is no Event Hub function"


def test_azure_yaml_requires_an_azd_that_honours_funcignore() -> None:
    """azd packages with .funcignore's rules from 1.18.0 (its CHANGELOG, #5383); an older azd would ship tests/."""
    text = (ROOT / "azure.yaml").read_text(encoding="utf-8")
    found = re.search(r'^requiredVersions:\n  azd: "?>= ?(\d+)\.(\d+)\.(\d+)"?$', text, re.MULTILINE)
    assert found, "azure.yaml: requiredVersions.azd is missing"
    assert tuple(int(part) for part in found.groups()) >= (1, 18, 0)


def test_the_worker_exports_the_apps_telemetry_so_the_host_does_not_repeat_its_logs() -> None:
    """Microsoft Learn, "Use OpenTelemetry with Azure Functions": PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true lets
    the Python worker stream its telemetry directly, which prevents duplicate host-level entries; telemetry.py then
    leaves the configuration to the worker (tests/unit/test_telemetry.py)."""
    functions = template("app/functions.bicep")
    assert setting_value(functions, app_settings()["PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"]) == "true"
    assert json.loads((ROOT / "host.json").read_text(encoding="utf-8"))["telemetryMode"] == "OpenTelemetry"


def test_app_service_authentication_answers_every_unauthenticated_request_with_401() -> None:
    """Easy Auth (authsettingsV2) in front of the HTTP functions: an Entra ID token for the API's own registration,
    issued to one of the caller map's applications, on every path; a caller is an application, so 401, no redirect."""
    functions = template("app/functions.bicep")
    auth = the_resource(functions, "Microsoft.Web/sites/config")
    assert (auth["parent"], auth["name"]) == ("app", "authsettingsV2")
    settings = auth["properties"]
    assert settings["platform"] == {"enabled": True}
    assert settings["globalValidation"] == {
        "requireAuthentication": True, "unauthenticatedClientAction": "Return401", "excludedPaths": []}
    assert settings["httpSettings"]["requireHttps"] is True
    assert settings["login"]["tokenStore"] == {"enabled": False}
    providers = settings["identityProviders"]
    assert set(providers) == {"azureActiveDirectory"}
    entra = providers["azureActiveDirectory"]
    assert entra["enabled"] is True
    assert entra["registration"]["clientId"] == "apiClientId"
    assert entra["registration"]["openIdIssuer"] == "https://login.microsoftonline.com/${apiTenantId}/v2.0"
    assert "clientSecretSettingName" not in entra["registration"]  # validates tokens only, signs nobody in
    audiences = value_of(functions, entra["validation"]["allowedAudiences"])
    assert audiences[0] == "apiClientId"  # v2 tokens: the client id; v1 tokens: the Application ID URI
    assert audiences[1]["operator"]["operands"]["false_value"] == "apiApplicationIdUri"
    assert audiences[1]["operator"]["operands"]["true_value"] == "api://${apiClientId}"
    policy = entra["validation"]["defaultAuthorizationPolicy"]
    assert policy == {"allowedApplications": "apiCallerClientIds"}
    # the allowed applications are the caller map's client ids, read from the very file the app is told to load
    keys = value_of(functions, "apiCallerClientIds")
    assert keys["loop_type"]["detail"] == {
        "item_name": "caller", "array_name": {"function": {"type": "items", "parameters": {"arg_1": "apiCallers"}}}}
    assert dotted(keys["config"]) == "caller.key"
    loaded = value_of(functions, "apiCallers")["function"]
    assert loaded["type"] == "load_json_content"
    callers_file = (INFRA / "app" / loaded["parameters"]["file_path"]).resolve()
    assert "API_CALLERS" not in app_settings()
    assert callers_file == DEFAULT_API_CALLERS  # the one the app loads when API_CALLERS is not set, as in Azure
    callers = json.loads(callers_file.read_text(encoding="utf-8"))
    assert callers and set(callers) == set(load_settings({"API_CALLERS": str(callers_file)}).api_callers)
    # an empty allowedApplications would check nothing; the caller map is never empty (above)
    params = module_params("functions")
    assert params["apiClientId"] == "apiClientId"
    deploy = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert deploy["apiClientId"] == {"value": "${API_CLIENT_ID}"}
