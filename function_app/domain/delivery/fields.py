"""The columns a partner feed may list: each one's kind, fixed-width width, PII class and how it is read.

A field reads a section of the fact's `data` ("contract", "cancellation", "refund", ...) rather than
switching on the fact kind, so a field that does not apply to a fact is simply empty, and a new fact kind
only adds its section and its fields here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeAlias

from function_app.domain.kernel.journal import JournalFact

Cell: TypeAlias = str | Decimal | int | date | None


class FieldKind(StrEnum):
    TEXT = "text"
    CODE = "code"
    MONEY = "money"
    DECIMAL = "decimal"  # an exact non-money number (the unearned fraction): written as is, never totalled
    INTEGER = "integer"
    DATE = "date"


class PersonalData(StrEnum):
    """What a personal field is, which decides how each PII level treats it (records.py)."""

    NAME = "name"
    VIN = "vin"
    POSTAL_CODE = "postal code"
    CUSTOMER = "customer"  # other customer fields: the state


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind
    width: int
    personal: PersonalData | None
    extract: Callable[[JournalFact], Cell]
    path: tuple[str, ...] | None = None  # where in the fact's data the value is, for a field read from there


_FROM_JSON: Mapping[FieldKind, Callable[[Any], Cell]] = {
    FieldKind.TEXT: str,
    FieldKind.CODE: str,
    FieldKind.MONEY: lambda value: Decimal(str(value)),
    FieldKind.DECIMAL: lambda value: Decimal(str(value)),
    FieldKind.INTEGER: int,
    FieldKind.DATE: lambda value: date.fromisoformat(str(value)),
}


def json_value(fact: JournalFact, path: tuple[str, ...]) -> Any:
    node: Any = fact.data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _data(name: str, kind: FieldKind, width: int, path: str, personal: PersonalData | None = None) -> Field:
    """A field read from the fact's data at a dotted path, e.g. "contract.vehicle.vin"; None when absent."""
    keys, convert = tuple(path.split(".")), _FROM_JSON[kind]

    def extract(fact: JournalFact) -> Cell:
        value = json_value(fact, keys)
        return None if value is None else convert(value)

    return Field(name, kind, width, personal, extract, keys)


def _fact(name: str, kind: FieldKind, width: int, extract: Callable[[JournalFact], Cell]) -> Field:
    return Field(name, kind, width, None, extract)


_PARTIES = (("dealer_code", "DEALER"), ("lienholder_code", "LENDER"))  # who may request a cancellation


def _cancelled_by(code: bool) -> Callable[[JournalFact], Cell]:
    """Who requested a cancellation (EVENTS.md: a dealer by `dealer_code`, a lender by `lienholder_code`): the party
    (`DEALER`, `LENDER`) or its code; None for any other fact."""

    def extract(fact: JournalFact) -> Cell:
        request = json_value(fact, ("cancellation",))
        for key, party in _PARTIES:
            value = request.get(key) if isinstance(request, dict) else None
            if value is not None:
                return str(value) if code else party
        return None

    return extract


TEXT, CODE, MONEY, DECIMAL = FieldKind.TEXT, FieldKind.CODE, FieldKind.MONEY, FieldKind.DECIMAL
INTEGER, DATE = FieldKind.INTEGER, FieldKind.DATE
NAME, VIN, POSTAL_CODE, CUSTOMER = PersonalData.NAME, PersonalData.VIN, PersonalData.POSTAL_CODE, PersonalData.CUSTOMER
MONEY_WIDTH = 12
DATE_WIDTH = 8  # fixed-width dates are YYYYMMDD

_CATALOGUE = (
    _fact("record_type", CODE, 20, lambda fact: fact.kind.value),
    _fact("journal_position", TEXT, 100, lambda fact: fact.position),
    _fact("business_date", DATE, DATE_WIDTH, lambda fact: fact.business_date),
    _fact("event_id", TEXT, 128, lambda fact: fact.event_id),
    _fact("contract_number", CODE, 20, lambda fact: fact.contract_number),
    _fact("revision", INTEGER, 6, lambda fact: fact.revision),
    _fact("dealer_code", CODE, 10, lambda fact: fact.dealer_code),
    _data("product_code", CODE, 40, "contract.product.code"),
    _fact("product_type", CODE, 12, lambda fact: fact.product_type),
    _fact("oem", CODE, 40, lambda fact: fact.oem),
    _fact("administrator", CODE, 40, lambda fact: fact.administrator),
    _data("sale_date", DATE, DATE_WIDTH, "contract.sale_date"),
    _data("effective_date", DATE, DATE_WIDTH, "contract.effective_date"),
    _data("term_months", INTEGER, 3, "contract.term_months"),
    _data("term_miles", INTEGER, 7, "contract.term_miles"),
    _data("vin", CODE, 17, "contract.vehicle.vin", VIN),
    _data("vehicle_year", INTEGER, 4, "contract.vehicle.year"),
    _data("vehicle_make", TEXT, 40, "contract.vehicle.make"),
    _data("vehicle_model", TEXT, 40, "contract.vehicle.model"),
    _data("vehicle_condition", CODE, 4, "contract.vehicle.condition"),
    _data("sale_odometer", INTEGER, 6, "contract.vehicle.odometer"),
    _data("customer_first_name", TEXT, 50, "contract.customer.first_name", NAME),
    _data("customer_last_name", TEXT, 50, "contract.customer.last_name", NAME),
    _data("customer_state", CODE, 2, "contract.customer.state", CUSTOMER),
    _data("customer_postal_code", CODE, 10, "contract.customer.postal_code", POSTAL_CODE),
    _data("lienholder_code", CODE, 40, "contract.lienholder.code"),
    _data("lienholder_name", TEXT, 100, "contract.lienholder.name"),
    _data("retail_price", MONEY, MONEY_WIDTH, "contract.pricing.retail_price"),
    _data("dealer_cost", MONEY, MONEY_WIDTH, "contract.pricing.dealer_cost"),
    _data("cancel_date", DATE, DATE_WIDTH, "cancellation.cancel_date"),
    _data("cancel_reason", CODE, 16, "cancellation.reason"),
    _data("cancel_odometer", INTEGER, 7, "cancellation.odometer"),
    _data("refund_method", CODE, 10, "refund.method"),
    _data("unearned_fraction", DECIMAL, 8, "refund.unearned_fraction"),
    _data("days_used", INTEGER, 6, "refund.days_used"),
    _data("miles_used", INTEGER, 7, "refund.miles_used"),
    _data("gross_refund", MONEY, MONEY_WIDTH, "refund.gross_refund"),
    _data("cancellation_fee", MONEY, MONEY_WIDTH, "refund.cancellation_fee"),
    _data("claims_deducted", MONEY, MONEY_WIDTH, "refund.claims_deducted"),
    _data("customer_refund", MONEY, MONEY_WIDTH, "refund.customer_refund"),
    _data("provider_refund", MONEY, MONEY_WIDTH, "refund.provider_refund"),
    _data("dealer_chargeback", MONEY, MONEY_WIDTH, "refund.dealer_chargeback"),
    _data("payee", CODE, 10, "refund.payee"),
    # from the change feed: the back office's status changes and paid claims
    _data("back_office_status", CODE, 10, "back_office.status"),
    _data("previous_back_office_status", CODE, 10, "back_office.previous_status"),
    _data("claim_number", CODE, 20, "claim.claim_number"),
    _data("claim_status", CODE, 20, "claim.status"),
    _data("claim_paid_amount", MONEY, MONEY_WIDTH, "claim.paid_amount"),
    _data("claim_paid_date", DATE, DATE_WIDTH, "claim.paid_date"),
    _data("claims_paid_total", DECIMAL, MONEY_WIDTH, "claims_paid"),  # a running total: never summed
    # who requested a cancellation: its dealer or, since lenders may (REFUNDS.md), its lender
    _fact("cancelled_by", CODE, 6, _cancelled_by(code=False)),
    _fact("cancelled_by_code", CODE, 40, _cancelled_by(code=True)),
)

FIELDS: Mapping[str, Field] = MappingProxyType({field.name: field for field in _CATALOGUE})
MONEY_FIELDS = frozenset(name for name, field in FIELDS.items() if field.kind is FieldKind.MONEY)


def unknown_fields(names: Iterable[str]) -> list[str]:
    return [name for name in names if name not in FIELDS]
