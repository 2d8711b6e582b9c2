"""Refunds overdue (REFUNDS.md, "State rules"): a cancellation whose state rule gives the refund a deadline
(`refund_due_days` from its decision date) and whose refund the back office has not reported paid
(`refund_paid_date` on its `contracts` row) by then. These breaks stand apart from a business date's run: every
refund still owed is checked each run, whatever the date of its cancellation, and a break resolves once the payment
is reported (late or not: a refund paid late leaves nothing to chase)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from function_app.domain.realtime.contracts import ContractRecord, ContractStatus
from function_app.domain.reconciliation.model import Break, BreakKind
from function_app.domain.reconciliation.runs import distinct

REFUNDS_OWED = "refunds-owed"  # the scope of these breaks: the exchange's cancellations against the back office


@dataclass(frozen=True)
class RefundDeadline:
    contract_number: str
    decided_on: date
    due_on: date  # the last day the refund may be paid
    state_rule: str | None

    def days_overdue(self, as_of: date) -> int:
        return max((as_of - self.due_on).days, 0)


def refund_deadline(record: ContractRecord) -> RefundDeadline | None:
    """The deadline a cancelled contract's refund is owed by; None when no state rule set one (or the cancellation
    predates its decision date being kept)."""
    cancellation = record.cancellation
    if record.status is not ContractStatus.CANCELLED or cancellation is None:
        return None
    if cancellation.decided_on is None or cancellation.refund_due_days is None:
        return None
    due = cancellation.decided_on + timedelta(days=cancellation.refund_due_days)
    return RefundDeadline(record.contract_number, cancellation.decided_on, due, cancellation.refund.state_rule)


def refund_owed(record: ContractRecord) -> bool:
    """Whether a cancelled contract owes a refund with a deadline that the back office has not reported paid: what
    the contract store indexes, so a run reads only these records."""
    return refund_deadline(record) is not None and record.source_of_record.refund_paid_date is None


def overdue_breaks(records: Iterable[ContractRecord], as_of: date) -> tuple[Break, ...]:
    """A REFUND_OVERDUE break for each record whose refund is unpaid after its due date (`as_of` is today's business
    date: the due date itself is not overdue yet). A payment reported at all, even before the decision date or late,
    is not overdue."""
    breaks = []
    for record in records:
        deadline = refund_deadline(record)
        if deadline is None or record.source_of_record.refund_paid_date is not None:
            continue
        days = deadline.days_overdue(as_of)
        if days > 0:
            breaks.append(_overdue(deadline, days))
    return distinct(breaks)


def _overdue(deadline: RefundDeadline, days: int) -> Break:
    rule = f"state rule {deadline.state_rule}" if deadline.state_rule else "no named state rule"
    detail = (f"{deadline.contract_number}: the refund of its cancellation ({rule}) was due by "
              f"{deadline.due_on.isoformat()} and is not reported paid: {days} day{'' if days == 1 else 's'} overdue")
    number = deadline.contract_number
    return Break(BreakKind.REFUND_OVERDUE, deadline.decided_on, REFUNDS_OWED, number, number, detail)
