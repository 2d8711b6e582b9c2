"""`refund_paid_date` from the change feed's `contracts` rows (EVENTS.md, "Change feed"; REFUNDS.md, "State rules"),
written by the Debezium peer from the back office's declared schema: each DATE encoding, wrapped or not, kept in the
contract's source-of-record state in LSN order; a later row without it means not paid."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from function_app.bootstrap import Exchange
from function_app.domain.change_feed.envelope import parse_change
from function_app.domain.change_feed.source_of_record import SourceOfRecord, apply_change
from tests.events import messages
from tests.partners import memory_exchange
from tests.peers.debezium import CONTRACTS, Connector, Position

NUMBER = "VSC2501150001"
AT = datetime(2026, 4, 4, 16, 0, tzinfo=UTC)
PAID = date(2026, 4, 3)


def row(paid: date | None, status: str = "CANCELLED") -> dict[str, Any]:
    return {"contract_number": NUMBER, "status": status, "refund_paid_date": paid, "premium": None,
            "underwriter_notes": None, "modified_at": datetime(2026, 4, 4, 10, 0), "row_version": 3}


def change(paid: date | None, commit: int, *, schemas: bool = True) -> bytes:
    return Connector(schemas=schemas).change(CONTRACTS, "u", row(None), row(paid), Position(commit, commit), AT)


def with_column(body: bytes, value: object) -> bytes:
    """The same change with `refund_paid_date` as another encoding writes it (`time.precision.mode` or a converter)."""
    document = json.loads(body)
    payload = document.get("payload", document)
    payload["after"]["refund_paid_date"] = value
    return json.dumps(document).encode()


@pytest.mark.parametrize("schemas", [True, False], ids=["wrapped", "unwrapped"])
@pytest.mark.parametrize("encoded", [None, "2026-04-03", "2026-04-03Z"], ids=["days", "iso", "iso-z"])
def test_refund_paid_date_reads_the_same_in_each_encoding(schemas: bool, encoded: str | None) -> None:
    body = change(PAID, 0x30, schemas=schemas)
    if encoded is not None:
        body = with_column(body, encoded)
    else:
        assert json.loads(body).get("payload", json.loads(body))["after"]["refund_paid_date"] == 20546  # days
    parsed, reasons = parse_change(body)
    assert reasons == () and parsed is not None
    assert parsed.row["refund_paid_date"] == "2026-04-03"
    assert apply_change(SourceOfRecord(), parsed).state.refund_paid_date == PAID


def test_a_date_that_is_no_date_is_refused_with_its_column() -> None:
    _, reasons = parse_change(with_column(change(PAID, 0x30), "3 April"))
    assert [r.field for r in reasons] == ["refund_paid_date"]


def stored_paid(exchange: Exchange) -> date | None:
    return exchange.contracts.load([NUMBER], {}).contracts[NUMBER].record.source_of_record.refund_paid_date


def test_paid_then_unpaid_in_lsn_order_and_an_older_row_arriving_late_changes_nothing() -> None:
    exchange = memory_exchange()
    feed = exchange.realtime.process
    at = AT + timedelta(seconds=1)
    feed(messages("policy-admin-cdc", [change(None, 0x30)], at=at))
    assert stored_paid(exchange) is None
    feed(messages("policy-admin-cdc", [change(PAID, 0x40)], start=1, at=at))
    assert stored_paid(exchange) == PAID
    feed(messages("policy-admin-cdc", [change(None, 0x35)], start=2, at=at))  # older than the payment: stale
    assert stored_paid(exchange) == PAID
    feed(messages("policy-admin-cdc", [change(None, 0x50)], start=3, at=at))  # a later row without it: not paid
    assert stored_paid(exchange) is None
