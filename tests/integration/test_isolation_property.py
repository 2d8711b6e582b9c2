"""No input can stall the exchange (ARCHITECTURE.md), as a property: batches mixing valid events with hostile
ones (any JSON value in any field, extreme numbers and dates, huge strings, control and non-Latin characters,
repeated and reused ids, many requests for one contract), on the in-memory adapters and on Azurite.

For every batch: it never raises for content; every input gets exactly one answer; the valid inputs are
decided exactly as they would be alone; and every accepted contract then goes through delivery in every
format (csv, fixed, jsonl) and reconciliation without error. A storage fault still raises.

CI runs a bounded, derandomized search. For the night: `FNI_PROPERTY_PROFILE=night ./dev test
tests/integration/test_isolation_property.py` (thousands of examples, random seed; a failure prints the
example to reproduce).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as tally
from hypothesis import strategies as st

from function_app.adapters.kernel.memory import MemoryJournal
from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings, load_settings
from function_app.domain.delivery.fields import FIELDS
from function_app.domain.kernel.feedback import encode_feedback, feedback_id
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.kernel.messages import InboundMessage
from function_app.domain.realtime.parsing import parse_message
from function_app.service_layer.delivery.jobs import DeliveryJob
from function_app.service_layer.realtime.report import BatchReport
from tests.conftest import fresh_namespace
from tests.events import cancellation, contract
from tests.partners import DAY, NOON, Clock, config, feed

PROFILES = {
    "ci": settings(derandomize=True, max_examples=200, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.function_scoped_fixture]),
    "night": settings(max_examples=3000, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.function_scoped_fixture]),
}
PROFILE = PROFILES[os.environ.get("FNI_PROPERTY_PROFILE", "ci")]
AZURITE_EXAMPLES = 12 if os.environ.get("FNI_PROPERTY_PROFILE", "ci") == "ci" else 200

ENQUEUED = NOON - timedelta(hours=1)  # 11:00 in Chicago on DAY: no date may follow DAY + 1
NIGHT = NOON + timedelta(hours=14)
FORMATS = ("csv", "fixed", "jsonl")
PARTNERS = config({"id": "all-fields", "name": "Every column", "kind": "ADMINISTRATOR",
                   "feeds": [feed(f"every-{fmt}", format=fmt, fields=list(FIELDS)) for fmt in FORMATS]})
Event = dict[str, Any]

# --- hostile values -------------------------------------------------------------------------------------------

BREAKERS = ["\n", "\r", "\t", "\x00", "\x1e", "\x85", "\u2028", "\u2029", "\ud800", "\u202e", "\u200c", "\ufeff"]
texts = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from(["Ж", "李", "é", "ß", "ع", "😀", "A", " ", *BREAKERS]), min_size=1, max_size=60),
    st.builds(lambda n, c: c * n, st.sampled_from([41, 51, 101, 129, 40_000, 70_000]), st.sampled_from(["x", "Ж"])),
)
numbers = st.one_of(
    st.sampled_from([0, -1, 1, 144, 145, 9999, 10_000, 999_999, 1_000_000, 10_000_000, 2**31 - 1, 2**31, 2**63,
                     -(2**63), 10**40, 1.5, 1e308, -0.0, True, False]),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=False),
)
dates = st.one_of(
    st.sampled_from(["9999-10-01", "9999-12-31", "0001-01-01", "2026-02-29", "2026-03-02", "2026-03-03",
                     "2026-03-04", "1980-12-31", "2026-3-2", "20260302"]),
    st.dates().map(date.isoformat),
)
json_values = st.recursive(
    st.one_of(st.none(), numbers, texts, dates),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(texts, children, max_size=3)),
    max_leaves=6,
)
ENVELOPE = ["id", "source", "type", "time", "subject", "specversion", "datacontenttype", "data"]


def leaf_paths(node: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in [(*prefix, key), *leaf_paths(value, (*prefix, key))]]
    return []


CONTRACT_PATHS = [("data", *p) for p in leaf_paths(contract("H000000")["data"])] + [(name,) for name in ENVELOPE]
CANCEL_PATHS = [("data", *p) for p in leaf_paths(cancellation("H000000")["data"])] + [(name,) for name in ENVELOPE]


def _typed(paths: list[tuple[str, ...]], template: Event) -> dict[tuple[str, ...], st.SearchStrategy[Any]]:
    kinds: dict[tuple[str, ...], st.SearchStrategy[Any]] = {}
    for path in paths:
        node: Any = template
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, bool) or node is None:
            continue
        if isinstance(node, int):
            kinds[path] = numbers
        elif isinstance(node, str) and path[-1].endswith("date"):
            kinds[path] = dates
        elif isinstance(node, str):
            kinds[path] = texts
    return kinds


TYPED = {**_typed(CONTRACT_PATHS, contract("H000000")), **_typed(CANCEL_PATHS, cancellation("H000000"))}


def mutate(event: Event, path: tuple[str, ...], value: object) -> Event:
    event = copy.deepcopy(event)
    node = event
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[path[-1]] = value
    return event


def encode(event: object) -> bytes:
    return json.dumps(event).encode("utf-8")  # escapes, so that lone surrogates travel as a sender may send them


@st.composite
def hostile(draw: st.DrawFn, hub: str, good_ids: list[str]) -> tuple[bytes, bool]:
    """One hostile body, and whether it must follow the valid events (it reuses one of their ids)."""
    number = f"H{draw(st.integers(1, 40)):07d}"
    event_id = f"h-{draw(st.integers(0, 40))}"
    base = contract(number, event_id=event_id) if hub == "contracts" else cancellation(number, event_id=event_id)
    paths = CONTRACT_PATHS if hub == "contracts" else CANCEL_PATHS
    kind = draw(st.sampled_from(["field", "field", "field", "reuse", "raw", "valid"]))
    if kind == "raw":
        raw = draw(st.sampled_from([b"", b"{", b"null", b"[]", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000,
                                    b'{"a":' * 5_000 + b"1" + b"}" * 5_000, b"x" * 300_000]))
        return raw, False
    if kind == "reuse" and good_ids:
        return encode(mutate(base, ("id",), draw(st.sampled_from(good_ids)))), True
    if kind == "valid":  # extreme values the spec accepts: they must be delivered too
        if hub == "contracts":
            base = mutate(base, ("data", "customer", "last_name"), draw(st.sampled_from(["李" * 50, "Ólafsdóttir",
                                                                                         "Mehrdād\u200cpour"])))
            base = mutate(base, ("data", "term_miles"), draw(st.sampled_from([999_999, 1, None])))
            base = mutate(base, ("data", "revision"), draw(st.sampled_from([1, 9999])))
            base = mutate(base, ("data", "vehicle", "make"), "Ж" * 40)
        else:
            base = mutate(base, ("data", "odometer"), draw(st.sampled_from([999_999, 12_000, 0])))
        return encode(base), False
    path = draw(st.sampled_from(paths))
    aimed = TYPED.get(path)  # most often a value of the field's own kind: the ones that might pass
    value = draw(aimed if aimed is not None and draw(st.booleans()) else st.one_of(json_values, dates, numbers, texts))
    return encode(mutate(base, path, value)), False


@dataclass(frozen=True)
class Day:
    """Valid events (contracts, then cancellations of some of them) and hostile ones, in the order delivered."""

    contracts: list[bytes]
    cancellations: list[bytes]
    good_contracts: list[bytes]
    good_cancellations: list[bytes]


@st.composite
def days(draw: st.DrawFn) -> Day:
    count = draw(st.integers(1, 4))
    goods = [contract(f"G{i:07d}", event_id=f"g-{i}") for i in range(count)]
    cancels = [cancellation(f"G{i:07d}", event_id=f"gc-{i}") for i in range(draw(st.integers(0, count)))]
    batches = []
    for hub, valid in (("contracts", goods), ("cancellations", cancels)):
        ids = [e["id"] for e in valid]
        drawn = draw(st.lists(hostile(hub, ids), max_size=8))
        many = [cancellation("H0000009", event_id=f"m-{i}", odometer=20_000 + i)
                for i in range(draw(st.sampled_from([0, 0, 12])))] if hub == "cancellations" else []
        before = [body for body, after in drawn if not after] + [encode(e) for e in many]
        after = [body for body, follows in drawn if follows]
        repeats = draw(st.lists(st.sampled_from(before), max_size=2)) if before else []
        mixed = draw(st.permutations(before + repeats))
        cut = draw(st.integers(0, len(mixed)))
        batches.append(mixed[:cut] + [encode(e) for e in valid] + mixed[cut:] + after)
    return Day(batches[0], batches[1], [encode(e) for e in goods], [encode(e) for e in cancels])


# --- running a day ------------------------------------------------------------------------------------------------


def batch(hub: str, bodies: list[bytes]) -> list[InboundMessage]:
    return [InboundMessage(hub, raw, "0", i, ENQUEUED, partition_key="D10442") for i, raw in enumerate(bodies)]


def valid_only(bodies: list[bytes], hub: str, valid: list[bytes]) -> list[InboundMessage]:
    """The valid events as they sat in the mixed batch (same sequence numbers), without the others."""
    return [m for m in batch(hub, bodies) if m.body in valid]


def check_answers(report: BatchReport, messages: list[InboundMessage]) -> None:
    assert len(report.answers) == len(messages), "every input is answered once"
    for (event, answer), message in zip(report.answers, messages, strict=True):
        assert event.message is message
        if answer is None:
            assert report.held, "only a held cancellation waits without an answer"
        else:
            assert answer.id == feedback_id(event.input_key)
    for fb in report.feedback:
        encode_feedback(fb).encode("utf-8")


def own_answers(report: BatchReport, valid: list[bytes]) -> list[object]:
    return [answer for event, answer in report.answers if event.message.body in valid]


def run_day(make: Callable[[Clock], Exchange], day: Day) -> None:
    """`alone` is in memory either way: the storage contract tests hold the two adapters to the same behaviour."""
    clock = Clock(NOON)
    mixed, alone = make(clock), memory_exchange(clock)
    reports = []
    for hub, bodies, valid in (("contracts", day.contracts, day.good_contracts),
                               ("cancellations", day.cancellations, day.good_cancellations)):
        messages = batch(hub, bodies)
        report = mixed.realtime.process(messages)
        check_answers(report, messages)
        by_itself = alone.realtime.process(valid_only(bodies, hub, valid))
        assert own_answers(report, valid) == own_answers(by_itself, valid)
        assert len(own_answers(report, valid)) == len(valid)
        reports.append(report)
    clock.now = NIGHT
    facts: list[JournalFact] = list(mixed.journal.read(DAY))
    for fmt in FORMATS:
        result = mixed.delivery.deliver(DeliveryJob("all-fields", f"every-{fmt}", DAY))
        assert mixed.partner_files is not None
        delivered = sum(json.loads(mixed.partner_files.read("all-fields", f.blob_name + ".manifest.json"))
                        ["record_count"] for f in result.files)
        assert delivered == len([f for f in facts if f.kind.value.startswith("CONTRACT_")])
    tally(f"contract facts delivered: {min(len(facts), 5)}{'+' if len(facts) >= 5 else ''}")
    tally(f"inputs: {min(len(day.contracts) + len(day.cancellations), 20) // 5 * 5}+")
    reconciled = mixed.reconciliation.run(DAY)
    assert all(f.agrees for f in reconciled.feeds), [b.detail for f in reconciled.feeds for b in f.breaks]


def memory_exchange(clock: Clock) -> Exchange:
    return bootstrap(load_settings({}), storage=memory_storage(), partners=PARTNERS, clock=clock)


@PROFILE
@given(day=days())
def test_no_input_stalls_the_exchange_in_memory(day: Day) -> None:
    run_day(memory_exchange, day)


@settings(PROFILE, max_examples=AZURITE_EXAMPLES)
@given(day=days())
def test_no_input_stalls_the_exchange_on_azurite(storage_settings: Settings, day: Day) -> None:
    run_day(lambda clock: bootstrap(replace(storage_settings, namespace=fresh_namespace()), partners=PARTNERS,
                                    clock=clock), day)


class BrokenJournal(MemoryJournal):
    def append(self, facts: Any) -> None:
        raise ConnectionError("storage is unreachable")


def test_a_storage_fault_still_raises() -> None:
    exchange = bootstrap(load_settings({}), storage=memory_storage(), journal=BrokenJournal(),
                         )
    bodies = [encode(contract("G0000001")), b"{", encode(mutate(contract("H0000001"), ("data", "revision"), 2**31))]
    with pytest.raises(ConnectionError):
        exchange.realtime.process(batch("contracts", bodies))
    assert parse_message(batch("contracts", bodies)[2]).reasons, "the hostile event alone is refused, not raised on"


def test_the_readme_documents_the_night_run() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    promises = readme.split("## How it keeps its promises", 1)[1].split("\n## ", 1)[0]
    assert "FNI_PROPERTY_PROFILE=night ./dev test tests/integration/test_isolation_property.py" in promises
    assert set(PROFILES) == {"ci", "night"}
