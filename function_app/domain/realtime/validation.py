"""A partner event's payload: its schema, then its consistency (dates, VIN, prices, subject, a lender's source), all
reasons at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from function_app.domain.kernel import bounds
from function_app.domain.kernel.feedback import Reason, ReasonCode
from function_app.domain.kernel.money import parse_money
from function_app.domain.kernel.vin import vin_problem
from function_app.domain.realtime.envelope import CONTRACT_SUBMITTED, envelope_text_reasons
from function_app.domain.realtime.payloads import (
    PARTY_ERROR,
    US_STATES,
    CancellationRequest,
    ContractSubmission,
    Pricing,
    party_problem,
)

LENDER_SOURCE_PREFIX = "urn:lender:"  # a lender's events come from `urn:lender:<its lienholder code>`


def validate_payload(
    envelope: dict[str, Any], latest: date
) -> tuple[ContractSubmission | CancellationRequest | None, tuple[Reason, ...]]:
    """The payload's schema, then its consistency; `latest` is the last date any of its dates may name."""
    data = envelope.get("data")
    if not isinstance(data, dict):
        return None, (Reason(ReasonCode.SCHEMA_INVALID, "data", "data must be a JSON object"),)
    model = ContractSubmission if envelope["type"] == CONTRACT_SUBMITTED else CancellationRequest
    try:
        payload = model.model_validate(data)
    except ValidationError as exc:
        schema = [_schema_reason(error) for error in exc.errors(include_url=False)]
        extra = (_unvalidated_submission_reasons(data, {r.field for r in schema}) if model is ContractSubmission
                 else _unvalidated_party_reasons(data))
        return None, (*schema, *(reason for reason in extra if reason not in schema))
    reasons = envelope_text_reasons(envelope)
    if isinstance(payload, ContractSubmission):
        reasons += _submission_reasons(payload, envelope["subject"], latest)
    else:
        reasons += _cancellation_reasons(payload, envelope["subject"], latest)
        reasons += _lender_source_reasons(payload, envelope["source"])
    return payload, tuple(reasons)


def _date_reasons(latest: date, **dates: date) -> list[Reason]:
    return [
        Reason(ReasonCode.DATE_INCONSISTENT, name, f"{name} {value} is after {latest}, the day after the message "
               "was enqueued")
        for name, value in dates.items()
        if value > latest
    ]


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _unvalidated_submission_reasons(data: dict[str, Any], failed: set[str | None]) -> list[Reason]:
    """When the schema fails, the consistency checks whose fields are readable still run: one answer, all reasons."""
    reasons = []
    vehicle, pricing = (_object(data.get(name)) for name in ("vehicle", "pricing"))
    vin = vehicle.get("vin")
    if isinstance(vin, str) and "vehicle.vin" not in failed and (problem := vin_problem(vin)):
        reasons.append(Reason(ReasonCode.VIN_INVALID, "vehicle.vin", problem))
    retail, cost = (parse_money(v) if isinstance(v, str) else None for v in (pricing.get("retail_price"),
                                                                              pricing.get("dealer_cost")))
    if retail is not None and cost is not None and cost > retail:
        message = f"pricing.dealer_cost {cost} exceeds retail_price {retail}"
        reasons.append(Reason(ReasonCode.PRICE_INCONSISTENT, "pricing.dealer_cost", message))
    return reasons


def _unvalidated_party_reasons(data: dict[str, Any]) -> list[Reason]:
    """A request naming both parties or neither is told so even when other fields fail too (the model's own check
    runs only once every field is valid)."""
    problem = party_problem(data.get("dealer_code") is not None, data.get("lienholder_code") is not None)
    return [] if problem is None else [Reason(ReasonCode.SCHEMA_INVALID, problem[0], f"{problem[0]}: {problem[1]}")]


def _lender_source_reasons(request: CancellationRequest, source: str) -> list[Reason]:
    """A lender speaks for itself only: its request comes from `urn:lender:<lienholder_code>` (the URN's scheme and
    namespace in any case, the code exactly). A dealer's request is not checked against its source."""
    if request.lienholder_code is None:
        return []
    prefix, code = source[: len(LENDER_SOURCE_PREFIX)], source[len(LENDER_SOURCE_PREFIX):]
    if prefix.lower() == LENDER_SOURCE_PREFIX and code == request.lienholder_code:
        return []
    message = (f"a lender's request must come from source {LENDER_SOURCE_PREFIX}{request.lienholder_code}, "
               "the lender its lienholder_code names")
    return [Reason(ReasonCode.NOT_AUTHORIZED, "source", message)]


def _schema_reason(error: Any) -> Reason:
    if error["type"] == PARTY_ERROR:  # the model's own check: named by the field it is about
        where = error["ctx"]["field"]
        return Reason(ReasonCode.SCHEMA_INVALID, where, f"{where}: {error['msg']}")
    where = ".".join(str(part) for part in error["loc"]) or None
    return Reason(ReasonCode.SCHEMA_INVALID, where, f"{where}: {error['msg']}")


def _subject_reasons(number: str, subject: str) -> list[Reason]:
    if number == subject:
        return []
    return [Reason(ReasonCode.SCHEMA_INVALID, "subject", "subject must equal data.contract_number")]


def _submission_reasons(contract: ContractSubmission, subject: str, latest: date) -> list[Reason]:
    reasons = _subject_reasons(contract.contract_number, subject)
    reasons.extend(_date_reasons(latest, sale_date=contract.sale_date))
    vin_error = vin_problem(contract.vehicle.vin)
    if vin_error:
        reasons.append(Reason(ReasonCode.VIN_INVALID, "vehicle.vin", vin_error))
    last_year = contract.sale_date.year + bounds.VEHICLE_YEAR_AFTER_SALE
    if contract.vehicle.year > last_year:
        message = f"vehicle.year {contract.vehicle.year} is after {last_year}"
        reasons.append(Reason(ReasonCode.SCHEMA_INVALID, "vehicle.year", message))
    if contract.customer.state not in US_STATES:
        message = f"customer.state {contract.customer.state!r} is not a US state, DC or territory code"
        reasons.append(Reason(ReasonCode.SCHEMA_INVALID, "customer.state", message))
    gap = (contract.effective - contract.sale_date).days
    if not 0 <= gap <= bounds.EFFECTIVE_AFTER_SALE_DAYS:
        message = f"effective_date must be 0-{bounds.EFFECTIVE_AFTER_SALE_DAYS} days after sale_date, it is {gap}"
        reasons.append(Reason(ReasonCode.DATE_INCONSISTENT, "effective_date", message))
    reasons.extend(_pricing_reasons(contract.pricing))
    return reasons


def _pricing_reasons(pricing: Pricing) -> list[Reason]:
    reasons = []
    if not Decimal("0") < pricing.retail_price <= Decimal("100000.00"):
        message = "pricing.retail_price must be above 0.00 and at most 100000.00"
        reasons.append(Reason(ReasonCode.SCHEMA_INVALID, "pricing.retail_price", message))
    if pricing.dealer_cost > pricing.retail_price:
        message = f"pricing.dealer_cost {pricing.dealer_cost} exceeds retail_price {pricing.retail_price}"
        reasons.append(Reason(ReasonCode.PRICE_INCONSISTENT, "pricing.dealer_cost", message))
    return reasons


def _cancellation_reasons(request: CancellationRequest, subject: str, latest: date) -> list[Reason]:
    return _subject_reasons(request.contract_number, subject) + _date_reasons(latest, cancel_date=request.cancel_date)
