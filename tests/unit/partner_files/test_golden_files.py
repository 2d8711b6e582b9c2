"""Whole files, byte for byte, against checked-in golden files (UPDATE_GOLDEN=1 rewrites them, for review)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from function_app.domain.delivery.fields import FIELDS
from function_app.domain.delivery.formats import EXTENSIONS
from function_app.domain.delivery.records import PiiLevel
from tests.unit.partner_files.facts import sample_facts
from tests.unit.partner_files.writing import file_bytes

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "partner_files"
FEEDS: dict[str, tuple[list[str], PiiLevel]] = {
    "all_fields": (list(FIELDS), PiiLevel.FULL),
    "lender": (
        ["record_type", "contract_number", "revision", "dealer_code", "product_type", "customer_first_name",
         "customer_last_name", "vin", "retail_price", "cancel_date", "customer_refund", "payee"],
        PiiLevel.FULL,
    ),
    "oem": (
        ["record_type", "contract_number", "oem", "sale_date", "vin", "vehicle_model", "customer_first_name",
         "customer_last_name", "customer_state", "retail_price", "dealer_chargeback"],
        PiiLevel.MASKED,
    ),
}


@pytest.mark.parametrize("format", sorted(EXTENSIONS))
@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_a_file_matches_its_golden_file(feed: str, format: str) -> None:
    fields, pii = FEEDS[feed]
    written = file_bytes(format, sample_facts(), fields, pii)
    golden = GOLDEN / f"{feed}.{EXTENSIONS[format]}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(written)
    assert written == golden.read_bytes()
