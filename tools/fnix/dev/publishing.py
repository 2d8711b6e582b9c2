"""Planning `fnix publish`: a JSON-lines file of message bodies as Event Hub batches, one partition key each.

The event contract (EVENTS.md) keys every message by its dealer code, so one dealer's events stay in
order. This module decides, without any Azure dependency, what goes into which batch:

* every non-blank line is one message body, sent exactly as it is in the file;
* a body's partition key is the CloudEvent's ``data.dealer_code`` (a lender's cancellation request:
  its ``data.lienholder_code``, REFUNDS.md); a body that is not such a JSON
  object (truncated JSON, XML, Latin-1 bytes, a JSON array, a bare payload) has no key and is still
  sent, because the exchange must answer it;
* the file is taken in windows of consecutive bodies; within a window the bodies are grouped per
  partition key, in the order each key first appears, and each key's run is packed into batches under
  a byte limit and a count limit. A key's events therefore go out in file order, and no key runs more
  than one window ahead of the others;
* a body too large to travel even alone is rejected with its line number and the reason, never
  silently dropped.

:class:`EventPublisher` is the port an adapter implements to put one planned batch on the hub.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Final, NamedTuple, Self

MIB: Final = 1024 * 1024
DEFAULT_MAX_BATCH_BYTES: Final = MIB
"""Event Hubs Standard (and the emulator) take messages and batches up to 1 MiB; Basic only 256 KB."""
DEFAULT_MAX_EVENTS: Final = 1000
DEFAULT_EVENT_OVERHEAD: Final = 64
"""Bytes allowed per event besides its body and its partition key: the AMQP message sections and the
batch framing. The azure-eventhub SDK counts 57 bytes plus the key for a body of 256 bytes or more."""
DEFAULT_WINDOW: Final = 1000
MAX_PARTITION_KEY_CHARS: Final = 128
"""Event Hubs refuses longer partition keys; a longer ``dealer_code`` is sent without a key."""


def _key_bytes(partition_key: str | None) -> int:
    return 0 if partition_key is None else len(partition_key.encode("utf-8"))


class PublishError(Exception):
    """Sending stopped: the message says how far it got and why."""


class NumberedBody(NamedTuple):
    line: int
    """1-based line number in the file."""
    body: bytes


@dataclass(frozen=True)
class BatchLimits:
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES
    """Largest batch, and so largest single message, the hub takes (estimated with the overheads)."""
    max_events: int = DEFAULT_MAX_EVENTS
    event_overhead: int = DEFAULT_EVENT_OVERHEAD
    window: int = DEFAULT_WINDOW
    """Bodies grouped per partition key at a time; 1 sends the file strictly in order."""

    def __post_init__(self) -> None:
        if self.max_events < 1:
            raise ValueError(f"max_events must be at least 1, got {self.max_events}")
        if self.window < 1:
            raise ValueError(f"window must be at least 1, got {self.window}")
        if self.event_overhead < 0:
            raise ValueError(f"event_overhead must not be negative, got {self.event_overhead}")
        smallest = self.batch_overhead(None) + self.event_bytes(1, None)
        if self.max_batch_bytes < smallest:
            raise ValueError(f"max_batch_bytes must be at least {smallest}, got {self.max_batch_bytes}")

    def batch_overhead(self, partition_key: str | None) -> int:
        """The batch envelope, which carries the partition key once more."""
        return self.event_overhead + _key_bytes(partition_key)

    def event_bytes(self, body_size: int, partition_key: str | None) -> int:
        """What one body adds to a batch: the body, the overhead, and the key every event carries."""
        return body_size + self.event_overhead + _key_bytes(partition_key)

    def max_body_bytes(self, partition_key: str | None) -> int:
        """The largest body that fits in a batch of its own."""
        return self.max_batch_bytes - self.batch_overhead(partition_key) - self.event_bytes(0, partition_key)


DEFAULT_LIMITS: Final = BatchLimits()


@dataclass(frozen=True)
class PlannedBatch:
    """Bodies sent together with one partition key (``None``: the hub picks a partition)."""

    partition_key: str | None
    bodies: tuple[bytes, ...]
    lines: tuple[int, ...] = ()
    """The file's line number of each body, when the batch was planned from a file."""

    def __len__(self) -> int:
        return len(self.bodies)

    @property
    def body_bytes(self) -> int:
        return sum(len(body) for body in self.bodies)

    def estimated_bytes(self, limits: BatchLimits = DEFAULT_LIMITS) -> int:
        """The batch's size on the wire as the plan estimates it; never above ``limits.max_batch_bytes``."""
        key = self.partition_key
        return limits.batch_overhead(key) + sum(limits.event_bytes(len(body), key) for body in self.bodies)


@dataclass(frozen=True)
class Reject:
    """A body that is not sent, and why."""

    line: int
    size: int
    partition_key: str | None
    reason: str

    def describe(self) -> str:
        key = f"partition key {self.partition_key}" if self.partition_key is not None else "no partition key"
        return f"line {self.line}: not sent ({self.size:,} bytes, {key}): {self.reason}"


@dataclass(frozen=True)
class KeySummary:
    partition_key: str | None
    batches: int
    events: int
    body_bytes: int
    largest_batch_bytes: int


@dataclass(frozen=True)
class PublishPlan:
    batches: tuple[PlannedBatch, ...]
    """In sending order: by window, then by each key's first appearance in the window."""
    rejects: tuple[Reject, ...]
    bodies_read: int
    limits: BatchLimits = field(default=DEFAULT_LIMITS)

    @property
    def events(self) -> int:
        """Bodies the plan sends."""
        return sum(len(batch) for batch in self.batches)

    @property
    def keyless(self) -> int:
        """Bodies sent without a partition key (unreadable, or without ``data.dealer_code``)."""
        return sum(len(batch) for batch in self.batches if batch.partition_key is None)

    @property
    def partition_keys(self) -> int:
        return len({batch.partition_key for batch in self.batches if batch.partition_key is not None})

    def by_key(self) -> list[KeySummary]:
        """One row per partition key, in the order the keys first appear; the keyless bodies last."""
        grouped: dict[str | None, list[PlannedBatch]] = {}
        for batch in self.batches:
            grouped.setdefault(batch.partition_key, []).append(batch)
        order = [key for key in grouped if key is not None] + ([None] if None in grouped else [])
        return [
            KeySummary(
                key,
                len(grouped[key]),
                sum(len(b) for b in grouped[key]),
                sum(b.body_bytes for b in grouped[key]),
                max(b.estimated_bytes(self.limits) for b in grouped[key]),
            )
            for key in order
        ]


def read_bodies(raw: bytes) -> list[NumberedBody]:
    """One body per line with its line number; ``\\r\\n`` endings taken off, blank lines skipped."""
    return [
        NumberedBody(number, line.rstrip(b"\r"))
        for number, line in enumerate(raw.split(b"\n"), start=1)
        if line.strip()
    ]


def partition_key_of(body: bytes) -> str | None:
    """The CloudEvent's ``data.dealer_code``, else its ``data.lienholder_code`` (a lender's request), or ``None``
    when the body has none that can be a key."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8 (UnicodeDecodeError is a ValueError)
        return None
    data = document.get("data") if isinstance(document, dict) else None
    code = (data.get("dealer_code") or data.get("lienholder_code")) if isinstance(data, dict) else None
    if isinstance(code, str) and 0 < len(code) <= MAX_PARTITION_KEY_CHARS:
        return code
    return None


def plan_publish(raw: bytes, limits: BatchLimits = DEFAULT_LIMITS) -> PublishPlan:
    """The plan for a file's contents."""
    return plan_bodies(read_bodies(raw), limits)


def plan_bodies(bodies: Iterable[NumberedBody], limits: BatchLimits = DEFAULT_LIMITS) -> PublishPlan:
    """Group, pack and check ``bodies`` (in file order)."""
    batches: list[PlannedBatch] = []
    rejects: list[Reject] = []
    read = 0
    for window in _windows(bodies, limits.window):
        read += len(window)
        groups: dict[str | None, list[NumberedBody]] = {}
        for item in window:
            groups.setdefault(partition_key_of(item.body), []).append(item)
        for key, items in groups.items():
            batches.extend(_pack(key, items, limits, rejects.append))
    rejects.sort(key=lambda reject: reject.line)
    return PublishPlan(tuple(batches), tuple(rejects), read, limits)


def _windows(bodies: Iterable[NumberedBody], size: int) -> Iterator[list[NumberedBody]]:
    window: list[NumberedBody] = []
    for item in bodies:
        window.append(item)
        if len(window) == size:
            yield window
            window = []
    if window:
        yield window


def _pack(
    key: str | None, items: Sequence[NumberedBody], limits: BatchLimits, reject: Callable[[Reject], None]
) -> Iterator[PlannedBatch]:
    base = limits.batch_overhead(key)
    bodies: list[bytes] = []
    lines: list[int] = []
    size = base
    for line, body in items:
        needed = limits.event_bytes(len(body), key)
        if base + needed > limits.max_batch_bytes:
            reason = (
                f"over the hub's limit of {limits.max_batch_bytes:,} bytes per message "
                f"(at most {limits.max_body_bytes(key):,} bytes of body with this partition key)"
            )
            reject(Reject(line, len(body), key, reason))
            continue
        if bodies and (size + needed > limits.max_batch_bytes or len(bodies) == limits.max_events):
            yield PlannedBatch(key, tuple(bodies), tuple(lines))
            bodies, lines, size = [], [], base
        bodies.append(body)
        lines.append(line)
        size += needed
    if bodies:
        yield PlannedBatch(key, tuple(bodies), tuple(lines))


@dataclass
class SendReport:
    events: int = 0
    batches: int = 0


class EventPublisher(ABC):
    """Puts planned batches on one hub. Use it as a context manager, or call :meth:`close`."""

    @abstractmethod
    def send(self, batch: PlannedBatch) -> None:
        """Send the batch's bodies in order with its partition key; raise :class:`PublishError` when it
        cannot. An adapter whose hub takes less per batch than planned splits the batch, in order."""

    def max_batch_bytes(self) -> int | None:
        """The hub's own limit per batch and message, when the adapter can tell (it may connect)."""
        return None

    def close(self) -> None:  # noqa: B027  (optional hook: nothing to release by default)
        """Release the connection."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def send_plan(
    plan: PublishPlan, publisher: EventPublisher, on_sent: Callable[[PlannedBatch], None] | None = None
) -> SendReport:
    """Send every batch of the plan in order; ``on_sent`` hears of each one sent."""
    report = SendReport()
    for batch in plan.batches:
        publisher.send(batch)
        report.events += len(batch)
        report.batches += 1
        if on_sent is not None:
            on_sent(batch)
    return report
