"""The OpenAPI 3.1 document at `/api/openapi.json`, as FastAPI writes it from the routes and their models, with two
corrections that keep it true: errors are `application/problem+json` (FastAPI would file them under
`application/json`), and no route claims FastAPI's own 422 body, which this API never sends."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from function_app.adapters.api.problems import MEDIA_TYPE
from function_app.domain.api.identity import DEV_HEADER, PRINCIPAL_HEADER

DESCRIPTION = (
    "Contract status and cancellation quotes for dealers and lenders (spec/API.md). Nothing here changes state: "
    "a cancellation is requested on the `cancellations` hub.\n\n"
    "**Who may ask.** In Azure, Microsoft Entra ID authenticates the calling application (App Service "
    f"authentication passes it in `{PRINCIPAL_HEADER}`); its client id maps to one dealer or lienholder code "
    f"(API_CALLERS). Locally, send `{DEV_HEADER}: <client id from the caller map>` instead; it is refused in Azure."
)
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """A route that reads its body itself (so the exchange's own rules answer it) still states its schema."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                _correct(operation["responses"])
        for name in _FASTAPI_VALIDATION:
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema


def _correct(responses: dict[str, Any]) -> None:
    for status, response in list(responses.items()):
        content = response.get("content", {})
        if "HTTPValidationError" in str(content):
            del responses[status]
        elif status.isdigit() and int(status) >= 400 and "application/json" in content:
            content[MEDIA_TYPE] = content.pop("application/json")
