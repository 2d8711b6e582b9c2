"""The API's HTTP triggers hand a request to the FastAPI app through the Functions ASGI integration (the worker tier
drives them with host-shaped requests; this checks the Python on Azurite, as the app runs it: settings from the
environment, the exchange built on the first request)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import azure.functions as func
import pytest

from function_app.bootstrap import exchange
from function_app.config import Settings
from function_app.domain.api.identity import DEV_HEADER
from tests.events import contract, messages
from tests.functions.registry import functions, registered

pytestmark = pytest.mark.azurite
NUMBER = "VSC-FUNC-0001"


class Context:
    function_directory = "/home/site/wwwroot"
    function_name = "api_contracts"
    invocation_id = "0b5e3c1e-0000-0000-0000-000000000001"
    thread_local_storage = None
    trace_context = None
    retry_context = None


def call(name: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> func.HttpResponse:
    request = func.HttpRequest(method=method, url=f"http://localhost:7071{path}", headers=headers, body=body,
                               route_params={"path": path.removeprefix("/api/contracts/")})
    response: func.HttpResponse = asyncio.run(registered(name)(request, Context()))
    return response


def test_the_api_functions_are_anonymous_http_triggers_on_the_api_routes() -> None:
    bindings = {name: functions()[name].get_trigger() for name in ("api_contracts", "api_openapi")}
    assert {name: (t.route, t.auth_level) for name, t in bindings.items()} == {
        "api_contracts": ("contracts/{*path}", func.AuthLevel.ANONYMOUS),
        "api_openapi": ("openapi.json", func.AuthLevel.ANONYMOUS),
    }


def test_status_and_quote_through_the_trigger(on_azurite: Settings) -> None:
    """The shipped caller map (config/api_callers.json) names the development dealer D10442."""
    from function_app.entrypoints import api

    api.middleware.cache_clear()
    exchange().realtime.process(messages("contracts", [contract(NUMBER)]))
    who = {DEV_HEADER: "dev-dealer-d10442"}
    status = call("api_contracts", "GET", f"/api/contracts/{NUMBER}", who)
    assert status.status_code == 200 and json.loads(status.get_body())["status"] == "ACTIVE"
    body = json.dumps({"cancel_date": "2026-03-02", "odometer": 30_500, "reason": "CUSTOMER_REQUEST"}).encode()
    quote: dict[str, Any] = json.loads(call("api_contracts", "POST", f"/api/contracts/{NUMBER}/cancellation-quote",
                                            who, body).get_body())
    assert quote["customer_refund"] and quote["quoted_at"]
    refused = call("api_contracts", "GET", f"/api/contracts/{NUMBER}", {})
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    document = call("api_openapi", "GET", "/api/openapi.json", {})
    assert json.loads(document.get_body())["openapi"].startswith("3.1")
    api.middleware.cache_clear()
