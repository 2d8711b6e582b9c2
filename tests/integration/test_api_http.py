"""The API over HTTP on Azurite: contracts put there through the real-time service, asked for by a real client."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings
from function_app.domain.api.identity import PRINCIPAL_HEADER
from tests.api import DEALER, LENDER, OTHER_DEALER, STRANGER, as_caller, served
from tests.events import cancellation, contract, messages

pytestmark = pytest.mark.azurite
NUMBER = "VSC-API-0001"
QUOTE: dict[str, Any] = {"cancel_date": "2026-03-02", "odometer": 30_500, "reason": "CUSTOMER_REQUEST"}
PROBLEM = "application/problem+json"


def quote_path(number: str = NUMBER) -> str:
    return f"/api/contracts/{number}/cancellation-quote"


def accept(exchange: Exchange, *events: dict[str, Any], hub: str = "contracts", start: int = 0) -> list[Any]:
    report = exchange.realtime.process(messages(hub, list(events), start=start))
    return [fb.to_json()["data"] for fb in report.feedback]


@pytest.fixture
def api(table_exchange: Exchange) -> Any:
    accept(table_exchange, contract(NUMBER))
    with served(table_exchange) as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    return body


def test_a_dealer_sees_its_contract_in_full(api: httpx.Client) -> None:
    response = api.get(f"/api/contracts/{NUMBER}", headers=as_caller(DEALER))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["contract_number"], body["status"], body["revision"], body["pii"]) == (NUMBER, "ACTIVE", 1, "full")
    assert body["customer"]["first_name"] == "María" and body["customer"]["postal_code"] == "75201"
    assert body["pricing"] == {"retail_price": "2495.00", "dealer_cost": "1100.00", "currency": "USD"}
    assert body["cancellation"] is None and len(body["vehicle"]["vin"]) == 17


def test_its_lender_sees_it_masked(api: httpx.Client) -> None:
    body = api.get(f"/api/contracts/{NUMBER}", headers=as_caller(LENDER)).json()
    assert body["pii"] == "masked" and body["lienholder"]["code"] == "FPCU"
    assert (body["customer"]["first_name"], body["customer"]["last_name"]) == ("M.", "N.")
    assert body["customer"]["postal_code"] == "752" and body["vehicle"]["vin"].startswith("*********")


def test_another_callers_contract_is_not_found_exactly_like_one_that_does_not_exist(api: httpx.Client) -> None:
    theirs = api.get(f"/api/contracts/{NUMBER}", headers=as_caller(OTHER_DEALER))
    nobody = api.get("/api/contracts/VSC-NOPE-0001", headers=as_caller(OTHER_DEALER))
    impossible = api.get("/api/contracts/not a number", headers=as_caller(DEALER))
    assert problem(theirs, 404) == problem(nobody, 404) == problem(impossible, 404)
    assert problem(api.post(quote_path(), json=QUOTE, headers=as_caller(OTHER_DEALER)), 404) == theirs.json()


def test_no_identity_is_401_and_an_unmapped_application_403(api: httpx.Client) -> None:
    assert "WWW-Authenticate" in api.get(f"/api/contracts/{NUMBER}").headers
    problem(api.get(f"/api/contracts/{NUMBER}"), 401)
    problem(api.post(quote_path(), json=QUOTE), 401)
    problem(api.get(f"/api/contracts/{NUMBER}", headers=as_caller(STRANGER)), 403)


def test_a_quote_is_the_refund_of_the_cancellation_that_follows_it(table_exchange: Exchange,
                                                                     api: httpx.Client) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("VSC-API-0002", QUOTE),
        ("VSC-API-0003", {**QUOTE, "reason": "TOTAL_LOSS", "odometer": 14_000}),
        ("VSC-API-0004", {**QUOTE, "cancel_date": "2025-02-01", "odometer": 12_001}),
    ]
    accept(table_exchange, *[contract(number) for number, _ in cases], start=10)
    for i, (number, values) in enumerate(cases):
        quoted = api.post(quote_path(number), json=values, headers=as_caller(DEALER))
        assert quoted.status_code == 200, quoted.text
        quote = quoted.json()
        assert quote.pop("quoted_at").endswith("Z")
        (feedback,) = accept(table_exchange, cancellation(number, **values), hub="cancellations", start=20 + i)
        assert feedback["status"] == "ACCEPTED"
        assert quote == feedback["refund"]
        shown = api.get(f"/api/contracts/{number}", headers=as_caller(DEALER)).json()
        assert shown["status"] == "CANCELLED"
        assert shown["cancellation"]["refund"] == feedback["refund"]
        assert shown["cancellation"]["requested_by"] == {"dealer_code": "D10442", "lienholder_code": None}
        again = problem(api.post(quote_path(number), json=values, headers=as_caller(DEALER)), 409)
        assert [r["code"] for r in again["reasons"]] == ["ALREADY_CANCELLED"]


@pytest.mark.parametrize(("body", "code", "field"), [
    ({**QUOTE, "cancel_date": "02/03/2026"}, "SCHEMA_INVALID", "cancel_date"),
    ({**QUOTE, "cancel_date": "2999-01-01"}, "DATE_INCONSISTENT", "cancel_date"),
    ({**QUOTE, "cancel_date": "2024-12-31"}, "DATE_INCONSISTENT", "cancel_date"),  # before the sale
    ({**QUOTE, "odometer": 1_000_000}, "SCHEMA_INVALID", "odometer"),
    ({**QUOTE, "odometer": 11_999}, "SCHEMA_INVALID", "odometer"),  # below the sale odometer
    ({**QUOTE, "odometer": "30500"}, "SCHEMA_INVALID", "odometer"),
    ({**QUOTE, "reason": "BORED"}, "SCHEMA_INVALID", "reason"),
    ({"cancel_date": "2026-03-02", "odometer": 30_500}, "SCHEMA_INVALID", "reason"),
    (["not", "an", "object"], "SCHEMA_INVALID", None),
])
def test_a_quote_that_would_be_rejected_is_422_with_the_reason_codes(
        api: httpx.Client, body: object, code: str, field: str | None) -> None:
    answer = problem(api.post(quote_path(), json=body, headers=as_caller(DEALER)), 422)
    assert [(r["code"], r["field"]) for r in answer["reasons"]] == [(code, field)]


def test_a_body_that_is_not_json_is_malformed(api: httpx.Client) -> None:
    answer = problem(api.post(quote_path(), content=b"{cancel", headers=as_caller(DEALER)), 422)
    assert [r["code"] for r in answer["reasons"]] == ["MALFORMED"]


def test_a_lender_gets_no_quote_until_lender_initiated_cancellations_exist(api: httpx.Client) -> None:
    answer = problem(api.post(quote_path(), json=QUOTE, headers=as_caller(LENDER)), 422)
    assert [r["code"] for r in answer["reasons"]] == ["NOT_AUTHORIZED"]


def test_a_quote_costs_one_point_read_and_writes_nothing(storage_settings: Settings) -> None:
    seen: list[tuple[str, str]] = []
    exchange = bootstrap(storage_settings, response_hook=lambda r: seen.append(
        (r.http_request.method, r.http_request.url)))
    accept(exchange, contract(NUMBER))
    with served(exchange) as client:
        seen.clear()
        assert client.post(quote_path(), json=QUOTE, headers=as_caller(DEALER)).status_code == 200
        assert len(seen) == 1 and seen[0][0] == "GET" and "RowKey=" in seen[0][1], seen
        seen.clear()
        assert client.get(f"/api/contracts/{NUMBER}", headers=as_caller(DEALER)).status_code == 200
        assert len(seen) == 1 and seen[0][0] == "GET", seen


def test_in_azure_the_caller_comes_from_entra_id_and_the_development_identity_is_refused(
        table_exchange: Exchange) -> None:
    accept(table_exchange, contract(NUMBER))
    claims = {"auth_typ": "aad", "claims": [{"typ": "azp", "val": DEALER}], "name_typ": "name", "role_typ": "roles"}
    principal = {PRINCIPAL_HEADER: base64.b64encode(json.dumps(claims).encode()).decode()}
    with served(table_exchange, in_azure=True) as client:
        assert client.get(f"/api/contracts/{NUMBER}", headers=principal).json()["pii"] == "full"
        problem(client.get(f"/api/contracts/{NUMBER}", headers=as_caller(DEALER)), 401)
        problem(client.get(f"/api/contracts/{NUMBER}"), 401)


def test_the_openapi_document_is_31_and_states_every_answer(api: httpx.Client) -> None:
    document = api.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    quote = document["paths"]["/api/contracts/{contract_number}/cancellation-quote"]["post"]
    assert set(quote["responses"]) == {"200", "401", "403", "404", "409", "422"}
    assert all(PROBLEM in quote["responses"][s]["content"] for s in ("401", "403", "404", "409", "422"))
