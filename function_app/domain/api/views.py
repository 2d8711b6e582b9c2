"""What a caller may see of a contract (spec/API.md "Resources"): its own contracts only, customer fields at the
caller's PII level with the very masks partner files use (spec/PARTNER-FILES.md): dealers `full`, lenders
`masked`."""

from __future__ import annotations

from typing import Any

from function_app.domain.api.callers import Caller, CallerKind
from function_app.domain.delivery.records import PiiLevel, initial, mask_postal_code, mask_vin
from function_app.domain.realtime.contracts import Cancellation, ContractRecord, ContractStatus
from function_app.domain.realtime.payloads import CancellationRequest


def pii_level(caller: Caller) -> PiiLevel:
    return PiiLevel.FULL if caller.kind is CallerKind.DEALER else PiiLevel.MASKED


def visible_to(record: ContractRecord | None, caller: Caller) -> bool:
    """A dealer sees the contracts it sold, a lender those whose lienholder it is; nobody sees a contract the
    exchange has not accepted (held requests or back-office rows alone)."""
    if record is None or not record.exists or record.submission is None:
        return False
    if caller.kind is CallerKind.DEALER:
        return record.dealer_code == caller.code
    lienholder = record.submission.lienholder
    return lienholder is not None and lienholder.code == caller.code


def status_of(record: ContractRecord) -> str:
    """CANCELLED once the exchange cancelled it; otherwise the back office's status when the change feed gave one,
    else ACTIVE."""
    if record.status is ContractStatus.CANCELLED:
        return ContractStatus.CANCELLED.value
    return record.source_of_record.status or ContractStatus.ACTIVE.value


def contract_view(record: ContractRecord, caller: Caller) -> dict[str, Any]:
    assert record.submission is not None, "only an accepted contract is shown"
    contract = record.submission.model_dump(mode="json")
    if pii_level(caller) is PiiLevel.MASKED:
        customer, vehicle = contract["customer"], contract["vehicle"]
        customer["first_name"] = initial(customer["first_name"])
        customer["last_name"] = initial(customer["last_name"])
        customer["postal_code"] = mask_postal_code(customer["postal_code"])
        vehicle["vin"] = mask_vin(vehicle["vin"])
    return {
        **contract,
        "status": status_of(record),
        "back_office_status": record.source_of_record.status,
        "revision": record.revision,
        "pii": pii_level(caller).value,
        "cancellation": None if record.cancellation is None else cancellation_view(record.cancellation),
    }


def cancellation_view(cancellation: Cancellation) -> dict[str, Any]:
    request = cancellation.request
    return {
        "cancel_date": request.cancel_date.isoformat(),
        "odometer": request.odometer,
        "reason": request.reason,
        "requested_by": requested_by(request),
        "decided_on": cancellation.decided_on.isoformat() if cancellation.decided_on else None,
        "refund_due_days": cancellation.refund_due_days,
        "refund": cancellation.refund.to_json(),
    }


def requested_by(request: CancellationRequest) -> dict[str, str | None]:
    """Who asked for the cancellation: the dealer (a lender once lender-initiated cancellations carry their code)."""
    return {"dealer_code": request.dealer_code, "lienholder_code": None}
