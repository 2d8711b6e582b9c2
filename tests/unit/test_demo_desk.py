"""The demo desk's own pieces: the back office's row it sends is one the exchange reads as the connector means it,
and its side-by-side verdict says when a quote and a refund differ (the e2e test sees them agree)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from fnix.demo_desk import paid_row, side_by_side

from function_app.domain.change_feed.envelope import parse_change

QUOTE = {"method": "PRO_RATA", "unearned_fraction": "0.920000", "days_used": 120, "miles_used": 4800,
         "gross_refund": "1651.40", "cancellation_fee": "25.00", "claims_deducted": "0.00",
         "customer_refund": "1626.40", "provider_refund": "726.80", "dealer_chargeback": "899.60",
         "payee": "CUSTOMER", "state_rule": "CA"}


def test_the_paid_row_is_a_contracts_row_with_its_date_as_debezium_encodes_it() -> None:
    at = datetime(2027, 1, 5, 16, 0, tzinfo=UTC)
    body = paid_row("VSC-0007-DESK2", date(2027, 1, 5), at)
    assert json.loads(body)["payload"]["after"]["refund_paid_date"] == 20823  # days since 1970-01-01
    change, reasons = parse_change(body)
    assert reasons == () and change is not None
    assert (change.table, change.contract_number) == ("contracts", "VSC-0007-DESK2")
    assert change.row["status"] == "CANCELLED" and change.row["refund_paid_date"] == "2027-01-05"


def test_the_verdict_agrees_only_when_every_figure_does(capsys: pytest.CaptureFixture[str]) -> None:
    side_by_side(QUOTE, dict(QUOTE))
    assert "quote and refund agree to the cent, every figure" in capsys.readouterr().out
    side_by_side(QUOTE, dict(QUOTE, customer_refund="1626.41", provider_refund="726.81"))
    shown = capsys.readouterr().out
    assert "DISAGREE on customer_refund, provider_refund" in shown and "agree to the cent" not in shown
