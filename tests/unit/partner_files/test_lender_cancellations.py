"""A lender's cancellation in every partner format: its request has no dealer_code, nothing is lost, and who asked
shows in `cancelled_by` / `cancelled_by_code` (the contract's dealer stays in `dealer_code`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from function_app.adapters.kernel.partner_config_file import load_partner_config
from function_app.domain.delivery.fields import FIELDS
from function_app.domain.delivery.formats import EXTENSIONS
from function_app.domain.delivery.parsing import parse_rows
from function_app.domain.delivery.records import PiiLevel, pii_violations
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.realtime.contracts import ContractRecord
from tests.unit.partner_files.facts import GAP, GAP_TOTAL_LOSS, VSC, cancelled, submitted
from tests.unit.partner_files.writing import file_bytes

SHIPPED = Path(__file__).resolve().parents[3] / "config" / "partners.json"
REPOSSESSION = {"contract_number": "VSC2501150001", "lienholder_code": "FPCU", "cancel_date": "2026-03-02",
                "odometer": 30500, "reason": "REPOSSESSION"}


def lender_fact() -> JournalFact:
    record, _ = submitted(ContractRecord.empty(VSC["contract_number"]), VSC, 1)
    return cancelled(record, REPOSSESSION, 2)


def dealer_fact() -> JournalFact:
    record, _ = submitted(ContractRecord.empty(GAP["contract_number"]), GAP, 3)
    return cancelled(record, GAP_TOTAL_LOSS, 4)


def lender_feed() -> tuple[list[str], PiiLevel]:
    partner = next(p for p in load_partner_config(SHIPPED).partners if p.kind == "LENDER")
    feed = partner.feeds[0]
    assert feed.filter.lienholder_codes == ["FPCU"]
    return list(feed.fields), feed.pii


def test_the_lender_s_feed_receives_its_own_cancellation() -> None:
    partner = next(p for p in load_partner_config(SHIPPED).partners if p.kind == "LENDER")

    assert partner.feeds[0].filter.matches(lender_fact())
    assert not partner.feeds[0].filter.matches(dealer_fact())  # PSAF's contract: another lender's


@pytest.mark.parametrize("format", sorted(EXTENSIONS))
def test_the_shipped_lender_feed_shows_who_cancelled_in_every_format(format: str) -> None:
    fields, pii = lender_feed()

    written = file_bytes(format, [lender_fact(), dealer_fact()], fields, pii)

    rows = [dict(zip(fields, row, strict=True)) for row in parse_rows(format, written, fields)]
    assert [(r["cancelled_by"], r["cancelled_by_code"], r["dealer_code"]) for r in rows] == [
        ("LENDER", "FPCU", "D10442"), ("DEALER", "D20117", "D20117")]
    assert [(r["cancel_reason"], r["payee"], r["customer_refund"]) for r in rows] == [
        ("REPOSSESSION", "LIENHOLDER", "1675.71"), ("TOTAL_LOSS", "LIENHOLDER", "683.37")]


@pytest.mark.parametrize("format", sorted(EXTENSIONS))
@pytest.mark.parametrize("pii", list(PiiLevel))
def test_every_field_of_a_lender_cancellation_is_delivered(format: str, pii: PiiLevel) -> None:
    fields = [name for name in FIELDS if not pii_violations([name], pii)]
    fact = lender_fact()

    (row,) = parse_rows(format, file_bytes(format, [fact], fields, pii), fields)

    cells = dict(zip(fields, row, strict=True))
    assert (cells["record_type"], cells["contract_number"], cells["cancel_date"]) == (
        "CONTRACT_CANCELLED", "VSC2501150001", "2026-03-02")
    assert (cells["gross_refund"], cells["dealer_chargeback"]) == ("1725.71", "914.88")
