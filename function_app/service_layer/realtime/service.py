"""The real-time path: decide a batch of dealer events, record them once, answer every one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from function_app import telemetry
from function_app.domain.change_feed.records import RowChange
from function_app.domain.kernel.feedback import Decision, Status, feedback_id
from function_app.domain.kernel.messages import InboundMessage
from function_app.domain.realtime.contracts import ContractRecord, EventContext, Outcome
from function_app.domain.realtime.decisions import ContractBook
from function_app.domain.realtime.parsing import CHANGE_FEED_HUB, ParsedEvent, parse_message
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission
from function_app.service_layer.kernel.dead_letters import event_letter, outcome_letter
from function_app.service_layer.kernel.in_flight import InFlightWriters
from function_app.service_layer.kernel.observations import observe_batch, observe_skipped
from function_app.service_layer.kernel.ports import (
    ConcurrencyConflict,
    ContractChange,
    ContractStore,
    DeadLetter,
    DeadLetterStore,
    IdentityClaim,
    InboxEntry,
    Journal,
    Snapshot,
    StoredContract,
)
from function_app.service_layer.realtime.batches import (
    Answer,
    ContractEvents,
    blank,
    by_contract,
    facts_of,
    first_occurrences,
    own_feedback,
    record_entries,
    waves,
    without_side_records,
)
from function_app.service_layer.realtime.report import BatchReport
from function_app.service_layer.realtime.writers import BatchWriters

MAX_ATTEMPTS = 6
CLAIM_TIMEOUT = timedelta(minutes=15)  # longer than any invocation lives: an older claim's writer is gone


class RealtimeService:
    def __init__(
        self,
        contracts: ContractStore,
        journal: Journal,
        dead_letters: DeadLetterStore,
        book: ContractBook,
        zone: ZoneInfo,
        optimistic_hubs: frozenset[str] = frozenset({"contracts"}),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        in_flight: InFlightWriters | None = None,
    ) -> None:
        self._clock = clock
        self._writers = BatchWriters(in_flight, clock)
        self._contracts = contracts
        self._journal = journal
        self._dead_letters = dead_letters
        self._book = book
        self._zone = zone
        self._optimistic_hubs = optimistic_hubs
        self._now = clock()

    def process(
        self, messages: Sequence[InboundMessage], *, redecide: frozenset[str] = frozenset(), more_waiting: bool = False
    ) -> BatchReport:
        """Decides every message. Raises only for platform faults, so that the trigger redelivers the batch.

        Order of writes: the batch registered as a writer in flight, contract records with their inbox entries
        (atomic per contract), then the journal, then the registration released (see BatchWriters), then dead
        letters. A crash in between is repaired by the redelivery, which finds the inbox entries and writes their
        facts and letters again; both writes are idempotent. A crashed batch's registration is never released: it
        holds delivery back to its stamps until it expires, so a redelivery within that time writes facts no file
        has passed over.
        `redecide` names inputs whose earlier answer is set aside (an operator's dead-letter replay); `more_waiting`:
        the stream's next batch follows at once (the trigger handed a full batch), so it releases this one's entry.
        """
        if not messages:
            return self._process(messages, redecide, None, more_waiting)
        stream, stamp = self._writers.begin(messages[0].hub, messages[0].partition)  # before any position is stamped
        try:
            return self._process(messages, redecide, stream, more_waiting)
        except BaseException:
            self._writers.failed(stream, stamp)
            raise

    def _process(
        self, messages: Sequence[InboundMessage], redecide: frozenset[str], stream: str | None, more_waiting: bool
    ) -> BatchReport:
        first = messages[0] if messages else None
        with telemetry.span(
            "fni.decide_batch",
            **{"fni.hub": first and first.hub, "fni.partition": first and first.partition,
               "fni.batch_size": len(messages), "fni.first_sequence": first and first.sequence_number},
        ):
            parsed, skipped = without_side_records([parse_message(m, self._zone) for m in messages])
            firsts = first_occurrences(parsed)
            answers = self._resolve_identities(list(firsts.values()))
            undecided = [event for key, event in firsts.items() if key not in answers]
            blind = bool(messages) and all(m.hub in self._optimistic_hubs for m in messages) and not redecide
            for number, wave in enumerate(waves(by_contract(undecided))):
                answers.update(self._decide_all(wave, blind and number == 0, redecide))
            facts = sorted(facts_of(answers.values()), key=lambda f: (f.business_date, f.position))
            self._journal.append(facts)
            if stream is not None:
                self._writers.committed(stream, more_waiting)
            report = self._answer(parsed, firsts, answers)
            report.facts = len(facts)
            report.skipped.update(skipped)
            observe_batch(parsed, report, self._clock())
            observe_skipped(first.hub if first else "", skipped)
        return report

    def _resolve_identities(self, events: list[ParsedEvent]) -> dict[str, Answer]:
        """The idempotency key is `source` + `id` across all contracts (EVENTS.md): an input first decided under
        another contract is answered from that contract's inbox entry, whatever it now names.

        Each input claims its identity (create-if-absent, naming its contract) before its contract is written;
        the contract's write (record and inbox entry in one transaction) stays the one that decides. Crash
        windows: after the claim and before the contract's write, the claim names a contract without an entry.
        The same message redelivered, or any message naming the same contract, is decided as before (the
        entry's create-if-absent arbitrates among them). A message naming another contract waits (the batch
        raises ConcurrencyConflict and is redelivered) until the entry is written, or until the claim is older
        than CLAIM_TIMEOUT, longer than any invocation lives (the host's functionTimeout is 10 min): the
        claimant is dead, and the claim is taken over under its ETag, so that of two takers one wins, and the
        first claimant's redelivery, meeting the new claim, is answered from it. After the contract's write
        the entry exists where the claim points: every later message with that identity gets that answer.
        """
        claimable = [e for e in events if e.event_id is not None and e.source is not None
                     and e.message.hub != CHANGE_FEED_HUB]  # a change's identity is its row and log position
        now = self._clock()
        standing = self._contracts.claim([IdentityClaim(e.input_key, e.routing_key, now) for e in claimable]
                                         ) if claimable else {}
        waiting = {e.input_key: e for e in claimable if standing[e.input_key].routing_key != e.routing_key}
        answers: dict[str, Answer] = {}
        for _attempt in range(MAX_ATTEMPTS):
            if not waiting:
                return answers
            found = self._contracts.load([], {key: standing[key].routing_key for key in waiting}).inbox
            for key, event in list(waiting.items()):
                claim = standing[key]
                if key in found:
                    answers[key] = found[key]
                elif claim.claimed_at >= now - CLAIM_TIMEOUT:
                    continue
                elif self._contracts.take_over(claim, IdentityClaim(key, event.routing_key, now)):
                    standing[key] = IdentityClaim(key, event.routing_key, now)
                else:
                    standing.update(self._contracts.claim([IdentityClaim(key, event.routing_key, now)]))
                if key in answers or standing[key].routing_key == event.routing_key:
                    del waiting[key]
        raise ConcurrencyConflict(f"inputs first claimed by a contract not yet written: {sorted(waiting)[:5]}")

    def _decide_all(self, groups: list[ContractEvents], blind: bool, redecide: frozenset[str]) -> dict[str, Answer]:
        pending = {g.routing_key: g for g in groups}
        answers: dict[str, Answer] = {}
        for attempt in range(MAX_ATTEMPTS):
            self._now = self._clock()
            snapshot = blank(pending) if blind and attempt == 0 else self._load(pending.values())
            decided = [self._decide_group(g, snapshot, redecide) for g in pending.values()]
            lost = self._contracts.save([change for change, _ in decided])
            for change, group_answers in decided:
                if change.routing_key not in lost:
                    answers.update(group_answers)
            pending = {key: pending[key] for key in lost}
            if not pending:
                return answers
        raise ConcurrencyConflict(f"contracts kept changing under this batch: {sorted(pending)[:5]}")

    def _load(self, groups: Iterable[ContractEvents]) -> Snapshot:
        groups = list(groups)
        inbox = {e.input_key: g.routing_key for g in groups for e in g.events}
        return self._contracts.load([g.routing_key for g in groups], inbox)

    def _decide_group(
        self, group: ContractEvents, snapshot: Snapshot, redecide: frozenset[str]
    ) -> tuple[ContractChange, dict[str, Answer]]:
        before = snapshot.contracts.get(group.routing_key) or StoredContract(ContractRecord(group.routing_key))
        change = ContractChange(group.routing_key, before, before.record)
        answers: dict[str, Answer] = {}
        for event in group.events:
            key = event.input_key
            entry = snapshot.inbox.get(key)
            if key in answers:
                continue
            if entry is not None and key not in redecide:
                answers[key] = entry
                continue
            change.after, produced = self._decide_event(change.after, event)
            answers[key] = produced
            record_entries(change, event, produced, replaced=entry is not None)
        return change, answers

    def _decide_event(self, record: ContractRecord, event: ParsedEvent) -> tuple[ContractRecord, list[Outcome]]:
        ctx = self._context(event)
        if event.reasons or event.payload is None:
            decision = Decision.rejected(*event.reasons)
            outcome = Outcome(ctx.input_key, ctx.event_id, ctx.source, event.routing_key, decision, ctx.received_at,
                              partition_key=ctx.partition_key)
            return record, [outcome]
        if isinstance(event.payload, ContractSubmission):
            return self._book.submit(record, event.payload, event.content_hash, ctx)
        if isinstance(event.payload, RowChange):
            record, outcome = self._book.apply_change(record, event.payload, ctx)
            return record, [outcome]
        assert isinstance(event.payload, CancellationRequest)
        record, outcome = self._book.cancel(record, event.payload, event.content_hash, ctx)
        return record, [outcome]

    def _context(self, event: ParsedEvent) -> EventContext:
        message = event.message
        changed_on = event.payload.business_date(self._zone) if isinstance(event.payload, RowChange) else None
        return EventContext(
            input_key=event.input_key,
            event_id=event.event_id or "",
            source=event.source or "",
            position=message.position(self._now),
            business_date=changed_on or message.business_date(self._zone),
            received_at=message.enqueued_time,
            partition_key=message.partition_key,
        )

    def _answer(self, parsed: list[ParsedEvent], firsts: dict[str, ParsedEvent], answers: dict[str, Answer]
                ) -> BatchReport:
        """One feedback per delivered input, in input order; released cancellations follow their contract.
        An input delivered twice in the batch gets its first delivery's answer again (same feedback id)."""
        report = BatchReport()
        letters: dict[str, DeadLetter] = {}
        for event in parsed:
            answer = answers[event.input_key]
            if firsts[event.input_key] is not event:
                again = own_feedback(event.input_key, answer)
                report.redelivered += 1
                report.feedback.extend([again] if again else [])
                report.answers.append((event, again))
                continue
            if isinstance(answer, InboxEntry):
                report.redelivered += 1
                report.feedback.extend(answer.feedback)
                own = [fb for fb in answer.feedback if fb.id == feedback_id(answer.input_key)]
                report.answers.append((event, own[0] if own else None))
                if own and own[0].decision.status is Status.REJECTED:
                    letter = event_letter(event, own[0].decision.reasons, self._zone)
                    letters[letter.blob_name] = letter
                continue
            for outcome in answer:
                self._report_outcome(report, letters, outcome, event if outcome.input_key == event.input_key else None)
        self._dead_letters.put(list(letters.values()))
        report.dead_letters = sorted(letters)
        return report

    def _report_outcome(
        self, report: BatchReport, letters: dict[str, DeadLetter], outcome: Outcome, event: ParsedEvent | None
    ) -> None:
        fb = outcome.feedback() if outcome.decision is not None else None
        if event is not None:
            report.answers.append((event, fb))
        if fb is None or outcome.decision is None:
            report.held += 1
            return
        report.decided(fb)
        if outcome.decision.status is Status.REJECTED:
            letter = outcome_letter(outcome, event, self._zone)
            letters[letter.blob_name] = letter
