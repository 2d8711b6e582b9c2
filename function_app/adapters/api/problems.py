"""Errors as `application/problem+json` (RFC 9457): type, title, status, detail, and the EVENTS.md reason codes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse

from function_app.adapters.api.schemas import Problem, ProblemReason
from function_app.domain.kernel.feedback import Reason

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not a caller of this API",
    404: "No such contract",
    405: "Method not allowed",
    409: "Already cancelled",
    413: "Body too large",
    415: "Unsupported media type",
    422: "The request would be rejected",
}
DESCRIPTIONS = {
    401: "No identity: no Entra ID token in Azure, no development identity locally (or one sent to Azure)",
    403: "The calling application is not in the caller map (API_CALLERS)",
    404: "No such contract, or not the caller's (the same answer for both)",
    409: "ALREADY_CANCELLED: the contract is cancelled",
    422: "The body is invalid or the cancellation would be rejected; `reasons` holds EVENTS.md reason codes",
}


class ProblemResponse(JSONResponse):
    media_type = MEDIA_TYPE


def problem(status: int, detail: str, reasons: Sequence[Reason] = (), *,
            headers: Mapping[str, str] | None = None) -> ProblemResponse:
    slug = TITLES.get(status, "Error").lower().replace(" ", "-")
    body = Problem(type=f"urn:fni:problem:{slug}", title=TITLES.get(status, "Error"), status=status, detail=detail,
                   reasons=[ProblemReason(code=r.code, field=r.field, message=r.message) for r in reasons])
    return ProblemResponse(body.model_dump(mode="json"), status_code=status, headers=dict(headers or {}))


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each error it can answer, as a Problem (moved to problem+json in the document)."""
    return {status: {"model": Problem, "description": DESCRIPTIONS[status]} for status in statuses}
