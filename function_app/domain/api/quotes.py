"""A quote's request: the caller's `{cancel_date, odometer, reason}` as the cancellation request it would be, checked
by the very rules of a `fni.contract.cancel_requested.v1` event (spec/EVENTS.md), so that a quote and a
cancellation with the same values are decided alike."""

from __future__ import annotations

from datetime import date

from function_app.domain.api.callers import Caller, CallerKind
from function_app.domain.kernel.feedback import Reason, ReasonCode
from function_app.domain.realtime.envelope import CANCEL_REQUESTED
from function_app.domain.realtime.payloads import CancellationRequest
from function_app.domain.realtime.validation import validate_payload

QUOTE_FIELDS = ("cancel_date", "odometer", "reason")


def quote_request(contract_number: str, caller: Caller, body: object, latest: date
                  ) -> CancellationRequest | tuple[Reason, ...]:
    """The request, or every reason it would be rejected for; `latest` is the last date a request sent now may
    name (the business day after today)."""
    if not isinstance(body, dict):
        return (Reason(ReasonCode.SCHEMA_INVALID, None, "the body must be a JSON object {cancel_date, odometer, "
                       "reason}"),)
    requester = requester_fields(caller)
    if isinstance(requester, Reason):
        return (requester,)
    data = {name: body[name] for name in QUOTE_FIELDS if name in body}
    data.update(contract_number=contract_number, **requester)
    payload, reasons = validate_payload({"type": CANCEL_REQUESTED, "subject": contract_number, "data": data}, latest)
    if reasons or not isinstance(payload, CancellationRequest):
        return reasons
    return payload


def requester_fields(caller: Caller) -> dict[str, str] | Reason:
    """Who requests the cancellation being quoted. Lender-initiated cancellations (REFUNDS.md) name the lender by
    its lienholder code; until the request carries one, a lender gets no quote."""
    if caller.kind is CallerKind.DEALER:
        return {"dealer_code": caller.code}
    return Reason(ReasonCode.NOT_AUTHORIZED, "lienholder_code", "quotes for lenders come with lender-initiated "
                  "cancellations, which this exchange does not take yet")
