"""The HTTP functions invoked through the worker with requests encoded as the host encodes them (http_trigger.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.events import body, cancellation, contract
from tests.worker.conftest import StartWorker
from tests.worker.encoding import EventHubMessage
from tests.worker.host import WorkerHost
from tests.worker.http_trigger import (
    EasyAuthPrincipal,
    HttpCall,
    HttpResult,
    application_principal,
    call_http,
    http_binding,
)
from tests.worker.test_event_hubs import deliver
from tests.worker.test_http_encoding import RUNTIME


def test_the_worker_declares_the_capabilities_the_http_encoding_follows(start_worker: StartWorker) -> None:
    """The host shapes RpcHttp by these (http_trigger.py [rpchttp]); a worker upgrade that changes them shows here."""
    capabilities = start_worker().capabilities
    assert {k: v for k, v in capabilities.items() if k != "WorkerOpenTelemetryEnabled"} == RUNTIME


# -- the API (spec/API.md) through the worker, on Azurite ---------------------------------------------------------

NUMBER = "WKR-API-0001"
DEALER, OTHER_DEALER = "dev-dealer-d10442", "dev-dealer-d20881"  # config/api_callers.json, deployed with the app
QUOTE: dict[str, Any] = {"cancel_date": "2026-03-02", "odometer": 30_500, "reason": "CUSTOMER_REQUEST"}
PROBLEM = "application/problem+json"
IN_AZURE = {"WEBSITE_INSTANCE_ID": "8f3c5e1a0b2d4c6e9a7b1c3d5e7f9a0b"}  # set by App Service on every instance


def submit(host: WorkerHost, *numbers: str) -> None:
    """The contracts arrive as they would in Azure: through the worker's Event Hub function."""
    answers = deliver(host, "contract_submissions", "contracts",
                      [EventHubMessage(body(contract(n)), partition_key="D10442") for n in numbers])
    assert [a["data"]["status"] for a in answers] == ["ACCEPTED"] * len(numbers)


def get(path: str, principal: EasyAuthPrincipal | None = None, headers: Sequence[tuple[str, str]] = ()) -> HttpCall:
    return HttpCall("GET", path, headers=[("Accept", "application/json"), *headers], principal=principal)


def post(path: str, value: object, principal: EasyAuthPrincipal | None = None) -> HttpCall:
    return HttpCall("POST", path, headers=[("Content-Type", "application/json"), ("Accept", "application/json")],
                    body=json.dumps(value).encode("utf-8"), principal=principal)


def problem(result: HttpResult, status: int) -> dict[str, Any]:
    assert result.status == status, result.body[:500]
    assert result.header("content-type") == PROBLEM
    answer: dict[str, Any] = result.json()
    assert answer["status"] == status
    return answer


def test_the_http_functions_are_anonymous_behind_app_service_authentication(start_worker: StartWorker) -> None:
    functions = start_worker().functions
    for name, route, methods in [("api_contracts", "contracts/{*path}", {"get", "post"}),
                                 ("api_openapi", "openapi.json", {"get"})]:
        trigger = http_binding(functions[name].raw_bindings)
        assert (trigger["type"], trigger["route"], trigger["authLevel"].upper()) == ("httpTrigger", route, "ANONYMOUS")
        assert {m.lower() for m in trigger["methods"]} == methods
        assert {b["name"]: b["type"] for b in map(json.loads, functions[name].raw_bindings)}["$return"] == "http"


def test_in_azure_a_caller_named_by_entra_id_gets_status_and_a_quote_equal_to_its_cancellations_refund(
        start_worker: StartWorker) -> None:
    host = start_worker(**IN_AZURE)
    submit(host, NUMBER)
    dealer = application_principal(DEALER)
    status = call_http(host, "api_contracts", get(f"/api/contracts/{NUMBER}", dealer))
    assert status.status == 200 and status.header("content-type") == "application/json"
    shown = status.json()
    assert (shown["contract_number"], shown["status"], shown["pii"]) == (NUMBER, "ACTIVE", "full")

    quoted = call_http(host, "api_contracts", post(f"/api/contracts/{NUMBER}/cancellation-quote", QUOTE, dealer))
    assert quoted.status == 200, quoted.body[:500]
    quote = quoted.json()
    assert quote.pop("quoted_at").endswith("Z")
    assert Decimal(quote["customer_refund"]) > 0
    (answer,) = deliver(host, "cancellation_requests", "cancellations",
                        [EventHubMessage(body(cancellation(NUMBER, **QUOTE)), partition_key="D10442")],
                        enqueued=datetime.now(UTC))
    assert answer["data"]["status"] == "ACCEPTED"
    assert quote == answer["data"]["refund"]
    again = call_http(host, "api_contracts", post(f"/api/contracts/{NUMBER}/cancellation-quote", QUOTE, dealer))
    assert [r["code"] for r in problem(again, 409)["reasons"]] == ["ALREADY_CANCELLED"]


def test_in_azure_unknown_and_others_contracts_are_404_and_no_identity_is_401(start_worker: StartWorker) -> None:
    host = start_worker(**IN_AZURE)
    submit(host, NUMBER)
    other = application_principal(OTHER_DEALER, version="1.0")  # v1.0 tokens name the application in `appid`
    theirs = problem(call_http(host, "api_contracts", get(f"/api/contracts/{NUMBER}", other)), 404)
    unknown = problem(call_http(host, "api_contracts", get("/api/contracts/WKR-API-9999", other)), 404)
    assert theirs == unknown
    anonymous = call_http(host, "api_contracts", get(f"/api/contracts/{NUMBER}"))
    problem(anonymous, 401)
    assert anonymous.header("www-authenticate")
    # the development identity is refused in Azure, whatever it names
    problem(call_http(host, "api_contracts", get(f"/api/contracts/{NUMBER}", headers=[("X-Fnix-Dev-Client", DEALER)])),
            401)
    stranger = application_principal("3c1f0a52-0000-4000-8000-5f0e2d9b7a41")  # a valid token, not in the map
    problem(call_http(host, "api_contracts", get(f"/api/contracts/{NUMBER}", stranger)), 403)


def test_the_openapi_document_is_served_through_the_worker(start_worker: StartWorker) -> None:
    host = start_worker(**IN_AZURE)
    served = call_http(host, "api_openapi", get("/api/openapi.json", application_principal(DEALER)))
    assert served.status == 200 and served.header("content-type") == "application/json"
    document = served.json()
    assert document["openapi"].startswith("3.1")
    assert "/api/contracts/{contract_number}/cancellation-quote" in document["paths"]


def test_locally_the_development_identity_stands_in(start_worker: StartWorker) -> None:
    host = start_worker()
    submit(host, NUMBER)
    local = HttpCall("GET", f"/api/contracts/{NUMBER}", headers=[("X-Fnix-Dev-Client", DEALER)],
                     host="localhost:7071", https=False)
    assert call_http(host, "api_contracts", local).json()["pii"] == "full"
