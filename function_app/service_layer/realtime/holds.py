"""Cancellations held for a contract that never came: rejected CONTRACT_NOT_FOUND after the hold period."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from function_app import telemetry
from function_app.domain.realtime.contracts import EventContext, Outcome
from function_app.domain.realtime.decisions import ContractBook
from function_app.service_layer.kernel.dead_letters import held_letter
from function_app.service_layer.kernel.ports import (
    ConcurrencyConflict,
    ContractChange,
    ContractStore,
    DeadLetterStore,
    InboxEntry,
    InboxStatus,
    Snapshot,
)
from function_app.service_layer.realtime.report import BatchReport
from function_app.service_layer.realtime.service import MAX_ATTEMPTS


class HoldExpiry:
    def __init__(
        self,
        contracts: ContractStore,
        dead_letters: DeadLetterStore,
        book: ContractBook,
        zone: ZoneInfo,
        hold: timedelta,
    ) -> None:
        self._contracts = contracts
        self._dead_letters = dead_letters
        self._book = book
        self._zone = zone
        self._hold = hold

    def run(self, now: datetime) -> BatchReport:
        due: dict[str, set[str]] = defaultdict(set)
        for marker in self._contracts.held_before(now - self._hold):
            due[marker.routing_key].add(marker.input_key)
        report = BatchReport()
        for _attempt in range(MAX_ATTEMPTS):
            if not due:
                return report
            snapshot = self._contracts.load(due, {})
            changes, outcomes = self._expire(due, snapshot, now)
            lost = self._contracts.save(changes)
            self._answer(report, [o for key, o in outcomes if key not in lost])
            due = {key: due[key] for key in lost}
        raise ConcurrencyConflict(f"held cancellations kept changing: {sorted(due)[:5]}")

    def _expire(
        self, due: dict[str, set[str]], snapshot: Snapshot, now: datetime
    ) -> tuple[list[ContractChange], list[tuple[str, Outcome]]]:
        changes = []
        outcomes = []
        for key, stored in snapshot.contracts.items():
            record = stored.record
            change = ContractChange(key, stored, record)
            for held in [h for h in record.held if h.input_key in due[key]]:
                ctx = EventContext(held.input_key, held.event_id, held.source, held.position,
                                   now.astimezone(self._zone).date(), now, partition_key=held.partition_key)
                record, outcome = self._book.expire(record, held, ctx)
                entry = InboxEntry(held.input_key, key, InboxStatus.DECIDED, (outcome.feedback(),))
                change.replaced_entries.append(entry)
                outcomes.append((key, outcome))
            change.after = record
            changes.append(change)
        return changes, outcomes

    def _answer(self, report: BatchReport, outcomes: list[Outcome]) -> None:
        letters = []
        for outcome in outcomes:
            report.decided(outcome.feedback())
            telemetry.events.add(1, {"hub": "cancellations", "status": "REJECTED", "reason": "CONTRACT_NOT_FOUND"})
            assert outcome.held is not None and outcome.decision is not None
            letters.append(held_letter(outcome.held, outcome.decision.reasons, self._zone))
        self._dead_letters.put(letters)
        report.dead_letters.extend(letter.blob_name for letter in letters)
        telemetry.dead_letters.add(len(letters), {"hub": "cancellations"})
