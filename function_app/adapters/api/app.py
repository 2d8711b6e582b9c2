"""The dealer and lender API (spec/API.md) as an ASGI app: the same app runs behind the Functions HTTP trigger
(`entrypoints/api.py`) and under uvicorn (`fnix serve`). Routes are thin: identify the caller, ask the service,
answer; every answer, errors included, is a model stated in the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from function_app.adapters.api import openapi
from function_app.adapters.api.problems import ProblemResponse, documented, problem
from function_app.adapters.api.schemas import Contract, Quote, QuoteRequest
from function_app.domain.api.callers import Caller, CallerMap
from function_app.domain.api.identity import NotACaller, NotAuthenticated, identify
from function_app.domain.kernel.feedback import Reason, ReasonCode
from function_app.service_layer.api.queries import ContractQueries, NotFound, Refused

MAX_BODY = 16 * 1024  # a quote's body is three small fields
NOT_FOUND = "no contract with this number is visible to this caller"


async def _caller(request: Request) -> Caller:
    """`async` although it awaits nothing: FastAPI runs a plain `def` dependency on a worker thread, and a thread hop
    costs more than identifying the caller (bench/api.py's profile)."""
    return identify(request.headers.get, request.app.state.callers, in_azure=request.app.state.in_azure)


Identified = Annotated[Caller, Depends(_caller)]


def create_app(queries: Callable[[], ContractQueries], callers: CallerMap, *, in_azure: bool) -> FastAPI:
    """`queries` is asked on each request (the exchange is built on the first one, not at start-up)."""
    app = FastAPI(title="F&I exchange: dealer and lender API", version="1", openapi_url="/api/openapi.json",
                  docs_url=None, redoc_url=None, description=openapi.DESCRIPTION)

    app.state.callers, app.state.in_azure = callers, in_azure
    @app.get("/api/contracts/{contract_number}", response_model=Contract, operation_id="getContract",
             responses=documented(401, 403, 404), summary="The contract as the exchange holds it")
    def get_contract(contract_number: str, who: Identified) -> dict[str, Any]:
        return queries().status(who, contract_number)

    @app.post("/api/contracts/{contract_number}/cancellation-quote", response_model=Quote,
              operation_id="quoteCancellation", responses=documented(401, 403, 404, 409, 422),
              summary="The refund a cancellation with these values would get now",
              openapi_extra=openapi.request_body(QuoteRequest))
    async def quote_cancellation(contract_number: str, request: Request, who: Identified) -> Any:
        body = await _json_body(request)
        if isinstance(body, Reason):
            return problem(422, body.message, [body])
        answer = await run_in_threadpool(queries().quote, who, contract_number, body)  # storage I/O is blocking
        if isinstance(answer, Refused):
            status = 409 if answer.already_cancelled else 422
            return problem(status, "a cancellation with these values would be rejected", answer.reasons)
        return answer.to_json()

    _handle_errors(app)
    app.openapi = lambda: openapi.document(app)  # type: ignore[method-assign]
    return app


async def _json_body(request: Request) -> object:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return Reason(ReasonCode.MALFORMED, None, f"the body is over {MAX_BODY} bytes")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return Reason(ReasonCode.MALFORMED, None, "the body is not JSON; send {cancel_date, odometer, reason}")


def _handle_errors(app: FastAPI) -> None:
    async def not_found(_request: Request, _exc: Exception) -> ProblemResponse:
        return problem(404, NOT_FOUND)

    async def unauthenticated(_request: Request, exc: Exception) -> ProblemResponse:
        return problem(401, str(exc), headers={"WWW-Authenticate": 'Bearer realm="fni-exchange"'})

    async def not_a_caller(_request: Request, exc: Exception) -> ProblemResponse:
        return problem(403, str(exc))

    async def http_error(_request: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, HTTPException)
        return problem(exc.status_code, str(exc.detail), headers=exc.headers)

    async def invalid(_request: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, RequestValidationError)
        reasons = [Reason(ReasonCode.SCHEMA_INVALID, ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
        return problem(422, "the request does not match the API", reasons)

    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(NotAuthenticated, unauthenticated)
    app.add_exception_handler(NotACaller, not_a_caller)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
