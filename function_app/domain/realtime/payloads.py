"""The partner-facing payloads (spec/EVENTS.md): a dealer's contract submission and a dealer's or a lender's
cancellation request (REFUNDS.md, "Lender-initiated cancellations"), and their fields."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictInt,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

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


LENDER_REASONS: frozenset[str] = frozenset({"LOAN_PAYOFF", "REPOSSESSION", "TOTAL_LOSS"})
PARTY_ERROR = "cancellation_party"  # the pydantic error type of a request naming both parties or neither


def party_problem(dealer: bool, lienholder: bool) -> tuple[str, str] | None:
    """The field and message when a cancellation request names both parties (`dealer_code`, `lienholder_code`)
    or neither; None when it names exactly one."""
    if dealer and lienholder:
        return "lienholder_code", "a request names dealer_code (a dealer's) or lienholder_code (a lender's), not both"
    if not dealer and not lienholder:
        return "dealer_code", "a request names dealer_code (a dealer's) or lienholder_code (a lender's); it has neither"
    return None


class CancellationRequest(Payload):
    """A dealer's request names its `dealer_code`, a lender's its `lienholder_code`: exactly one of them."""

    contract_number: ContractNumber
    dealer_code: DealerCode | None = None
    lienholder_code: Code | None = None
    cancel_date: IsoDate
    odometer: CancelOdometer
    reason: CancelReason

    @model_validator(mode="after")
    def _one_party(self) -> CancellationRequest:
        problem = party_problem(self.dealer_code is not None, self.lienholder_code is not None)
        if problem is not None:
            raise PydanticCustomError(PARTY_ERROR, problem[1], {"field": problem[0]})
        return self

    @model_serializer(mode="wrap")
    def _without_absent_party(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The party a request does not name is left out, so a dealer's request dumps (and hashes) exactly as it
        did before lenders could send one: its content hash and stored JSON are unchanged."""
        dumped: dict[str, Any] = handler(self)
        for name in ("dealer_code", "lienholder_code"):
            if dumped.get(name, "") is None:
                del dumped[name]
        return dumped

    @property
    def by_lender(self) -> bool:
        return self.lienholder_code is not None

    @property
    def party(self) -> str:
        """Who asked, as partner files show it: `DEALER:<code>` or `LENDER:<code>`."""
        return f"LENDER:{self.lienholder_code}" if self.lienholder_code is not None else f"DEALER:{self.dealer_code}"
