"""`fnix publish`: planning batches per partition key, the azure-eventhub adapter on a fake client, the command.

Nothing here may reach the network: every test runs with sockets that refuse to connect.
"""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from azure.eventhub import EventData, EventDataBatch
from azure.eventhub.exceptions import ConnectError
from fnix import cli
from fnix import publish as cli_publish
from fnix.dev import event_hub_producer
from fnix.dev.demo_day import MALFORMED, REDELIVERY, generate_day, is_line_safe, write_jsonl
from fnix.dev.event_hub_producer import EventBatch, EventHubPublisher
from fnix.dev.publishing import (
    DEFAULT_LIMITS,
    MAX_PARTITION_KEY_CHARS,
    BatchLimits,
    EventPublisher,
    NumberedBody,
    PlannedBatch,
    PublishError,
    PublishPlan,
    partition_key_of,
    plan_bodies,
    plan_publish,
    read_bodies,
    send_plan,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.events import body, cancellation, contract, lender_cancellation

EMULATOR = (
    "Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;"
    "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;"
)
SETTINGS = ("EventHubConnection", "EventHubConnection__fullyQualifiedNamespace")
Fnix = Callable[..., int]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a publishing test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(autouse=True)
def no_connection_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)


def dealer_event(dealer: str, number: int) -> bytes:
    return body(contract(f"VSC{dealer[-3:]}{number:05d}", dealer=dealer))


def jsonl(bodies: Sequence[bytes]) -> bytes:
    return b"".join(b + b"\n" for b in bodies)


def keyed(line: int, key: str, size: int = 0) -> NumberedBody:
    """A small CloudEvent-shaped body for `key`, padded to about `size` bytes."""
    document = {"id": f"{key}-{line}", "data": {"dealer_code": key, "pad": "x" * size}}
    return NumberedBody(line, json.dumps(document).encode())


def check_invariants(plan: PublishPlan, items: Sequence[NumberedBody]) -> None:
    """What every plan promises, whatever the input and the limits."""
    limits = plan.limits
    for batch in plan.batches:
        assert 1 <= len(batch) <= limits.max_events
        assert batch.estimated_bytes(limits) <= limits.max_batch_bytes
        assert len(batch.lines) == len(batch.bodies)
        by_line = {item.line: item.body for item in items}
        assert all(by_line[line] == b for line, b in zip(batch.lines, batch.bodies, strict=True))
        assert all(partition_key_of(b) == batch.partition_key for b in batch.bodies)
    sent = [line for batch in plan.batches for line in batch.lines]
    rejected = [reject.line for reject in plan.rejects]
    assert sorted(sent + rejected) == [item.line for item in items], "every body is sent or rejected, once"
    for reject in plan.rejects:
        assert reject.size > limits.max_body_bytes(reject.partition_key)
    per_key: dict[str | None, list[int]] = {}
    for batch in plan.batches:
        per_key.setdefault(batch.partition_key, []).extend(batch.lines)
    for lines in per_key.values():
        assert lines == sorted(lines), "a key's bodies go out in file order"
    assert plan.events == len(sent) and plan.bodies_read == len(items)


# --- reading and partition keys ------------------------------------------------------------------


def test_read_bodies_skips_blank_lines_and_keeps_line_numbers() -> None:
    raw = b'{"a":1}\r\n\n   \n\t\r\n{"b":2}\n{"c":3}'
    assert read_bodies(raw) == [NumberedBody(1, b'{"a":1}'), NumberedBody(5, b'{"b":2}'), NumberedBody(6, b'{"c":3}')]
    assert read_bodies(b"") == [] and read_bodies(b"\n\n") == []


def test_partition_key_is_the_dealer_code_of_the_cloud_event() -> None:
    assert partition_key_of(body(contract("VSC0000001", dealer="D20001"))) == "D20001"
    assert partition_key_of(body(cancellation("VSC0000001", dealer="D30003"))) == "D30003"


def test_a_lender_s_request_is_keyed_by_its_lienholder_code() -> None:
    assert partition_key_of(body(lender_cancellation("VSC0000001", lender="FPCU"))) == "FPCU"


@pytest.mark.parametrize(
    "unreadable",
    [
        b'{"specversion":"1.0","data":{"dealer_code":"D1',  # truncated JSON
        b'<?xml version="1.0"?><ServiceContract><DealerCode>D10442</DealerCode></ServiceContract>',
        '{"data":{"dealer_code":"D10442","name":"Müller"}}'.encode("latin-1"),  # not UTF-8
        b'[{"data":{"dealer_code":"D10442"}}]',  # a JSON array
        b'{"contract_number":"VSC-1","dealer_code":"D10442"}',  # a bare payload, no envelope
        b'{"data":"D10442"}',
        b'{"data":{"dealer_code":10442}}',
        b'{"data":{"dealer_code":""}}',
        json.dumps({"data": {"dealer_code": "D" * (MAX_PARTITION_KEY_CHARS + 1)}}).encode(),
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the parser goes
    ],
)
def test_bodies_without_a_usable_dealer_code_have_no_key(unreadable: bytes) -> None:
    assert partition_key_of(unreadable) is None


# --- planning ------------------------------------------------------------------------------------


def test_bodies_are_grouped_per_key_in_file_order_within_a_window() -> None:
    dealers = ["D1", "D2", "D1", "D3", "D2", "D1", "D3", "D1"]
    items = [keyed(n, dealer) for n, dealer in enumerate(dealers, start=1)]
    plan = plan_bodies(items)
    assert [(b.partition_key, b.lines) for b in plan.batches] == [
        ("D1", (1, 3, 6, 8)),
        ("D2", (2, 5)),
        ("D3", (4, 7)),
    ]
    check_invariants(plan, items)


def test_windows_keep_keys_from_running_ahead_of_each_other() -> None:
    dealers = ["D1", "D2", "D1", "D2", "D1", "D2", "D1"]
    items = [keyed(n, dealer) for n, dealer in enumerate(dealers, start=1)]
    plan = plan_bodies(items, BatchLimits(window=4))
    assert [(b.partition_key, b.lines) for b in plan.batches] == [
        ("D1", (1, 3)),
        ("D2", (2, 4)),
        ("D1", (5, 7)),
        ("D2", (6,)),
    ]
    strictly = plan_bodies(items, BatchLimits(window=1))
    assert [b.lines for b in strictly.batches] == [(n,) for n in range(1, 8)], "window 1: the file's own order"


def test_count_limit_splits_a_key_run_in_order() -> None:
    items = [keyed(n, "D10442") for n in range(1, 12)]
    plan = plan_bodies(items, BatchLimits(max_events=4))
    assert [b.lines for b in plan.batches] == [(1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11)]
    check_invariants(plan, items)


def test_byte_limit_splits_batches_and_every_batch_stays_under_it() -> None:
    limits = BatchLimits(max_batch_bytes=4096, event_overhead=64)
    items = [keyed(n, "D10442", size=700 + 37 * n) for n in range(1, 30)]
    plan = plan_bodies(items, limits)
    assert len(plan.batches) > 5 and not plan.rejects
    for batch in plan.batches:
        assert batch.estimated_bytes(limits) <= 4096
    for first, second in zip(plan.batches, plan.batches[1:], strict=False):
        body_next = limits.event_bytes(len(second.bodies[0]), "D10442")
        assert first.estimated_bytes(limits) + body_next > 4096, "a batch is closed only when the next body is over"
    check_invariants(plan, items)


def test_an_oversized_body_is_rejected_with_its_reason_and_the_rest_is_sent() -> None:
    limits = BatchLimits(max_batch_bytes=2048)
    items = [keyed(1, "D1"), keyed(2, "D1", size=3000), keyed(3, "D2"), keyed(4, "D1")]
    plan = plan_bodies(items, limits)
    assert [(b.partition_key, b.lines) for b in plan.batches] == [("D1", (1, 4)), ("D2", (3,))]
    (reject,) = plan.rejects
    assert (reject.line, reject.partition_key, reject.size) == (2, "D1", len(items[1].body))
    assert "over the hub's limit of 2,048 bytes per message" in reject.reason
    assert reject.describe().startswith(f"line 2: not sent ({len(items[1].body):,} bytes, partition key D1)")
    check_invariants(plan, items)


def test_the_largest_body_that_fits_alone_is_sent_and_one_byte_more_is_not() -> None:
    limits = BatchLimits(max_batch_bytes=1000)
    fits = limits.max_body_bytes(None)
    plan = plan_bodies([NumberedBody(1, b"x" * fits), NumberedBody(2, b"y" * (fits + 1))], limits)
    assert [b.lines for b in plan.batches] == [(1,)] and [r.line for r in plan.rejects] == [2]
    assert plan.batches[0].estimated_bytes(limits) == 1000


def test_a_default_plan_sends_a_body_the_exchange_will_reject_as_too_large() -> None:
    """256 KiB is the exchange's limit (it answers MALFORMED); only the hub's 1 MiB stops a body here."""
    big = keyed(1, "D1", size=300 * 1024)
    plan = plan_bodies([big])
    assert plan.events == 1 and not plan.rejects


def test_unreadable_bodies_are_sent_without_a_key() -> None:
    lines = [dealer_event("D10442", 1), b"<xml/>", b'{"truncated":', dealer_event("D10442", 2), b"[1,2]"]
    plan = plan_publish(jsonl(lines))
    assert [(b.partition_key, b.lines) for b in plan.batches] == [("D10442", (1, 4)), (None, (2, 3, 5))]
    assert (plan.keyless, plan.partition_keys, plan.events) == (3, 1, 5)


def test_empty_lines_are_skipped_and_never_sent() -> None:
    raw = b"\n" + dealer_event("D1", 1) + b"\n\n  \r\n" + dealer_event("D2", 2) + b"\n\n"
    plan = plan_publish(raw)
    assert plan.bodies_read == 2 and plan.events == 2
    assert sorted(line for b in plan.batches for line in b.lines) == [2, 5]
    assert all(b.strip() for batch in plan.batches for b in batch.bodies)
    assert plan_publish(b"\n \n").batches == ()


def test_plan_summary_per_key() -> None:
    items = [keyed(1, "D1"), NumberedBody(2, b"<x/>"), keyed(3, "D2"), keyed(4, "D1")]
    plan = plan_bodies(items, BatchLimits(max_events=1))
    rows = plan.by_key()
    assert [(r.partition_key, r.batches, r.events) for r in rows] == [("D1", 2, 2), ("D2", 1, 1), (None, 1, 1)]
    assert rows[2].body_bytes == 4 and rows[2].largest_batch_bytes == DEFAULT_LIMITS.event_overhead * 2 + 4


@pytest.mark.parametrize(
    "wrong",
    [{"max_events": 0}, {"window": 0}, {"event_overhead": -1}, {"max_batch_bytes": 100, "event_overhead": 64}],
)
def test_limits_that_cannot_work_are_refused(wrong: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        BatchLimits(**wrong)


@settings(max_examples=150, deadline=None)
@given(
    specs=st.lists(
        st.tuples(st.sampled_from(["D1", "D22", "DEALER4444", None]), st.integers(0, 1500)), max_size=60
    ),
    max_events=st.integers(1, 9),
    max_batch_bytes=st.integers(300, 5000),
    window=st.integers(1, 70),
)
def test_any_plan_keeps_its_promises(
    specs: list[tuple[str | None, int]], max_events: int, max_batch_bytes: int, window: int
) -> None:
    items = [
        keyed(n, key, size) if key is not None else NumberedBody(n, b"<" + b"x" * size)
        for n, (key, size) in enumerate(specs, start=1)
    ]
    limits = BatchLimits(max_batch_bytes=max_batch_bytes, max_events=max_events, event_overhead=64, window=window)
    check_invariants(plan_bodies(items, limits), items)


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Path]]:
    day = generate_day(date(2025, 3, 14), contracts=400, seed=7, run_tag="P7", zone=ZoneInfo("America/Chicago"))
    return day, write_jsonl(day, tmp_path_factory.mktemp("demo"))


@pytest.mark.parametrize("limits", [DEFAULT_LIMITS, BatchLimits(max_batch_bytes=16 * 1024, max_events=7, window=50)])
def test_a_demo_day_is_planned_end_to_end(demo_files: tuple[Any, dict[str, Path]], limits: BatchLimits) -> None:
    day, paths = demo_files
    keyless_total = 0
    for hub, path in paths.items():
        raw = path.read_bytes()
        items = read_bodies(raw)
        plan = plan_publish(raw, limits)
        check_invariants(plan, items)
        assert not plan.rejects
        sent = Counter(b for batch in plan.batches for b in batch.bodies)
        assert sent == Counter(item.body for item in items), "every body of the file exactly once"
        assert plan.events == len(raw.splitlines())
        # the demo's own partition key (its dealer) is the plan's for every body that carries data.dealer_code;
        # only malformed bodies (and redeliveries of them) go without a key, and every malformed one does
        kinds = {e.body: e.kind for e in day.events if e.hub == hub}
        demo_keys = {e.body: e.partition_key for e in day.events if e.hub == hub}
        for batch in plan.batches:
            for b in batch.bodies:
                if batch.partition_key is None:
                    assert kinds[b] in (MALFORMED, REDELIVERY)
                else:
                    assert batch.partition_key == demo_keys[b] and kinds[b] != MALFORMED
        keyless_total += plan.keyless
        assert plan.partition_keys > 20
    assert keyless_total >= sum(1 for e in day.events if e.kind == MALFORMED and is_line_safe(e.body)) > 0


def test_send_plan_sends_every_batch_in_order() -> None:
    plan = plan_bodies([keyed(n, f"D{n % 3}") for n in range(1, 10)], BatchLimits(max_events=2))
    publisher = RecordingPublisher()
    heard: list[PlannedBatch] = []
    report = send_plan(plan, publisher, heard.append)
    assert publisher.sent == list(plan.batches) == heard
    assert (report.events, report.batches) == (9, len(plan.batches))


# --- the azure-eventhub adapter, on a fake client ------------------------------------------------


class FakeBatch:
    """Counts like `EventDataBatch`, only more simply: each event costs its body plus 10 bytes."""

    def __init__(self, max_size_in_bytes: int) -> None:
        self.max_size_in_bytes = max_size_in_bytes
        self.bodies: list[bytes] = []

    def add(self, event_data: EventData) -> None:
        content = event_data.body_as_str().encode()
        if sum(len(b) + 10 for b in [*self.bodies, content]) > self.max_size_in_bytes:
            raise ValueError(f"EventDataBatch has reached its size limit: {self.max_size_in_bytes}")
        self.bodies.append(content)

    def __len__(self) -> int:
        return len(self.bodies)


class FakeClient:
    def __init__(self, limit: int = 1024 * 1024, *, real_batches: bool = False, fail_on_send: int = 0) -> None:
        self.limit = limit
        self.real_batches = real_batches
        self.fail_on_send = fail_on_send
        self.created: list[str | None] = []
        self.sent: list[tuple[str | None, int]] = []
        self.sent_bodies: list[tuple[str | None, list[bytes]]] = []
        self.closed = 0
        self._keys: dict[int, str | None] = {}

    def create_batch(self, *, partition_key: str | None = None, max_size_in_bytes: int | None = None) -> EventBatch:
        self.created.append(partition_key)
        batch: EventBatch
        if self.real_batches:
            batch = EventDataBatch(max_size_in_bytes=self.limit, partition_key=partition_key)
        else:
            batch = FakeBatch(self.limit)
        self._keys[id(batch)] = partition_key
        return batch

    def send_batch(self, event_data_batch: Any, **kwargs: Any) -> None:
        if self.fail_on_send and len(self.sent) + 1 == self.fail_on_send:
            raise ConnectError("connection refused")
        key = self._keys[id(event_data_batch)]
        self.sent.append((key, len(event_data_batch)))
        if isinstance(event_data_batch, FakeBatch):
            self.sent_bodies.append((key, list(event_data_batch.bodies)))

    def close(self) -> None:
        self.closed += 1


class RecordingPublisher(EventPublisher):
    def __init__(self, limit: int | None = None, fail: bool = False) -> None:
        self.sent: list[PlannedBatch] = []
        self.closed = False
        self.limit = limit
        self.fail = fail

    def send(self, batch: PlannedBatch) -> None:
        if self.fail and self.sent:
            raise PublishError("sending to hub contracts failed after 1 event(s): ConnectError: refused")
        self.sent.append(batch)

    def max_batch_bytes(self) -> int | None:
        return self.limit

    def close(self) -> None:
        self.closed = True


def test_adapter_creates_a_batch_per_partition_key_sends_it_and_closes() -> None:
    client = FakeClient()
    plan = plan_bodies([keyed(1, "D1"), keyed(2, "D2"), NumberedBody(3, b"<x/>"), keyed(4, "D1")])
    with EventHubPublisher(client, "contracts") as publisher:
        send_plan(plan, publisher)
    assert client.created == ["D1", "D2", None]
    assert client.sent == [("D1", 2), ("D2", 1), (None, 1)]
    assert client.sent_bodies[0] == ("D1", [keyed(1, "D1").body, keyed(4, "D1").body])
    assert client.closed == 1
    assert (publisher.events_sent, publisher.batches_sent) == (4, 3)


def test_adapter_sends_a_full_batch_and_goes_on_in_a_new_one_when_the_hub_takes_less() -> None:
    items = [keyed(n, "D1", size=100) for n in range(1, 8)]
    size = len(items[0].body) + 10
    client = FakeClient(limit=3 * size)
    plan = plan_bodies(items)
    assert len(plan.batches) == 1, "the plan expected one batch of 7"
    with EventHubPublisher(client, "contracts") as publisher:
        publisher.send(plan.batches[0])
    assert client.sent == [("D1", 3), ("D1", 3), ("D1", 1)]
    assert [b for _, bodies in client.sent_bodies for b in bodies] == [item.body for item in items], "in order"
    assert client.created == ["D1"] * 3 and client.closed == 1


def test_adapter_refuses_a_body_the_hub_cannot_take_even_alone() -> None:
    client = FakeClient(limit=500)
    plan = plan_bodies([keyed(1, "D1"), keyed(2, "D1", size=600), keyed(3, "D1")])
    publisher = EventHubPublisher(client, "contracts")
    with pytest.raises(PublishError, match=r"line 2 \(\d+ bytes\) does not fit in a message on hub contracts"):
        publisher.send(plan.batches[0])
    assert client.sent == [("D1", 1)], "what came before it was sent"
    publisher.close()
    assert client.closed == 1


def test_adapter_turns_service_errors_into_publish_errors_and_still_closes() -> None:
    client = FakeClient(fail_on_send=2)
    plan = plan_bodies([keyed(1, "D1"), keyed(2, "D2")])
    with pytest.raises(PublishError, match="failed after 1 event"), EventHubPublisher(client, "cancellations") as p:
        send_plan(plan, p)
    assert client.closed == 1


def test_adapter_asks_the_hub_for_its_limit() -> None:
    assert EventHubPublisher(FakeClient(limit=262_144), "contracts").max_batch_bytes() == 262_144


def test_the_plans_overhead_allowance_covers_what_the_sdk_counts() -> None:
    """Real `EventDataBatch` objects under the plan's own limit: no planned batch is ever split."""
    limit = 20_000
    limits = BatchLimits(max_batch_bytes=limit, max_events=1000)
    items = [keyed(n, key, size=size) for n, (key, size) in enumerate(
        [("D1", 10), ("DEALER9999", 300), ("D1", 5000), ("D1", 250), ("DEALER9999", 9000), ("D1", 19_900)]
        + [("D2", 17 * k) for k in range(300)], start=1)]
    items.append(NumberedBody(len(items) + 1, b"x" * limits.max_body_bytes(None)))
    items.append(NumberedBody(len(items) + 1, b"<" * 300))
    plan = plan_bodies(items, limits)
    assert [r.line for r in plan.rejects] == [6], "19,900 bytes of padding leave no room"
    client = FakeClient(limit=limit, real_batches=True)
    with EventHubPublisher(client, "contracts") as publisher:
        send_plan(plan, publisher)
    assert client.sent == [(b.partition_key, len(b)) for b in plan.batches]


def test_adapter_builds_a_client_from_the_emulator_connection_string_without_connecting() -> None:
    publisher = EventHubPublisher.from_connection_string(EMULATOR, "contracts")
    publisher.close()
    with pytest.raises(ValueError):
        EventHubPublisher.from_connection_string("myns.servicebus.windows.net", "contracts")


def test_adapter_builds_a_client_for_a_namespace_with_a_credential_without_connecting() -> None:
    class Credential:
        closed = False

        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            raise AssertionError("no token is needed before sending")

        def close(self) -> None:
            self.closed = True

    credential = Credential()
    publisher = EventHubPublisher.from_namespace("sb://myns.servicebus.windows.net/", "contracts", credential)
    publisher.close()
    assert not credential.closed, "a credential the caller gave stays the caller's"


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture
def fnix() -> Iterator[Fnix]:
    """`fnix` as `cli.main` runs it."""
    assert "publish" in cli.build_parser().subcommands()

    def run(*argv: str) -> int:
        try:
            return cli.main(list(argv))
        except SystemExit as exc:  # argparse's own errors
            return int(exc.code or 0)

    yield run


@pytest.fixture
def day_file(tmp_path: Path) -> Path:
    path = tmp_path / "contracts.jsonl"
    path.write_bytes(jsonl([dealer_event(f"D{n % 4}", n) for n in range(20)] + [b"<xml/>"]))
    return path


def test_publish_without_a_connection_setting_says_which_to_set(
    fnix: Fnix, day_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fnix("publish", "--hub", "contracts", str(day_file)) == 2
    err = capsys.readouterr().err
    assert "fnix publish: EventHubConnection is not set" in err
    assert "EventHubConnection__fullyQualifiedNamespace" in err and "infra/local" in err and "--dry-run" in err


def test_publish_names_the_setting_it_was_told_to_read(
    fnix: Fnix, day_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EventHubConnection", EMULATOR)
    assert fnix("publish", "--hub", "contracts", "--connection-setting", "DealerHubs", str(day_file)) == 2
    assert "DealerHubs is not set" in capsys.readouterr().err


def test_publish_refuses_a_setting_that_is_not_a_connection_string(
    fnix: Fnix, day_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EventHubConnection", "myns.servicebus.windows.net")
    assert fnix("publish", "--hub", "contracts", str(day_file)) == 2
    assert "does not look like an Event Hubs connection string" in capsys.readouterr().err
    monkeypatch.setenv("EventHubConnection", "Endpoint=nohost;SharedAccessKeyName=k;SharedAccessKey=v")
    assert fnix("publish", "--hub", "contracts", str(day_file)) == 2
    assert "not a usable Event Hubs connection string" in capsys.readouterr().err


def test_publish_to_an_unknown_hub_lists_the_hubs(
    fnix: Fnix, day_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fnix("publish", "--hub", "dealer-feedback", "--dry-run", str(day_file)) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'dealer-feedback'" in err
    assert "contracts" in err and "cancellations" in err and "policy-admin-cdc" in err


def test_publish_a_missing_file(fnix: Fnix, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert fnix("publish", "--hub", "contracts", "--dry-run", str(tmp_path / "nope.jsonl")) == 2
    assert f"no such file: {tmp_path / 'nope.jsonl'}" in capsys.readouterr().err
    assert fnix("publish", "--hub", "contracts", str(tmp_path)) == 2
    assert "is a directory" in capsys.readouterr().err


def test_dry_run_prints_the_plan_without_any_connection(
    fnix: Fnix, day_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_publisher(*_args: object) -> EventPublisher:
        raise AssertionError("a dry run opened a publisher")

    monkeypatch.setattr(cli_publish, "open_publisher", no_publisher)
    assert fnix("publish", "--hub", "contracts", "--dry-run", str(day_file)) == 0
    captured = capsys.readouterr()
    header, *lines = captured.out.splitlines()
    assert header == "partition_key\tbatches\tevents\tbody_bytes\tlargest_batch"
    rows = [line.split("\t") for line in lines]
    assert [row[0] for row in rows] == ["D0", "D1", "D2", "D3", "(no key)"]
    assert [row[2] for row in rows] == ["5 event(s)"] * 4 + ["1 event(s)"]
    assert all(row[1] == "1 batch(es)" for row in rows)
    assert "dry run: nothing sent to hub contracts" in captured.err
    assert summary(captured.err) == {
        "bodies read": "21", "to send": "21", "batches": "5", "partition keys": "4",
        "bodies without a key": "1", "rejected (not sent)": "0",
        "bytes per batch at most": "1048576", "events per batch at most": "1000",
        "bodies grouped per key at a time": "1000",
    }


def test_dry_run_reports_a_body_too_large_for_the_hub(
    fnix: Fnix, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(jsonl([dealer_event("D1", 1), keyed(2, "D1", size=1024 * 1024).body, dealer_event("D1", 3)]))
    assert fnix("publish", "--hub", "contracts", "--dry-run", str(path)) == 1
    captured = capsys.readouterr()
    assert "fnix publish: line 2: not sent (" in captured.err and "over the hub's limit" in captured.err
    assert "D1\t1 batch(es)\t2 event(s)" in captured.out


def test_publish_sends_the_plan_and_summarises(
    fnix: Fnix, day_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = RecordingPublisher()
    opened: list[tuple[cli_publish.Target, str]] = []

    def fake_open(target: cli_publish.Target, hub: str) -> EventPublisher:
        opened.append((target, hub))
        return publisher

    monkeypatch.setattr(cli_publish, "open_publisher", fake_open)
    monkeypatch.setenv("EventHubConnection", EMULATOR)
    assert fnix("publish", "--hub", "cancellations", str(day_file)) == 0
    assert opened == [(cli_publish.Target("EventHubConnection", connection_string=EMULATOR), "cancellations")]
    assert [b.partition_key for b in publisher.sent] == ["D0", "D1", "D2", "D3", None]
    assert publisher.closed
    captured = capsys.readouterr()
    err = captured.err
    assert "to hub cancellations at sb://localhost (emulator) (EventHubConnection)" in err
    assert "SAS_KEY_VALUE" not in err + captured.out, "never print the key"
    assert summary(captured.out)["sent"] == "21" and summary(captured.out)["rejected (not sent)"] == "0"


def test_publish_plans_with_the_hubs_own_limit(
    fnix: Fnix, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Basic namespace takes 256 KB: a 300 KiB body is reported, not sent; the rest goes."""
    path = tmp_path / "c.jsonl"
    path.write_bytes(jsonl([dealer_event("D1", 1), keyed(2, "D1", size=300 * 1024).body, dealer_event("D1", 3)]))
    publisher = RecordingPublisher(limit=262_144)
    monkeypatch.setattr(cli_publish, "open_publisher", lambda target, hub: publisher)
    monkeypatch.setenv("EventHubConnection__fullyQualifiedNamespace", "myns.servicebus.windows.net")
    assert fnix("publish", "--hub", "contracts", str(path)) == 1
    captured = capsys.readouterr()
    err = captured.err
    assert "line 2: not sent" in err and "262,144 bytes per message" in err
    assert "myns.servicebus.windows.net (Azure identity, EventHubConnection__fullyQualifiedNamespace)" in err
    assert [b.lines for b in publisher.sent] == [(1, 3)]
    assert summary(captured.out)["sent"] == "2" and summary(captured.out)["rejected (not sent)"] == "1"


def test_publish_through_the_real_adapter_on_a_fake_client(
    fnix: Fnix, day_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = FakeClient()
    seen: list[tuple[str, str | None]] = []

    class FakeProducerClient:
        @classmethod
        def from_connection_string(cls, conn_str: str, *, eventhub_name: str | None = None) -> FakeClient:
            seen.append((conn_str, eventhub_name))
            return client

    monkeypatch.setattr(event_hub_producer, "EventHubProducerClient", FakeProducerClient)
    monkeypatch.setenv("EventHubConnection", EMULATOR)
    assert fnix("publish", "--hub", "contracts", str(day_file)) == 0
    assert seen == [(EMULATOR, "contracts")]
    assert client.sent == [("D0", 5), ("D1", 5), ("D2", 5), ("D3", 5), (None, 1)]
    assert client.closed == 1
    assert summary(capsys.readouterr().out)["sent"] == "21"


def test_publish_stops_on_a_send_failure_with_what_was_sent(
    fnix: Fnix, day_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = RecordingPublisher(fail=True)
    monkeypatch.setattr(cli_publish, "open_publisher", lambda target, hub: publisher)
    monkeypatch.setenv("EventHubConnection", EMULATOR)
    assert fnix("publish", "--hub", "contracts", str(day_file)) == 1
    err = capsys.readouterr().err
    assert "fnix publish: sending to hub contracts failed" in err
    assert "is the emulator running?" in err and "infra/local/docker-compose.yaml" in err
    assert summary(err)["sent"] == "5"
    assert publisher.closed


def test_publish_an_empty_file_connects_to_nothing(
    fnix: Fnix, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n\n")
    monkeypatch.setattr(cli_publish, "open_publisher", lambda target, hub: pytest.fail("connected"))
    monkeypatch.setenv("EventHubConnection", EMULATOR)
    assert fnix("publish", "--hub", "policy-admin-cdc", str(path)) == 0
    assert "nothing to send" in capsys.readouterr().err


def summary(err: str) -> dict[str, str]:
    rows = {}
    for line in err.splitlines():
        name, sep, value = line.strip().rpartition("  ")
        if sep and name.strip():
            rows[name.strip()] = value.strip()
    return rows
