"""The dealer-facing payloads (spec/EVENTS.md): a contract submission and a cancellation request, and their fields."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, model_validator

from function_app.domain.kernel import bounds
from function_app.domain.kernel.catalogue import ProductType
from function_app.domain.kernel.money import parse_money
from function_app.domain.kernel.state_rules import US_STATES as US_STATES  # the codes live with the state rules

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
