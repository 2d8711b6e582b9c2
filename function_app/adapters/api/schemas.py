"""The API's bodies as the OpenAPI document states them. Every answer is validated against its model on the way
out (FastAPI's `response_model`), so the document cannot drift from what the API sends."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from function_app.domain.kernel.catalogue import ProductType, RefundMethod
from function_app.domain.kernel.feedback import Payee, ReasonCode
from function_app.domain.realtime.payloads import CancelReason

MoneyText = Annotated[str, Field(pattern=r"^\d+\.\d{2}$", examples=["1031.07"])]
FractionText = Annotated[str, Field(pattern=r"^\d+(\.\d+)?$", examples=["0.584357"])]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuoteRequest(Body):
    """What a quote asks: the cancellation it would be (EVENTS.md `fni.contract.cancel_requested.v1`)."""

    cancel_date: date = Field(description="ISO date, on or after the contract's sale_date, at most tomorrow")
    odometer: int = Field(ge=0, le=999_999, description="at or above the sale odometer")
    reason: CancelReason


class Refund(Body):
    """REFUNDS.md's refund breakdown, exactly as the cancellation's feedback carries it."""

    method: RefundMethod
    unearned_fraction: FractionText
    days_used: int
    miles_used: int | None
    gross_refund: MoneyText
    cancellation_fee: MoneyText
    claims_deducted: MoneyText
    customer_refund: MoneyText
    provider_refund: MoneyText
    dealer_chargeback: MoneyText
    payee: Payee
    state_rule: str | None = Field(description="the state whose cancellation rules applied, or null")


class Quote(Refund):
    quoted_at: AwareDatetime = Field(description="when the quote was decided (UTC)")


class Product(Body):
    code: str
    type: ProductType


class Vehicle(Body):
    vin: str = Field(description="masked to its last 8 characters for lenders")
    year: int
    make: str
    model: str
    odometer: int
    condition: Literal["NEW", "USED", "CPO"]


class Customer(Body):
    first_name: str = Field(description="an initial for lenders")
    last_name: str = Field(description="an initial for lenders")
    state: str
    postal_code: str = Field(description="the first three digits for lenders")


class Lienholder(Body):
    name: str
    code: str


class Pricing(Body):
    retail_price: MoneyText
    dealer_cost: MoneyText
    currency: Literal["USD"]


class Requester(Body):
    """Who requested the cancellation: a dealer or a lender, the other code null."""

    dealer_code: str | None
    lienholder_code: str | None


class Cancellation(Body):
    cancel_date: date
    odometer: int
    reason: CancelReason
    requested_by: Requester
    decided_on: date | None = Field(description="the business date the exchange accepted it")
    refund_due_days: int | None = Field(description="days within which the state's rule wants the refund paid")
    refund: Refund


class Contract(Body):
    contract_number: str
    status: str = Field(description="ACTIVE, CANCELLED, or the back office's status (EXPIRED, SUSPENDED...)")
    back_office_status: str | None = Field(description="the status in the policy-administration database, if known")
    revision: int
    dealer_code: str
    product: Product
    term_months: int
    term_miles: int | None
    sale_date: date
    effective_date: date | None
    vehicle: Vehicle
    customer: Customer
    lienholder: Lienholder | None
    pricing: Pricing
    oem: str | None
    administrator: str
    pii: Literal["full", "masked"] = Field(description="how customer fields are shown to this caller")
    cancellation: Cancellation | None


class ProblemReason(Body):
    code: ReasonCode
    field: str | None
    message: str


class Problem(Body):
    """RFC 9457 problem details, with the reason codes of EVENTS.md."""

    type: str = Field(description="a URI naming the kind of problem")
    title: str
    status: int
    detail: str
    reasons: list[ProblemReason] = Field(default_factory=list)
