"""The dealer-facing event contract (spec/EVENTS.md): envelope, payloads and their validation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError, model_validator

from function_app.domain.change_feed.envelope import read_record
from function_app.domain.change_feed.records import RowChange, SideRecord
from function_app.domain.kernel import bounds
from function_app.domain.kernel.catalogue import ProductType
from function_app.domain.kernel.feedback import Reason, ReasonCode
from function_app.domain.kernel.messages import MAX_BODY_BYTES, InboundMessage, short_hash
from function_app.domain.kernel.money import parse_money
from function_app.domain.kernel.vin import vin_problem
from function_app.domain.realtime.cloudevents import is_json_media_type, read_event

CHANGE_FEED_HUB = "policy-admin-cdc"
CHANGE_FEED_SOURCE = "urn:fni:policy-admin"
CHANGE_CLOCK_SKEW = timedelta(days=1)  # a change stamped later than its enqueue plus this is refused
CONTRACT_SUBMITTED = "fni.contract.submitted.v1"
CANCEL_REQUESTED = "fni.contract.cancel_requested.v1"
HUB_TYPES = {"contracts": CONTRACT_SUBMITTED, "cancellations": CANCEL_REQUESTED}
KNOWN_TYPES = frozenset(HUB_TYPES.values())

US_STATES = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN",
        "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV",
        "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
        "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP",
    }
)
CancelReason = Literal["CUSTOMER_REQUEST", "LOAN_PAYOFF", "TOTAL_LOSS", "REPOSSESSION", "TRADE_IN"]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: object) -> date:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("expected an ISO date YYYY-MM-DD")
    return date.fromisoformat(value)


def _money(value: object) -> Decimal:
    parsed = parse_money(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError("expected a decimal string with exactly 2 places, e.g. \"2495.00\"")
    return parsed


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected non-empty text")
    problem = bounds.text_problem(value)
    if problem:
        raise ValueError(f"text {problem}; line breaks and control characters are not accepted")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Money = Annotated[Decimal, BeforeValidator(_money)]
ContractNumber = Annotated[str, Field(pattern=r"^[A-Z0-9-]{6,20}$", strict=True)]
DealerCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{3,10}$", strict=True)]
VehicleText = Annotated[str, BeforeValidator(_text), Field(max_length=bounds.VEHICLE_TEXT.max_length)]
NameText = Annotated[str, BeforeValidator(_text), Field(max_length=bounds.CUSTOMER_NAME.max_length)]
LienholderName = Annotated[str, BeforeValidator(_text), Field(max_length=bounds.LIENHOLDER_NAME.max_length)]
Revision = Annotated[StrictInt, Field(ge=bounds.REVISION.low, le=bounds.REVISION.high)]
TermMonths = Annotated[StrictInt, Field(ge=bounds.TERM_MONTHS.low, le=bounds.TERM_MONTHS.high)]
TermMiles = Annotated[StrictInt, Field(ge=bounds.TERM_MILES.low, le=bounds.TERM_MILES.high)]
VehicleYear = Annotated[StrictInt, Field(ge=bounds.VEHICLE_YEAR.low, le=bounds.VEHICLE_YEAR.high)]
SaleOdometer = Annotated[StrictInt, Field(ge=bounds.SALE_ODOMETER.low, le=bounds.SALE_ODOMETER.high)]
CancelOdometer = Annotated[StrictInt, Field(ge=bounds.CANCEL_ODOMETER.low, le=bounds.CANCEL_ODOMETER.high)]
Code = Annotated[str, Field(pattern=rf"^[A-Z0-9][A-Z0-9_-]{{0,{bounds.CODE_LENGTH - 1}}}$", strict=True)]


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Product(Payload):
    code: Code
    type: ProductType


class Vehicle(Payload):
    vin: Annotated[str, Field(strict=True)]
    year: VehicleYear
    make: VehicleText
    model: VehicleText
    odometer: SaleOdometer
    condition: Literal["NEW", "USED", "CPO"]


class Customer(Payload):
    first_name: NameText
    last_name: NameText
    state: Annotated[str, Field(strict=True, max_length=2)]
    postal_code: Annotated[str, Field(pattern=r"^\d{5}(-\d{4})?$", strict=True)]


class Lienholder(Payload):
    name: LienholderName
    code: Code


class Pricing(Payload):
    retail_price: Money
    dealer_cost: Money
    currency: Literal["USD"]


class ContractSubmission(Payload):
    contract_number: ContractNumber
    revision: Revision = 1
    dealer_code: DealerCode
    product: Product
    term_months: TermMonths
    term_miles: TermMiles | None = None
    sale_date: IsoDate
    effective_date: IsoDate | None = None
    vehicle: Vehicle
    customer: Customer
    lienholder: Lienholder | None = None
    pricing: Pricing
    oem: Code | None = None
    administrator: Code

    @model_validator(mode="after")
    def _effective_defaults_to_sale(self) -> ContractSubmission:
        """Omitted and explicit-but-equal effective dates are the same content (and hash alike)."""
        if self.effective_date is None:
            object.__setattr__(self, "effective_date", self.sale_date)
        return self

    @property
    def effective(self) -> date:
        return self.effective_date or self.sale_date


class CancellationRequest(Payload):
    contract_number: ContractNumber
    dealer_code: DealerCode
    cancel_date: IsoDate
    odometer: CancelOdometer
    reason: CancelReason


@dataclass(frozen=True)
class ParsedEvent:
    """One message after parsing: its identity, and either a valid payload or the reasons it has none."""

    message: InboundMessage
    event_id: str | None
    source: str | None
    event_type: str | None
    subject: str | None
    routing_key: str
    payload: ContractSubmission | CancellationRequest | RowChange | SideRecord | None
    reasons: tuple[Reason, ...]

    def __post_init__(self) -> None:
        """Identity text that is not Unicode scalar values (a lone surrogate from a JSON `\\ud800` escape) can be
        neither hashed, echoed nor stored as UTF-8: the event is then known by its body's digest, and refused."""
        named = {"event_id": self.event_id, "source": self.source, "subject": self.subject,
                 "event_type": self.event_type, "routing_key": self.routing_key}
        broken = [name for name, value in named.items() if value is not None and not _encodable(value)]
        if not broken:
            return
        for name in broken:
            object.__setattr__(self, name, None if name != "routing_key" else "")
        if not self.routing_key:
            object.__setattr__(self, "routing_key", "body:" + self.message.body_digest())
        reason = Reason(ReasonCode.MALFORMED, None, f"{', '.join(broken)} hold text that is not valid Unicode")
        object.__setattr__(self, "payload", None)
        object.__setattr__(self, "reasons", (*self.reasons, reason) if self.reasons else (reason,))

    @property
    def input_key(self) -> str:
        """The idempotency key: `source` + `id`, or the body's digest when the envelope is unreadable."""
        if self.event_id is not None and self.source is not None:
            return f"{self.source}\n{self.event_id}"
        return "body:" + self.message.body_digest()

    @property
    def content_hash(self) -> str:
        assert isinstance(self.payload, ContractSubmission | CancellationRequest)
        return short_hash(self.payload.model_dump_json(), 32)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_UTC = ZoneInfo("UTC")


def parse_message(message: InboundMessage, zone: ZoneInfo = _UTC) -> ParsedEvent:
    """`zone` is the business time zone: no date may lie after the day the message was enqueued there, plus one."""
    if message.hub == CHANGE_FEED_HUB:
        return parse_row_change(message)
    event = read_event(message.body, message.properties, MAX_BODY_BYTES)
    if event.problems and not event.attributes:
        return _parsed(message, {}, event.problems)
    envelope = event.attributes
    reasons = (*event.problems, *_envelope_reasons(envelope, message.hub))
    if reasons:
        return _parsed(message, envelope, reasons)
    payload, reasons = _validate_payload(envelope, bounds.latest_date(message.business_date(zone)))
    return _parsed(message, envelope, reasons, payload if not reasons else None)


def parse_row_change(message: InboundMessage) -> ParsedEvent:
    """A change-feed message: its identity is the row and its log position, so a redelivery is recognised.
    A side record (tombstone, heartbeat, transaction metadata, schema change) is its payload, with no identity."""
    record = read_record(message.body)
    change, reasons = record.change, record.reasons
    if change is not None and (when := change.time()) and when > message.enqueued_time + CHANGE_CLOCK_SKEW:
        late = (message.enqueued_time + CHANGE_CLOCK_SKEW).isoformat()
        why = f"source.ts_ms {when.isoformat()} is later than the message's enqueued time plus a day ({late})"
        change, reasons = None, (Reason(ReasonCode.DATE_INCONSISTENT, "payload.source.ts_ms", why),)
    if change is None:
        return ParsedEvent(message, None, None, None, None, "", record.side, reasons)
    event_id = f"{change.table}:{change.row_key}@{change.lsn}"
    return ParsedEvent(message, event_id, CHANGE_FEED_SOURCE, change.op.value, change.contract_number,
                       change.contract_number, change, ())


def _parsed(
    message: InboundMessage,
    envelope: dict[str, Any],
    reasons: tuple[Reason, ...],
    payload: ContractSubmission | CancellationRequest | None = None,
) -> ParsedEvent:
    event_id = _bounded_str(envelope.get("id"), 128)
    source = _bounded_str(envelope.get("source"), 512)
    subject = _bounded_str(envelope.get("subject"), 64)
    data = envelope.get("data")
    number = data.get("contract_number") if isinstance(data, dict) else None
    routing = _bounded_str(number, 64) or subject or (f"{source}\n{event_id}" if event_id and source else "")
    event_type = _bounded_str(envelope.get("type"), 128)
    return ParsedEvent(message, event_id, source, event_type, subject, routing, payload, reasons)


def _bounded_str(value: object, limit: int) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def _envelope_reasons(envelope: dict[str, Any], hub: str) -> tuple[Reason, ...]:
    problems = [_envelope_problem(envelope, name) for name in _ENVELOPE_RULES]
    reasons = [Reason(ReasonCode.MALFORMED, name, text) for name, text in problems if text]
    if reasons:
        return tuple(reasons)
    event_type = envelope["type"]
    if event_type not in KNOWN_TYPES:
        return (Reason(ReasonCode.UNKNOWN_TYPE, "type", f"unknown event type {event_type!r}"),)
    if HUB_TYPES.get(hub) != event_type:
        return (Reason(ReasonCode.UNKNOWN_TYPE, "type", f"type {event_type!r} is not accepted on hub {hub!r}"),)
    return ()


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _is_rfc3339(value: object) -> bool:
    """RFC 3339 exactly: Python's fromisoformat alone also takes week dates, basic formats and bare hours."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper())
    except ValueError:
        return value[17:19] == "60"  # a leap second is valid RFC 3339, though Python cannot represent it
    return True


_ENVELOPE_RULES: dict[str, tuple[str, Any]] = {
    "specversion": ('must be "1.0"', lambda v: v == "1.0"),
    "id": ("must be a string of 1-128 characters", lambda v: _bounded_str(v, 128) is not None),
    "source": ("must be a non-empty URI-reference", lambda v: _bounded_str(v, 512) is not None),
    "type": ("must be a string", lambda v: _bounded_str(v, 128) is not None),
    "time": ("must be an RFC 3339 timestamp with offset", _is_rfc3339),
    "subject": ("must be the contract number", lambda v: _bounded_str(v, 64) is not None),
    "datacontenttype": (
        "must be a JSON media type when present (application/json, text/json or application/<type>+json; "
        "parameters allowed, a charset must be UTF-8)",
        lambda v: v is None or is_json_media_type(v),
    ),
}


def _envelope_problem(envelope: dict[str, Any], name: str) -> tuple[str, str]:
    message, check = _ENVELOPE_RULES[name]
    return name, "" if check(envelope.get(name)) else f"envelope attribute {name!r} {message}"


def _validate_payload(
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
        extra = _unvalidated_submission_reasons(data, {r.field for r in schema}) if model is ContractSubmission else []
        return None, (*schema, *extra)
    reasons = _envelope_text_reasons(envelope)
    if isinstance(payload, ContractSubmission):
        reasons += _submission_reasons(payload, envelope["subject"], latest)
    else:
        reasons += _cancellation_reasons(payload, envelope["subject"], latest)
    return payload, tuple(reasons)


def _envelope_text_reasons(envelope: dict[str, Any]) -> list[Reason]:
    """The envelope's text travels on too (`id` is a partner-file column): it obeys the text bounds."""
    reasons = []
    for name in ("id", "source", "subject"):
        value = envelope.get(name)
        problem = bounds.text_problem(value) if isinstance(value, str) else None
        if problem:
            reasons.append(Reason(ReasonCode.SCHEMA_INVALID, name, f"envelope attribute {name!r} {problem}"))
    return reasons


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


def _schema_reason(error: Any) -> Reason:
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
