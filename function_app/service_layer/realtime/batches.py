"""A batch of parsed events arranged for deciding: each input once, grouped by contract, in waves that fit one write;
and what each input got (its outcomes now, or the inbox entry of the first time)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from function_app.domain.change_feed.records import SideRecord
from function_app.domain.kernel import bounds
from function_app.domain.kernel.feedback import Feedback, feedback_id
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.realtime.contracts import ContractRecord, Outcome
from function_app.domain.realtime.parsing import ParsedEvent
from function_app.service_layer.kernel.ports import ContractChange, InboxEntry, InboxStatus, Snapshot, StoredContract

WAVE = bounds.EVENTS_PER_WRITE  # events of one contract decided per write: it must fit one transaction

# What an input got: the outcomes it caused now (its own first), or the entry recorded the first time.
Answer = list[Outcome] | InboxEntry


@dataclass
class ContractEvents:
    """One contract's events in this batch, in stream order."""

    routing_key: str
    events: list[ParsedEvent]


def without_side_records(parsed: list[ParsedEvent]) -> tuple[list[ParsedEvent], Counter[str]]:
    """Change-feed records that carry no row change are skipped and counted: not decided, answered or dead-lettered."""
    skipped = Counter(e.payload.value for e in parsed if isinstance(e.payload, SideRecord))
    return [e for e in parsed if not isinstance(e.payload, SideRecord)], skipped


def first_occurrences(parsed: list[ParsedEvent]) -> dict[str, ParsedEvent]:
    """Each input once, its first delivery in stream order: the one that is decided."""
    firsts: dict[str, ParsedEvent] = {}
    for event in sorted(parsed, key=lambda e: e.message.stream_order()):
        firsts.setdefault(event.input_key, event)
    return firsts


def own_feedback(input_key: str, answer: Answer) -> Feedback | None:
    """The answer to this very input among what its answer sent (None: it is held)."""
    if isinstance(answer, InboxEntry):
        return next((fb for fb in answer.feedback if fb.id == feedback_id(input_key)), None)
    own = answer[0]
    return own.feedback() if own.decision is not None else None


def by_contract(parsed: list[ParsedEvent]) -> list[ContractEvents]:
    groups: dict[str, ContractEvents] = {}
    for event in parsed:
        groups.setdefault(event.routing_key, ContractEvents(event.routing_key, [])).events.append(event)
    for group in groups.values():
        group.events.sort(key=lambda e: e.message.stream_order())
    return list(groups.values())


def waves(groups: list[ContractEvents]) -> Iterator[list[ContractEvents]]:
    """Splits a contract with many events in one batch into consecutive writes, in stream order."""
    for start in range(0, max((len(g.events) for g in groups), default=0), WAVE):
        wave = [ContractEvents(g.routing_key, g.events[start : start + WAVE]) for g in groups if len(g.events) > start]
        yield wave


def blank(groups: dict[str, ContractEvents]) -> Snapshot:
    """The optimistic guess for new contracts: nothing stored yet. A wrong guess fails the write."""
    return Snapshot({key: StoredContract(ContractRecord(key)) for key in groups}, {})


def facts_of(answers: Iterable[Answer]) -> Iterable[JournalFact]:
    for answer in answers:
        if isinstance(answer, InboxEntry):
            yield from answer.facts
        else:
            for outcome in answer:
                yield from outcome.facts


def record_entries(change: ContractChange, event: ParsedEvent, produced: list[Outcome], *, replaced: bool) -> None:
    """The deciding input's entry carries every feedback and fact it caused (its outbox)."""
    own = produced[0]
    status = InboxStatus.HELD if own.decision is None else InboxStatus.DECIDED
    feedback = tuple(o.feedback() for o in produced if o.decision is not None)
    facts = tuple(f for o in produced for f in o.facts)
    entry = InboxEntry(own.input_key, event.routing_key, status, feedback, facts)
    (change.replaced_entries if replaced else change.new_entries).append(entry)
    for released in produced[1:]:
        answer = InboxEntry(released.input_key, event.routing_key, InboxStatus.DECIDED, (released.feedback(),))
        change.replaced_entries.append(answer)
