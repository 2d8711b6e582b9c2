"""The field catalogue: what each column reads from a journal fact, and widths that hold the event contract's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from function_app.domain.delivery.fields import FIELDS, MONEY_FIELDS, FieldKind, unknown_fields
from tests.unit.partner_files.facts import sample_facts

REQUIRED = [
    "record_type", "journal_position", "business_date", "event_id", "contract_number", "revision", "dealer_code",
    "product_code", "product_type", "oem", "administrator", "sale_date", "effective_date", "term_months",
    "term_miles", "vin", "vehicle_year", "vehicle_make", "vehicle_model", "vehicle_condition", "sale_odometer",
    "customer_first_name", "customer_last_name", "customer_state", "customer_postal_code", "lienholder_code",
    "lienholder_name", "retail_price", "dealer_cost", "cancel_date", "cancel_reason", "cancel_odometer",
    "refund_method", "unearned_fraction", "gross_refund", "cancellation_fee", "claims_deducted", "customer_refund",
    "provider_refund", "dealer_chargeback", "payee",
]

ACCEPTED, REVISED, GAP_ACCEPTED, GAP_CANCELLED, FORMULAS, MORE_FORMULAS, NON_LATIN = sample_facts()


def test_the_catalogue_covers_every_required_field() -> None:
    assert unknown_fields(REQUIRED) == []
    assert unknown_fields(["vin", "shoe_size"]) == ["shoe_size"]


def test_money_fields_are_the_fields_of_kind_money() -> None:
    assert {
        "retail_price", "dealer_cost", "gross_refund", "cancellation_fee", "claims_deducted", "customer_refund",
        "provider_refund", "dealer_chargeback", "claim_paid_amount",
    } == MONEY_FIELDS
    assert all(FIELDS[name].kind is FieldKind.MONEY for name in MONEY_FIELDS)


@pytest.mark.parametrize(
    ("name", "limit"),
    [("customer_first_name", 50), ("customer_last_name", 50), ("vehicle_make", 40), ("vehicle_model", 40),
     ("event_id", 128), ("contract_number", 20), ("dealer_code", 10), ("lienholder_name", 100), ("vin", 17),
     ("product_code", 40), ("oem", 40), ("administrator", 40), ("sale_odometer", 6), ("cancel_odometer", 7),
     ("record_type", len("CONTRACT_CANCELLED")), ("cancel_reason", len("CUSTOMER_REQUEST"))],
)
def test_widths_hold_the_event_contracts_limits(name: str, limit: int) -> None:
    assert FIELDS[name].width >= limit


def test_money_columns_hold_the_largest_retail_price() -> None:
    assert all(FIELDS[name].width >= len("100000.00") + 3 for name in MONEY_FIELDS)


def test_an_accepted_contract_reads_its_submission_and_leaves_cancellation_fields_empty() -> None:
    cells = {name: field.extract(ACCEPTED) for name, field in FIELDS.items()}
    assert cells["record_type"] == "CONTRACT_ACCEPTED"
    assert cells["business_date"] == date(2026, 3, 2)
    assert cells["sale_date"] == date(2025, 1, 15)
    assert cells["retail_price"] == Decimal("2495.00")
    assert cells["term_miles"] == 60000
    assert cells["customer_first_name"] == "María"
    assert cells["lienholder_code"] == "FPCU"
    cancellation_fields = ("cancel_date", "cancel_reason", "refund_method", "gross_refund", "payee")
    assert all(cells[name] is None for name in cancellation_fields)


def test_a_cancellation_reads_its_request_and_refund() -> None:
    cells = {name: field.extract(GAP_CANCELLED) for name, field in FIELDS.items()}
    assert cells["record_type"] == "CONTRACT_CANCELLED"
    assert cells["cancel_date"] == date(2026, 2, 20)
    assert cells["cancel_reason"] == "TOTAL_LOSS"
    assert cells["cancel_odometer"] == 15230
    assert cells["unearned_fraction"] == Decimal("0.791476")
    assert cells["customer_refund"] == Decimal("683.37")
    assert cells["payee"] == "LIENHOLDER"
    assert cells["term_miles"] is None
    assert cells["miles_used"] is None


def test_absent_optional_values_are_empty() -> None:
    assert FIELDS["oem"].extract(FORMULAS) is None
    assert FIELDS["lienholder_name"].extract(FORMULAS) is None


def test_a_fact_without_a_contract_section_reads_as_empty_not_as_an_error() -> None:
    """Later fact kinds (status changes, claims) carry other sections: contract fields are then simply empty."""
    other = replace(ACCEPTED, data={"claim": {"claim_number": "CL-1"}})
    assert all(FIELDS[name].extract(other) is None for name in ("sale_date", "vin", "retail_price", "gross_refund"))
    assert FIELDS["contract_number"].extract(other) == "VSC2501150001"
