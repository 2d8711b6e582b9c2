"""`fnix serve` as a developer runs it: a real process on a loopback port over Azurite, asked by a real HTTP client,
and the API's own OpenAPI document turned against it by schemathesis: no answer outside the document, no 5xx."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from function_app.bootstrap import bootstrap
from function_app.config import Settings
from function_app.domain.api.identity import DEV_HEADER
from tests.events import cancellation, contract, messages

pytestmark = pytest.mark.azurite
ROOT = Path(__file__).resolve().parents[2]
ACTIVE, CANCELLED = "VSC-SERVE-0001", "VSC-SERVE-0002"
DEALER = {DEV_HEADER: "dev-dealer-d10442"}  # the shipped caller map's development dealer
# What the API promises: no 5xx, and every answer's status, media type, headers and body as the document states.
# (Not schemathesis's "schema-valid data is accepted": a quote valid in form is still refused by the contract's
# own dates and odometer, with a documented 422.)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture
def served(on_azurite: Settings) -> Iterator[str]:
    """`fnix serve --port 0` on the test's storage, with one active and one cancelled contract put there through
    the real-time service; yields the base URL it printed."""
    exchange = bootstrap(on_azurite)
    exchange.realtime.process(messages("contracts", [contract(ACTIVE), contract(CANCELLED)]))
    exchange.realtime.process(messages("cancellations", [cancellation(CANCELLED)], start=5))
    process = subprocess.Popen([str(Path(sys.executable).parent / "fnix"), "serve", "--port", "0"], cwd=ROOT,
                               env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("http://127.0.0.1:") and first.endswith("/api/openapi.json"), first
        assert f"{DEV_HEADER}: dev-dealer-d10442\tdealer D10442" in process.stdout.readline()
        yield first.removesuffix("/api/openapi.json")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "serve: stopped" in err and "Traceback" not in err


def test_fnix_serve_answers_a_dealer_over_http(served: str) -> None:
    with httpx.Client(base_url=served, timeout=10) as client:
        status = client.get(f"/api/contracts/{ACTIVE}", headers=DEALER)
        assert status.status_code == 200 and status.json()["status"] == "ACTIVE"
        body = {"cancel_date": "2026-03-02", "odometer": 30_500, "reason": "CUSTOMER_REQUEST"}
        quote = client.post(f"/api/contracts/{ACTIVE}/cancellation-quote", json=body, headers=DEALER)
        assert quote.status_code == 200, quote.text
        cancelled = client.get(f"/api/contracts/{CANCELLED}", headers=DEALER).json()
        quoted = {k: v for k, v in quote.json().items() if k != "quoted_at"}
        assert cancelled["cancellation"]["refund"] == quoted  # the same contract, cancelled with the same values
        assert client.get(f"/api/contracts/{ACTIVE}").status_code == 401


def test_no_answer_falls_outside_the_openapi_document(served: str) -> None:
    """Schemathesis draws requests from /api/openapi.json (half of them naming contracts that exist, so that 200,
    409 and 422 are reached as well as 404) and checks each answer against the document; bounded for CI."""
    schema = schemathesis.openapi.from_url(f"{served}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert {op.method.upper() + " " + op.path for op in operations} == {
        "GET /api/contracts/{contract_number}", "POST /api/contracts/{contract_number}/cancellation-quote"}
    statuses: set[int] = set()
    for operation in operations:

        @settings(max_examples=60, deadline=None, database=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        @given(case=operation.as_strategy(), number=st.sampled_from([None, ACTIVE, CANCELLED]),
               who=st.sampled_from([DEALER, DEALER, {}, {DEV_HEADER: "dev-lender-fpcu"}, {DEV_HEADER: "nobody"}]),
               plausible=st.booleans())
        def check(case: Any, number: str | None, who: dict[str, str], plausible: bool) -> None:
            if number is not None:
                case.path_parameters = {"contract_number": number}
            if plausible and isinstance(case.body, dict):  # a date a dealer could send: not centuries away
                case.body = {**case.body, "cancel_date": "2026-03-02"}
            response = case.call_and_validate(base_url=served, headers=who, checks=CHECKS)
            statuses.add(response.status_code)

        check()
    assert {200, 401, 403, 404, 409, 422} <= statuses, statuses
