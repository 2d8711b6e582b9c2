"""A refund overdue end to end on Azurite: the cancellation's contract owes its refund past its state rule's
deadline, reconciliation reports REFUND_OVERDUE; the back office's `contracts` row then arrives on the change feed
as a default Debezium SQL Server connector writes it (schema wrapper, `refund_paid_date` as `io.debezium.time.Date`
days since the epoch), and the next run resolves the break."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from function_app.adapters.reconciliation.page import render_html
from function_app.bootstrap import bootstrap
from function_app.config import Settings
from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.reconciliation.model import BreakKind
from function_app.service_layer.kernel.ports import ContractChange, StoredContract
from tests.events import messages
from tests.partners import DEFAULT_PARTNERS, Clock
from tests.peers.debezium import CONTRACTS, Connector, Position
from tests.refunds_owed import DECIDED, owing

NUMBER = "VSC8000001"
MORNING = datetime(2026, 4, 4, 13, 0, tzinfo=UTC)  # three days past the due date, 1 April
PAID_ON = date(2026, 4, 4)


def contracts_row(paid: date | None) -> dict[str, Any]:
    return {"contract_number": NUMBER, "status": "CANCELLED", "refund_paid_date": paid, "premium": None,
            "underwriter_notes": "refund cheque 4471", "modified_at": MORNING, "row_version": 9}


def test_a_refund_reported_paid_on_the_change_feed_resolves_its_open_break(storage_settings: Settings) -> None:
    clock = Clock(MORNING)
    exchange = bootstrap(storage_settings, partners=DEFAULT_PARTNERS, clock=clock)
    record = owing(NUMBER)
    exchange.contracts.save([ContractChange(NUMBER, StoredContract(ContractRecord(NUMBER)), record)])

    first = exchange.reconciliation.run(date(2026, 4, 3))
    [overdue] = first.refunds_overdue
    assert (overdue.kind, overdue.key, overdue.business_date) == (BreakKind.REFUND_OVERDUE, NUMBER, DECIDED)
    assert "state rule TX" in overdue.detail and overdue.detail.endswith("3 days overdue")
    assert [b.key for b in exchange.breaks.open_standing()] == [NUMBER]

    body = Connector().change(CONTRACTS, "u", contracts_row(None), contracts_row(PAID_ON),
                              Position(0x2A_00000A10_0003, 0x2A_00000A10_0002), MORNING)
    column = json.loads(body)["payload"]["after"]["refund_paid_date"]
    assert column == (PAID_ON - date(1970, 1, 1)).days  # Debezium's default DATE encoding
    report = exchange.realtime.process(messages("policy-admin-cdc", [body], at=MORNING + timedelta(seconds=2)))
    assert report.dead_letters == []
    stored = exchange.contracts.load([NUMBER], {}).contracts[NUMBER].record
    assert stored.source_of_record.refund_paid_date == PAID_ON
    assert list(exchange.contracts.refunds_owed()) == []

    clock.now = MORNING + timedelta(days=1)
    second = exchange.reconciliation.run(date(2026, 4, 4))
    assert second.refunds_overdue == ()
    assert [(b.kind, b.key, b.detail) for b in second.resolved] == [(BreakKind.REFUND_OVERDUE, NUMBER, "")]
    assert exchange.breaks.open_standing() == []
    assert "Resolved since last run" in render_html(second)
