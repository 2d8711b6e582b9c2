"""The change feed (EVENTS.md, "Change feed"): Debezium row changes parsed or refused with a reason, applied per
row in LSN order whatever order they arrive in, and the paid claims a later cancellation deducts (REFUNDS.md)."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from function_app.bootstrap import Exchange
from function_app.domain.change_feed.envelope import MAX_CHANGE_BYTES, parse_change
from function_app.domain.change_feed.records import ChangeOp, Lsn, RowChange
from function_app.domain.change_feed.rows import BACK_OFFICE_STATUSES
from function_app.domain.change_feed.source_of_record import RowVersion, SourceOfRecord, apply_change
from function_app.domain.kernel.feedback import ReasonCode
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.kernel.messages import InboundMessage
from function_app.domain.realtime.parsing import CHANGE_FEED_SOURCE, parse_message
from function_app.service_layer.kernel.ports import StoredContract
from function_app.service_layer.realtime.report import BatchReport
from tests.events import LOCAL_SPEC, SPEC, T0, cancellation, contract, messages
from tests.partners import memory_exchange

CDC = "policy-admin-cdc"
DAY = date(2026, 3, 2)  # T0 in the exchange's zone (America/Chicago): where dead letters are filed
CHANGED_ON = date(2025, 9, 3)  # source.ts_ms of these changes in that zone: the journal's business date
NUMBER = "VSC2501150001"
CLAIM = "CLM-778120"
SPEC_CLAIM = {"claim_number": CLAIM, "contract_number": NUMBER, "status": "PAID", "paid_amount": "412.37",
              "paid_date": "2025-09-03"}
SPEC_LSN = Lsn("0000002a:00000a10:0003", "0000002a:00000a10:0002", 1)
_DROP = object()


# ---------------------------------------------------------------------------------------------------------------
# Building changes
# ---------------------------------------------------------------------------------------------------------------


def spec_change() -> dict[str, Any]:
    """The spec's example: a claim of 412.37 paid on VSC2501150001."""
    folder = SPEC if SPEC.exists() else LOCAL_SPEC
    line = (folder / "cdc.jsonl").read_text(encoding="utf-8").splitlines()[0]
    document: dict[str, Any] = json.loads(line)
    return document


def edited(*edits: tuple[str, Any]) -> bytes:
    """The spec's example with dotted paths set (or removed, with _DROP)."""
    document = spec_change()
    for path, value in edits:
        *parents, leaf = path.split(".")
        node = document
        for part in parents:
            node = node[part]
        if value is _DROP:
            del node[leaf]
        else:
            node[leaf] = value
    return json.dumps(document).encode()


def lsn_text(value: int, slot: int = 0x1B) -> str:
    return f"0000002a:{value:08x}:{slot:04x}"


def debezium(table: str, op: str, row: dict[str, Any], commit: int, change: int = 0, serial: int = 1, *,
             upper: bool = False) -> dict[str, Any]:
    """One Debezium change of `row` at LSN (commit, change, serial); `upper` writes the LSN's hex in upper case."""
    case = str.upper if upper else str.lower
    source = {"connector": "sqlserver", "db": "policyadmin", "schema": "dbo", "table": table,
              "commit_lsn": case(lsn_text(commit)), "change_lsn": case(lsn_text(change)),
              "event_serial_no": serial, "ts_ms": 1756915200000 + commit}
    deleted = op == ChangeOp.DELETE.value
    return {"payload": {"before": dict(row) if deleted else None, "after": None if deleted else dict(row),
                        "source": source, "op": op, "ts_ms": 1756915200450 + commit}}


def lsn(commit: int, change: int = 0, serial: int = 1) -> Lsn:
    return Lsn(lsn_text(commit), lsn_text(change), serial)


def claim_row(claim: str = CLAIM, number: str = NUMBER, status: str = "PAID", amount: str | None = "412.37",
              paid: str | None = "2025-09-03") -> dict[str, Any]:
    return {"claim_number": claim, "contract_number": number, "status": status, "paid_amount": amount,
            "paid_date": paid}


def contract_row(number: str = NUMBER, status: str = "ACTIVE") -> dict[str, Any]:
    return {"contract_number": number, "status": status}


def feed(exchange: Exchange, changes: Sequence[dict[str, Any] | bytes], *, start: int = 0) -> BatchReport:
    return exchange.realtime.process(messages(CDC, changes, start=start, at=T0 + timedelta(seconds=start)))


def source_of_record(exchange: Exchange, number: str = NUMBER) -> SourceOfRecord:
    stored = exchange.contracts.load([number], {}).contracts.get(number)
    return stored.record.source_of_record if stored else SourceOfRecord()


def journal(exchange: Exchange) -> list[JournalFact]:
    return list(exchange.journal.read(CHANGED_ON))


def only_reason(body: bytes) -> tuple[ReasonCode, str | None, str]:
    change, reasons = parse_change(body)
    assert change is None
    assert len(reasons) == 1, reasons
    return reasons[0].code, reasons[0].field, reasons[0].message


# ---------------------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------------------


def test_the_spec_example_parses() -> None:
    change, reasons = parse_change(json.dumps(spec_change()).encode())
    assert reasons == ()
    assert change == RowChange("claims", ChangeOp.CREATE, NUMBER, CLAIM, SPEC_CLAIM, SPEC_LSN, 1756915200000)
    assert change.row_key == CLAIM


def test_a_change_is_identified_by_its_row_and_log_position() -> None:
    event = parse_message(InboundMessage(CDC, json.dumps(spec_change()).encode(), "0", 7, T0))
    assert event.reasons == ()
    assert event.source == CHANGE_FEED_SOURCE
    assert event.event_id == f"claims:{CLAIM}@{SPEC_LSN}"
    assert event.input_key == f"{CHANGE_FEED_SOURCE}\nclaims:{CLAIM}@{SPEC_LSN}"
    assert event.routing_key == NUMBER


def test_a_contracts_row_is_routed_to_its_contract() -> None:
    body = json.dumps(debezium("contracts", "u", contract_row(status="SUSPENDED"), 0x40)).encode()
    change, reasons = parse_change(body)
    assert reasons == ()
    assert change is not None
    assert (change.table, change.op, change.contract_number, change.claim_number) == ("contracts", ChangeOp.UPDATE,
                                                                                      NUMBER, None)
    assert change.row_key == NUMBER
    event = parse_message(InboundMessage(CDC, body, "0", 1, T0))
    assert event.event_id == f"contracts:{NUMBER}@{lsn(0x40)}"


MALFORMED = [
    pytest.param(b'{"payload": ', ReasonCode.MALFORMED, None, "JSON", id="not JSON"),
    pytest.param(b"\xff\xfe{}", ReasonCode.MALFORMED, None, "UTF-8", id="not UTF-8"),
    pytest.param(b" " * (MAX_CHANGE_BYTES + 1), ReasonCode.MALFORMED, None, "limit", id="too large"),
    pytest.param(b'{"payload": null, "before": {}}', ReasonCode.MALFORMED, None, "payload", id="payload null"),
    pytest.param(b'[{"payload": {}}]', ReasonCode.MALFORMED, None, "payload", id="not an object"),
    pytest.param(b'"text"', ReasonCode.MALFORMED, None, "payload", id="a JSON string"),
    pytest.param(b'{"schema": {}}', ReasonCode.MALFORMED, None, "source", id="no payload"),
    pytest.param(edited(("payload.source", _DROP)), ReasonCode.MALFORMED, None, "source", id="no source"),
    pytest.param(edited(("payload.source", "claims")), ReasonCode.MALFORMED, None, "source", id="source text"),
    pytest.param(edited(("payload.source.table", "policies")), ReasonCode.SCHEMA_INVALID, "payload.source.table",
                 "table", id="unknown table"),
    pytest.param(edited(("payload.source.table", _DROP)), ReasonCode.SCHEMA_INVALID, "payload.source.table",
                 "table", id="no table"),
    pytest.param(edited(("payload.source.commit_lsn", "2a:a10:3")), ReasonCode.SCHEMA_INVALID,
                 "payload.source.commit_lsn", "commit_lsn", id="short commit LSN"),
    pytest.param(edited(("payload.source.commit_lsn", "0000002g:00000a10:0003")), ReasonCode.SCHEMA_INVALID,
                 "payload.source.commit_lsn", "commit_lsn", id="commit LSN not hex"),
    pytest.param(edited(("payload.source.commit_lsn", 42)), ReasonCode.SCHEMA_INVALID,
                 "payload.source.commit_lsn", "commit_lsn", id="commit LSN a number"),
    pytest.param(edited(("payload.source.change_lsn", "0000002a-00000a10-0002")), ReasonCode.SCHEMA_INVALID,
                 "payload.source.change_lsn", "change_lsn", id="change LSN with dashes"),
    pytest.param(edited(("payload.source.change_lsn", None)), ReasonCode.SCHEMA_INVALID,
                 "payload.source.change_lsn", "change_lsn", id="change LSN null"),
    pytest.param(edited(("payload.source.event_serial_no", "1")), ReasonCode.SCHEMA_INVALID,
                 "payload.source.event_serial_no", "event_serial_no", id="serial text"),
    pytest.param(edited(("payload.source.event_serial_no", -1)), ReasonCode.SCHEMA_INVALID,
                 "payload.source.event_serial_no", "event_serial_no", id="serial negative"),
    pytest.param(edited(("payload.source.event_serial_no", True)), ReasonCode.SCHEMA_INVALID,
                 "payload.source.event_serial_no", "event_serial_no", id="serial boolean"),
    pytest.param(edited(("payload.op", _DROP)), ReasonCode.SCHEMA_INVALID, "payload.op", "op", id="missing op"),
    pytest.param(edited(("payload.op", "x")), ReasonCode.SCHEMA_INVALID, "payload.op", "op", id="op x"),
    pytest.param(edited(("payload.op", "C")), ReasonCode.SCHEMA_INVALID, "payload.op", "op", id="op upper case"),
    pytest.param(edited(("payload.op", "u"), ("payload.after", None)), ReasonCode.SCHEMA_INVALID, "payload.after",
                 "after", id="u without after"),
    pytest.param(edited(("payload.after", _DROP)), ReasonCode.SCHEMA_INVALID, "payload.after", "after",
                 id="c without after"),
    pytest.param(edited(("payload.op", "r"), ("payload.after", "row")), ReasonCode.SCHEMA_INVALID, "payload.after",
                 "after", id="r with after not an object"),
    pytest.param(edited(("payload.op", "d")), ReasonCode.SCHEMA_INVALID, "payload.before", "before",
                 id="d without before"),
    pytest.param(edited(("payload.after.contract_number", "vsc2501150001")), ReasonCode.SCHEMA_INVALID,
                 "contract_number", "contract_number", id="contract number lower case"),
    pytest.param(edited(("payload.after.contract_number", "VSC1")), ReasonCode.SCHEMA_INVALID,
                 "contract_number", "contract_number", id="contract number too short"),
    pytest.param(edited(("payload.after.contract_number", _DROP)), ReasonCode.SCHEMA_INVALID,
                 "contract_number", "contract_number", id="no contract number"),
    pytest.param(edited(("payload.after.claim_number", "CLM 778120")), ReasonCode.SCHEMA_INVALID,
                 "claim_number", "claim_number", id="claim number with a space"),
    pytest.param(edited(("payload.after.claim_number", 778120)), ReasonCode.SCHEMA_INVALID,
                 "claim_number", "claim_number", id="claim number a number"),
    pytest.param(edited(("payload.op", "d"), ("payload.before", {"claim_number": CLAIM})), ReasonCode.SCHEMA_INVALID,
                 "contract_number", "contract_number", id="delete without contract number"),
    pytest.param(edited(("payload.source.table", "contracts"), ("payload.after", contract_row(status="VOID"))),
                 ReasonCode.SCHEMA_INVALID, "status", "status", id="contract status unknown"),
    pytest.param(edited(("payload.source.table", "contracts"), ("payload.after", contract_row(status="active"))),
                 ReasonCode.SCHEMA_INVALID, "status", "status", id="contract status lower case"),
    pytest.param(edited(("payload.source.table", "contracts"), ("payload.after", {"contract_number": NUMBER})),
                 ReasonCode.SCHEMA_INVALID, "status", "status", id="contract without status"),
    pytest.param(edited(("payload.after.status", "")), ReasonCode.SCHEMA_INVALID, "status", "status",
                 id="claim status empty"),
    pytest.param(edited(("payload.after.status", _DROP)), ReasonCode.SCHEMA_INVALID, "status", "status",
                 id="claim without status"),
    pytest.param(edited(("payload.after.paid_amount", "412.375")), ReasonCode.SCHEMA_INVALID, "paid_amount",
                 "cents", id="amount not whole cents"),
    pytest.param(edited(("payload.after.paid_amount", 412.375)), ReasonCode.SCHEMA_INVALID, "paid_amount",
                 "cents", id="amount a double not whole cents"),
    pytest.param(edited(("payload.after.paid_amount", "1e3")), ReasonCode.SCHEMA_INVALID, "paid_amount",
                 "plain decimal", id="amount with an exponent"),
    pytest.param(edited(("payload.after.paid_amount", "-412.37")), ReasonCode.SCHEMA_INVALID, "paid_amount",
                 "plain decimal", id="amount negative"),
    pytest.param(edited(("payload.after.paid_amount", -412.37)), ReasonCode.SCHEMA_INVALID, "paid_amount",
                 "from 0.00", id="amount a negative double"),
    pytest.param(edited(("payload.after.paid_amount", "1,412.37")), ReasonCode.SCHEMA_INVALID, "paid_amount",
                 "plain decimal", id="amount with a thousands separator"),
    pytest.param(edited(("payload.after.paid_amount", "10000000.00")), ReasonCode.SCHEMA_INVALID, "paid_amount",
                 "9999999.99", id="amount too large to deliver"),
    pytest.param(edited(("payload.after.paid_amount", "QUJD*A==")), ReasonCode.SCHEMA_INVALID, "paid_amount",
                 "plain decimal", id="amount neither text nor base64"),
    pytest.param(edited(("payload.after.paid_amount", True)), ReasonCode.SCHEMA_INVALID, "paid_amount",
                 "boolean", id="amount a boolean"),
    pytest.param(edited(("payload.after.paid_amount", {"scale": 2, "value": "oQ=="})), ReasonCode.SCHEMA_INVALID,
                 "paid_amount", "object", id="amount an object"),
    pytest.param(edited(("payload.after.paid_date", "2025-09-31")), ReasonCode.SCHEMA_INVALID, "paid_date",
                 "paid_date", id="paid date not a day"),
    pytest.param(edited(("payload.after.paid_date", "09/03/2025")), ReasonCode.SCHEMA_INVALID, "paid_date",
                 "paid_date", id="paid date US style"),
    pytest.param(edited(("payload.after.paid_date", 20250903)), ReasonCode.SCHEMA_INVALID, "paid_date",
                 "paid_date", id="paid date a yyyymmdd number"),
    pytest.param(edited(("payload.after.paid_date", "2025-09-03T25:00:00Z")), ReasonCode.SCHEMA_INVALID,
                 "paid_date", "calendar", id="paid date an impossible time"),
    pytest.param(edited(("payload.after.paid_date", -40000)), ReasonCode.SCHEMA_INVALID, "paid_date", "1900-01-01",
                 id="paid date before 1900"),
    pytest.param(edited(("payload.after.paid_date", 10**30)), ReasonCode.SCHEMA_INVALID, "paid_date", "calendar",
                 id="paid date beyond the calendar"),
    pytest.param(edited(("payload.after.status", "P" * 100_000)), ReasonCode.SCHEMA_INVALID, "status",
                 "100000 characters", id="claim status of 100 KB"),
    pytest.param(edited(("payload.after.status", "PAID\u2028")), ReasonCode.SCHEMA_INVALID, "status",
                 "separator", id="claim status with a line separator"),
    pytest.param(edited(("payload.source.ts_ms", -1)), ReasonCode.SCHEMA_INVALID, "payload.source.ts_ms",
                 "ts_ms", id="ts_ms negative"),
    pytest.param(edited(("payload.source.ts_ms", 10**20)), ReasonCode.SCHEMA_INVALID, "payload.source.ts_ms",
                 "ts_ms", id="ts_ms beyond the calendar"),
]


@pytest.mark.parametrize(("body", "code", "where", "mentions"), MALFORMED)
def test_a_malformed_change_is_refused_with_a_clear_reason(
    body: bytes, code: ReasonCode, where: str | None, mentions: str
) -> None:
    assert only_reason(body)[:2] == (code, where)
    assert mentions in only_reason(body)[2]


def test_every_problem_of_a_change_is_reported_at_once() -> None:
    body = edited(("payload.source.table", "policies"), ("payload.source.commit_lsn", "bad"), ("payload.op", "x"))
    change, reasons = parse_change(body)
    assert change is None
    assert {r.field for r in reasons} == {"payload.source.table", "payload.source.commit_lsn", "payload.op"}
    assert {r.code for r in reasons} == {ReasonCode.SCHEMA_INVALID}

    row = claim_row(claim="bad claim", status="", amount="1.555", paid="someday")
    change, reasons = parse_change(json.dumps(debezium("claims", "u", row, 0x40)).encode())
    assert change is None
    assert [r.field for r in reasons] == ["claim_number", "status", "paid_amount", "paid_date"]


def test_a_claim_not_yet_paid_may_have_no_amount_or_date() -> None:
    row = claim_row(status="OPEN", amount=None, paid=None)
    change, reasons = parse_change(json.dumps(debezium("claims", "c", row, 0x40)).encode())
    assert reasons == ()
    assert change is not None and change.row == row


def test_a_delete_carries_the_row_as_it_was_before() -> None:
    change, reasons = parse_change(json.dumps(debezium("claims", "d", claim_row(), 0x40)).encode())
    assert reasons == ()
    assert change is not None
    assert (change.op, change.row, change.contract_number, change.claim_number) == (ChangeOp.DELETE, claim_row(),
                                                                                    NUMBER, CLAIM)


def test_upper_and_lower_case_hex_lsns_are_the_same_position() -> None:
    upper = edited(("payload.source.commit_lsn", "0000002A:00000A10:0003"),
                   ("payload.source.change_lsn", "0000002A:00000A10:0002"))
    lower = json.dumps(spec_change()).encode()
    mixed = edited(("payload.source.commit_lsn", "0000002a:00000A10:0003"))
    changes = [parse_change(body)[0] for body in (upper, lower, mixed)]
    assert all(c is not None and c.lsn == SPEC_LSN for c in changes)
    keys = {parse_message(InboundMessage(CDC, body, "0", i, T0)).input_key for i, body in enumerate([upper, lower])}
    assert len(keys) == 1


def test_lsns_order_by_commit_then_change_then_serial_as_hex_numbers() -> None:
    ordered = [lsn(0x09, 0xFF, 9), lsn(0x0A, 0x00, 0), lsn(0x0A, 0x00, 1), lsn(0x0A, 0x0B, 0), lsn(0x0B, 0x00, 0)]
    assert sorted(reversed(ordered)) == ordered
    nine = parse_change(json.dumps(debezium("claims", "c", claim_row(), 0x09, upper=True)).encode())[0]
    ten = parse_change(json.dumps(debezium("claims", "c", claim_row(), 0x0A, upper=True)).encode())[0]
    assert nine is not None and ten is not None
    assert nine.lsn < ten.lsn  # "0000000A" after "00000009", whatever the case it was written in
    assert Lsn.parse(str(ten.lsn)) == ten.lsn


def test_an_lsn_with_a_trailing_newline_is_bad_lsn_text() -> None:
    code, where, _message = only_reason(edited(("payload.source.commit_lsn", "0000002a:00000a10:0003\n")))
    assert (code, where) == (ReasonCode.SCHEMA_INVALID, "payload.source.commit_lsn")


@pytest.mark.parametrize("paid", ["2025-W36-3", "20250903"])
def test_a_paid_date_is_a_calendar_date_written_yyyy_mm_dd(paid: str) -> None:
    code, where, _message = only_reason(edited(("payload.after.paid_date", paid)))
    assert (code, where) == (ReasonCode.SCHEMA_INVALID, "paid_date")


def test_a_deeply_nested_body_is_malformed() -> None:
    assert only_reason(b"[" * 100_000)[0] is ReasonCode.MALFORMED


# ---------------------------------------------------------------------------------------------------------------
# Any arrival order, any redelivery, any batching: the same source of record as applying in LSN order once
# ---------------------------------------------------------------------------------------------------------------

CONTRACTS = ("VSC2601010001", "GAP2601010002")
CLAIMS = {"CLM-000001": CONTRACTS[0], "CLM-000002": CONTRACTS[0], "CLM-000003": CONTRACTS[1]}
ROWS = [("contracts", number) for number in CONTRACTS] + [("claims", claim) for claim in CLAIMS]


@dataclass(frozen=True)
class Change:
    table: str
    key: str
    op: str
    row: dict[str, Any]
    position: tuple[int, int, int]  # commit, change, serial
    upper: bool

    @property
    def contract_number(self) -> str:
        return self.key if self.table == "contracts" else CLAIMS[self.key]

    @property
    def lsn(self) -> Lsn:
        return lsn(*self.position)

    def body(self) -> bytes:
        return json.dumps(debezium(self.table, self.op, self.row, *self.position, upper=self.upper)).encode()

    def event_id(self) -> str:
        return f"{self.table}:{self.key}@{self.lsn}"


def row_values(table: str, key: str) -> st.SearchStrategy[dict[str, Any]]:
    if table == "contracts":
        return st.builds(contract_row, st.just(key), st.sampled_from(BACK_OFFICE_STATUSES))
    return st.builds(
        claim_row, st.just(key), st.just(CLAIMS[key]), st.sampled_from(["OPEN", "PAID", "DENIED"]),
        st.sampled_from([None, "412.37", "100.00", "0.01"]), st.sampled_from([None, "2025-09-03"]),
    )


@st.composite
def histories(draw: st.DrawFn) -> list[Change]:
    """Changes to a few rows at distinct LSNs (commit and change hex both cross 9 -> a), listed in LSN order."""
    parts = st.tuples(st.integers(0x09, 0x0C), st.integers(0x9F, 0xA1), st.integers(0, 2))
    positions = sorted(draw(st.sets(parts, min_size=1, max_size=14)))
    changes = []
    for position in positions:
        table, key = draw(st.sampled_from(ROWS))
        op = draw(st.sampled_from([o.value for o in ChangeOp]))
        changes.append(Change(table, key, op, draw(row_values(table, key)), position, draw(st.booleans())))
    return changes


def expected_state(changes: Sequence[Change], number: str) -> SourceOfRecord:
    """Each row as its change with the highest LSN left it (None once deleted), with that LSN."""
    latest: dict[tuple[str, str], Change] = {}
    for change in changes:
        if change.contract_number == number:
            current = latest.get((change.table, change.key))
            if current is None or change.position > current.position:
                latest[(change.table, change.key)] = change

    def version(change: Change) -> RowVersion:
        return RowVersion(change.lsn, None if change.op == ChangeOp.DELETE.value else change.row)

    row = latest.get(("contracts", number))
    claims = {key: version(c) for (table, key), c in latest.items() if table == "claims"}
    return SourceOfRecord(version(row) if row else None, claims)


def stored_state(exchange: Exchange, numbers: Sequence[str] = CONTRACTS) -> dict[str, StoredContract]:
    """The contracts' stored records, with the version token that any write would change."""
    return dict(exchange.contracts.load(numbers, {}).contracts)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=histories(), data=st.data())
def test_any_arrival_order_redelivery_and_batching_ends_as_lsn_order_once(
    changes: list[Change], data: st.DataObject
) -> None:
    in_order = memory_exchange()
    in_order.realtime.process([InboundMessage(CDC, c.body(), "0", i, T0) for i, c in enumerate(changes)])

    arrivals = list(data.draw(st.permutations(range(len(changes))), label="arrival order"))
    for repeat in data.draw(st.lists(st.integers(0, len(changes) - 1), max_size=6), label="redelivered"):
        arrivals.insert(data.draw(st.integers(0, len(arrivals)), label="at"), repeat)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(arrivals) - 1)), max_size=5), label="batch cuts"))
    bounds = [0, *cuts, len(arrivals)]
    sequence = iter(range(1000, 10_000))
    batches = []
    for start, end in itertools.pairwise(bounds):
        batch = []
        for index in arrivals[start:end]:
            seq = next(sequence)
            batch.append(InboundMessage(CDC, changes[index].body(), "0", seq, T0 + timedelta(seconds=seq)))
        if batch:
            batches.append(batch)

    shuffled = memory_exchange()
    for batch in batches:
        shuffled.realtime.process(batch)

    for number in CONTRACTS:
        expected = expected_state(changes, number)
        assert source_of_record(in_order, number) == expected
        assert source_of_record(shuffled, number) == expected
        assert source_of_record(shuffled, number).claims_paid == source_of_record(in_order, number).claims_paid

    facts = journal(shuffled)
    _assert_back_office_facts(facts, changes, arrivals)

    # The same batches delivered again change nothing: no record written, no fact added.
    records = stored_state(shuffled)
    for index in data.draw(st.lists(st.integers(0, len(batches) - 1), max_size=3), label="batches redelivered"):
        shuffled.realtime.process(batches[index])
    assert stored_state(shuffled) == records
    assert journal(shuffled) == facts


def _assert_back_office_facts(facts: list[JournalFact], changes: list[Change], arrivals: list[int]) -> None:
    """What must hold whatever the arrival order: one fact at most per change, only from a change that was
    newer than everything of its row that had arrived before it, and the row's last status or paid amount told."""
    by_id = {c.event_id(): c for c in changes}
    assert {f.kind for f in facts} <= {FactKind.STATUS_CHANGED, FactKind.CLAIM_PAID}
    assert len({f.position for f in facts}) == len(facts)
    assert max(Counter(f.event_id for f in facts).values(), default=1) == 1
    first_arrival = {index: arrivals.index(index) for index in set(arrivals)}
    for fact in facts:
        change = by_id[fact.event_id]
        assert fact.source == CHANGE_FEED_SOURCE
        assert fact.contract_number == change.contract_number
        earlier = [c for i, c in enumerate(changes) if first_arrival[i] < first_arrival[changes.index(change)]]
        assert all(c.position < change.position for c in earlier if (c.table, c.key) == (change.table, change.key))
        if fact.kind is FactKind.STATUS_CHANGED:
            assert change.table == "contracts" and change.op != "d"
            assert fact.data["back_office"]["status"] == change.row["status"]
        else:
            assert change.table == "claims" and change.op != "d" and change.row["status"] == "PAID"
            assert fact.data["claim"]["claim_number"] == change.key
            assert fact.data["claim"]["paid_amount"] == change.row["paid_amount"]
    for number in CONTRACTS:
        state = expected_state(changes, number)
        if state.status is not None:
            told = [f.data["back_office"]["status"] for f in facts
                    if f.kind is FactKind.STATUS_CHANGED and f.contract_number == number]
            assert state.status in told
        for key, version in state.claims.items():
            if version.values and version.values["status"] == "PAID":
                paid = [f.data["claim"]["paid_amount"] for f in facts
                        if f.kind is FactKind.CLAIM_PAID and f.data["claim"]["claim_number"] == key]
                assert version.values["paid_amount"] in paid


def test_applying_the_same_change_again_or_an_older_one_changes_nothing() -> None:
    paid = parse_change(json.dumps(debezium("claims", "u", claim_row(), 0x30)).encode())[0]
    older = parse_change(json.dumps(debezium("claims", "u", claim_row(status="OPEN"), 0x2F)).encode())[0]
    assert paid is not None and older is not None
    first = apply_change(SourceOfRecord(), paid)
    assert (first.stale, first.before, first.after) == (False, None, claim_row())
    for change in (paid, older):
        again = apply_change(first.state, change)
        assert again.stale
        assert again.state == first.state


def test_a_redelivered_change_is_a_no_op_and_adds_no_fact() -> None:
    exchange = memory_exchange()
    feed(exchange, [spec_change()])
    first = stored_state(exchange, [NUMBER])
    facts = journal(exchange)
    assert [f.kind for f in facts] == [FactKind.CLAIM_PAID]
    assert facts[0].data["claims_paid"] == "412.37"
    upper = edited(("payload.source.commit_lsn", "0000002A:00000A10:0003"))
    feed(exchange, [spec_change(), upper, spec_change()], start=10)
    assert stored_state(exchange, [NUMBER]) == first
    assert journal(exchange) == facts


# ---------------------------------------------------------------------------------------------------------------
# Deletes
# ---------------------------------------------------------------------------------------------------------------


def test_a_claim_deleted_after_being_paid_no_longer_counts() -> None:
    exchange = memory_exchange()
    feed(exchange, [debezium("claims", "c", claim_row(), 0x20)])
    assert source_of_record(exchange).claims_paid == Decimal("412.37")
    feed(exchange, [debezium("claims", "d", claim_row(), 0x21)], start=1)
    state = source_of_record(exchange)
    assert state.claims_paid == Decimal("0.00")
    assert state.claims[CLAIM] == RowVersion(lsn(0x21), None)


def test_a_paid_claim_deleted_is_not_deducted_from_a_refund() -> None:
    exchange = memory_exchange()
    exchange.realtime.process(messages("contracts", [contract(NUMBER)]))
    feed(exchange, [debezium("claims", "c", claim_row(), 0x20), debezium("claims", "d", claim_row(), 0x21)], start=1)
    report = exchange.realtime.process(messages("cancellations", [cancellation(NUMBER)], start=5))
    refund = report.feedback[0].to_json()["data"]["refund"]
    assert (refund["claims_deducted"], refund["customer_refund"]) == ("0.00", "1675.71")  # REFUNDS.md, mid-term


def test_a_delete_older_than_the_row_is_ignored() -> None:
    exchange = memory_exchange()
    feed(exchange, [debezium("claims", "u", claim_row(), 0x30)])
    facts = journal(exchange)
    feed(exchange, [debezium("claims", "d", claim_row(status="OPEN", amount=None), 0x2F, 0xFF, 9)], start=1)
    state = source_of_record(exchange)
    assert state.claims[CLAIM] == RowVersion(lsn(0x30), claim_row())
    assert state.claims_paid == Decimal("412.37")
    assert journal(exchange) == facts


def test_a_create_after_a_delete_with_a_newer_lsn_restores_the_row() -> None:
    exchange = memory_exchange()
    feed(exchange, [debezium("claims", "c", claim_row(status="OPEN", amount=None, paid=None), 0x20),
                    debezium("claims", "d", claim_row(status="OPEN", amount=None, paid=None), 0x21)])
    feed(exchange, [debezium("claims", "c", claim_row(amount="99.99"), 0x22)], start=5)
    state = source_of_record(exchange)
    assert state.claims[CLAIM] == RowVersion(lsn(0x22), claim_row(amount="99.99"))
    assert state.claims_paid == Decimal("99.99")


def test_a_delete_keeps_its_position_so_an_older_create_arriving_late_cannot_bring_the_row_back() -> None:
    exchange = memory_exchange()
    feed(exchange, [debezium("claims", "d", claim_row(), 0x21)])
    feed(exchange, [debezium("claims", "c", claim_row(), 0x20)], start=1)
    state = source_of_record(exchange)
    assert state.claims[CLAIM] == RowVersion(lsn(0x21), None)
    assert state.claims_paid == Decimal("0.00")
    assert journal(exchange) == []


def test_a_contract_row_deleted_leaves_no_status() -> None:
    exchange = memory_exchange()
    feed(exchange, [debezium("contracts", "c", contract_row(status="SUSPENDED"), 0x20),
                    debezium("contracts", "d", contract_row(status="SUSPENDED"), 0x21)])
    state = source_of_record(exchange)
    assert state.status is None
    assert state.contract == RowVersion(lsn(0x21), None)


# ---------------------------------------------------------------------------------------------------------------
# Snapshot, then the stream
# ---------------------------------------------------------------------------------------------------------------


def test_snapshot_rows_then_newer_streamed_changes_apply() -> None:
    exchange = memory_exchange()
    snapshot = [debezium("contracts", "r", contract_row(status="ACTIVE"), 0x20, 0, 1),
                debezium("claims", "r", claim_row(status="OPEN", amount=None, paid=None), 0x20, 0, 2)]
    feed(exchange, snapshot)
    assert source_of_record(exchange).status == "ACTIVE"
    stream = [debezium("contracts", "u", contract_row(status="SUSPENDED"), 0x21, 0x21),
              debezium("claims", "u", claim_row(), 0x22, 0x22)]
    feed(exchange, stream, start=5)
    state = source_of_record(exchange)
    assert state.status == "SUSPENDED"
    assert state.claims[CLAIM] == RowVersion(lsn(0x22, 0x22), claim_row())
    assert state.claims_paid == Decimal("412.37")
    told = [(f.kind, f.data.get("back_office", {}).get("status")) for f in journal(exchange)]
    assert sorted(told) == sorted([(FactKind.STATUS_CHANGED, "ACTIVE"), (FactKind.STATUS_CHANGED, "SUSPENDED"),
                                   (FactKind.CLAIM_PAID, None)])


def test_a_snapshot_row_arriving_after_a_newer_streamed_change_is_ignored() -> None:
    exchange = memory_exchange()
    feed(exchange, [debezium("contracts", "u", contract_row(status="EXPIRED"), 0x30, 0x30),
                    debezium("claims", "u", claim_row(), 0x31, 0x31)])
    facts = journal(exchange)
    feed(exchange, [debezium("contracts", "r", contract_row(status="ACTIVE"), 0x20),
                    debezium("claims", "r", claim_row(status="OPEN", amount=None, paid=None), 0x20, 0, 2)], start=5)
    state = source_of_record(exchange)
    assert state.status == "EXPIRED"
    assert state.claims_paid == Decimal("412.37")
    assert journal(exchange) == facts


# ---------------------------------------------------------------------------------------------------------------
# Refunds deduct the claims paid (REFUNDS.md rules 3 and 8)
# ---------------------------------------------------------------------------------------------------------------

MID_TERM_WITH_CLAIM = {
    # REFUNDS.md "VSC, mid-term" (unearned 41500/60000, gross 1725.71, fee 50.00) with the spec's claim of 412.37:
    # claims_deducted = min(412.37, 1725.71 - 50.00); customer 1675.71 - 412.37 = 1263.34;
    # provider = min(1263.34, round(1100.00 x 0.691666...)) = 760.83; dealer 1263.34 - 760.83 = 502.51.
    "method": "PRO_RATA", "unearned_fraction": "0.691667", "days_used": 411, "miles_used": 18500,
    "gross_refund": "1725.71", "cancellation_fee": "50.00", "claims_deducted": "412.37",
    "customer_refund": "1263.34", "provider_refund": "760.83", "dealer_chargeback": "502.51", "payee": "CUSTOMER",
    # the spec's customer is in Texas: the shipped example rules apply (30 days, 50.00 change no VSC figure)
    "state_rule": "TX",
}


def test_a_paid_claim_is_deducted_from_the_refund_of_a_later_cancellation() -> None:
    exchange = memory_exchange()
    exchange.realtime.process(messages("contracts", [contract(NUMBER)]))
    feed(exchange, [spec_change()], start=1)
    report = exchange.realtime.process(messages("cancellations", [cancellation(NUMBER)], start=2))
    assert report.feedback[0].decision.status == "ACCEPTED"
    assert report.feedback[0].to_json()["data"]["refund"] == MID_TERM_WITH_CLAIM


def test_a_paid_claim_forfeits_the_free_look() -> None:
    """Cancelled 45 days after sale (the free-look example), but claims > 0: PRO_RATA by time, 45/1826 used;
    gross round(2495.00 x 1781/1826) = 2433.51; fee 50.00; claims 412.37; customer 1971.14;
    provider min(1971.14, round(1100.00 x 1781/1826) = 1072.89); dealer 898.25."""
    exchange = memory_exchange()
    exchange.realtime.process(messages("contracts", [contract(NUMBER)]))
    feed(exchange, [spec_change()], start=1)
    request = cancellation(NUMBER, cancel_date="2025-03-01", odometer=13_000)
    answer = exchange.realtime.process(messages("cancellations", [request], start=2)).feedback[0]
    refund = answer.to_json()["data"]["refund"]
    assert refund == {
        "method": "PRO_RATA", "unearned_fraction": "0.975356", "days_used": 45, "miles_used": 1000,
        "gross_refund": "2433.51", "cancellation_fee": "50.00", "claims_deducted": "412.37",
        "customer_refund": "1971.14", "provider_refund": "1072.89", "dealer_chargeback": "898.25", "payee": "CUSTOMER",
        "state_rule": "TX",
    }


def test_a_claim_paid_before_the_exchange_has_seen_the_contract_is_kept_and_deducted() -> None:
    exchange = memory_exchange()
    feed(exchange, [spec_change()])
    assert source_of_record(exchange).claims_paid == Decimal("412.37")
    submitted = exchange.realtime.process(messages("contracts", [contract(NUMBER)], start=1))
    assert [fb.decision.status for fb in submitted.feedback] == ["ACCEPTED"]
    assert source_of_record(exchange).claims_paid == Decimal("412.37")
    report = exchange.realtime.process(messages("cancellations", [cancellation(NUMBER)], start=2))
    assert report.feedback[0].to_json()["data"]["refund"] == MID_TERM_WITH_CLAIM


def test_a_held_cancellation_released_by_its_contract_deducts_a_claim_paid_meanwhile() -> None:
    exchange = memory_exchange()
    assert exchange.realtime.process(messages("cancellations", [cancellation(NUMBER)])).held == 1
    feed(exchange, [spec_change()], start=1)
    report = exchange.realtime.process(messages("contracts", [contract(NUMBER)], start=2))
    assert [fb.decision.status for fb in report.feedback] == ["ACCEPTED", "ACCEPTED"]
    assert report.feedback[1].to_json()["data"]["refund"] == MID_TERM_WITH_CLAIM


def test_only_paid_claims_count() -> None:
    exchange = memory_exchange()
    feed(exchange, [debezium("claims", "c", claim_row("CLM-000001", status="DENIED", amount="50.00"), 0x20),
                    debezium("claims", "c", claim_row("CLM-000002", status="OPEN", amount=None), 0x21),
                    debezium("claims", "c", claim_row("CLM-000003", amount="100.00"), 0x22),
                    debezium("claims", "c", claim_row("CLM-000004", amount="0.01"), 0x23)])
    assert source_of_record(exchange).claims_paid == Decimal("100.01")
    paid = [f.data["claim"]["claim_number"] for f in journal(exchange) if f.kind is FactKind.CLAIM_PAID]
    assert sorted(paid) == ["CLM-000003", "CLM-000004"]


# ---------------------------------------------------------------------------------------------------------------
# Malformed changes are dead-lettered, and the batch goes on
# ---------------------------------------------------------------------------------------------------------------


def test_malformed_changes_are_dead_lettered_with_their_reason_and_the_batch_goes_on() -> None:
    exchange = memory_exchange()
    not_json = b'{"payload": '
    op_x = edited(("payload.op", "x"))
    bad_status = json.dumps(debezium("contracts", "u", contract_row(status="VOID"), 0x51)).encode()
    batch: list[dict[str, Any] | bytes] = [
        spec_change(), not_json, op_x, debezium("contracts", "u", contract_row(status="SUSPENDED"), 0x40), bad_status,
    ]
    report = feed(exchange, batch)
    state = source_of_record(exchange)
    assert (state.claims_paid, state.status) == (Decimal("412.37"), "SUSPENDED")
    assert sorted(f.kind for f in journal(exchange)) == [FactKind.CLAIM_PAID, FactKind.STATUS_CHANGED]

    names = list(exchange.dead_letters.names(f"{CDC}/{DAY.isoformat()}/"))
    assert sorted(names) == sorted(report.dead_letters)
    letters = {exchange.dead_letters.get(name).body: exchange.dead_letters.get(name) for name in names}
    assert set(letters) == {not_json, op_x, bad_status}
    assert [(r.code, r.field) for r in letters[not_json].reasons] == [("MALFORMED", None)]
    assert [(r.code, r.field) for r in letters[op_x].reasons] == [("SCHEMA_INVALID", "payload.op")]
    assert [(r.code, r.field) for r in letters[bad_status].reasons] == [("SCHEMA_INVALID", "status")]
    assert all(r.message for letter in letters.values() for r in letter.reasons)
    assert {(letter.hub, letter.partition) for letter in letters.values()} == {(CDC, "0")}
    assert letters[op_x].sequence_number == 2

    again = feed(exchange, batch)
    assert sorted(again.dead_letters) == sorted(names)
    assert list(exchange.dead_letters.names(f"{CDC}/")) == names


NEWER_CLAIM = (("payload.after.claim_number", "CLM-999999"), ("payload.after.paid_amount", "500.00"),
               ("payload.source.commit_lsn", "0000002b:00000000:0001"))
POISON = [
    pytest.param(edited(("payload.source.ts_ms", "yesterday"), *NEWER_CLAIM), id="ts_ms not a number"),
    pytest.param(edited(("payload.op", ["c"]), *NEWER_CLAIM), id="op a list"),
    pytest.param(edited(("payload.op", {"op": "c"}), *NEWER_CLAIM), id="op an object"),
    pytest.param(b"[" * 100_000, id="deeply nested"),
]


@pytest.mark.parametrize("poison", POISON)
def test_a_change_the_parser_chokes_on_does_not_stop_the_batch(poison: bytes) -> None:
    exchange = memory_exchange()
    suspended = debezium("contracts", "u", contract_row(status="SUSPENDED"), 0x40)
    report = feed(exchange, [spec_change(), poison, suspended])
    state = source_of_record(exchange)
    assert (state.claims[CLAIM].values, state.status) == (SPEC_CLAIM, "SUSPENDED")
    refused = [exchange.dead_letters.get(name).body for name in report.dead_letters]
    assert refused == [poison] or "CLM-999999" in state.claims  # refused with a reason, or (a bad ts_ms) applied


def test_a_snapshot_read_without_change_lsn_or_serial_is_at_its_commit_lsn() -> None:
    body = {"payload": {"op": "r", "before": None,
                        "after": {"contract_number": "VSC2501150001", "status": "ACTIVE"},
                        "source": {"table": "contracts", "commit_lsn": "0000002a:00000a10:0003", "change_lsn": None,
                                   "event_serial_no": None, "ts_ms": 1756915200000}}}
    change, reasons = parse_change(json.dumps(body).encode())
    assert reasons == () and change is not None
    assert str(change.lsn).startswith("0000002a:00000a10:0003|00000000:00000000:0000|")
    body["payload"]["op"] = "u"
    assert parse_change(json.dumps(body).encode())[0] is None, "only a snapshot read may leave them out"
