"""What one batch came to: the feedback to send, in input order, and the counts an operator wants."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from function_app.domain.kernel.feedback import Feedback
from function_app.domain.realtime.parsing import ParsedEvent


@dataclass
class BatchReport:
    feedback: list[Feedback] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    held: int = 0
    redelivered: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # change-feed side records, by kind: not answered
    facts: int = 0
    refunds_total: Decimal = Decimal("0.00")
    dead_letters: list[str] = field(default_factory=list)
    answers: list[tuple[ParsedEvent, Feedback | None]] = field(default_factory=list, repr=False)

    def decided(self, feedback: Feedback) -> None:
        """A decision made now: sent, and counted by status, reason and refund."""
        self.feedback.append(feedback)
        decision = feedback.decision
        self.statuses[decision.status.value] += 1
        for reason in decision.reasons:
            self.reasons[reason.code.value] += 1
        if decision.refund:
            self.refunds_total += decision.refund.customer_refund

    def merge(self, other: BatchReport) -> None:
        self.feedback.extend(other.feedback)
        self.statuses.update(other.statuses)
        self.reasons.update(other.reasons)
        self.held += other.held
        self.redelivered += other.redelivered
        self.skipped.update(other.skipped)
        self.facts += other.facts
        self.refunds_total += other.refunds_total
        self.dead_letters.extend(other.dead_letters)
