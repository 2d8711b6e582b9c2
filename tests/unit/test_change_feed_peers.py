"""The change feed against what a Debezium SQL Server connector really writes (tests/peers/debezium.py): every
decimal and time encoding, schema wrapper or not, side records skipped and counted, a truncate refused, columns the
exchange does not use ignored, and a paid claim sent as base64 that a later cancellation deducts to the cent."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fnix.commands import event_time
from hypothesis import given, settings
from hypothesis import strategies as st

from function_app import telemetry
from function_app.bootstrap import Exchange
from function_app.domain.change_feed.debezium import Column, ColumnType, Unreadable, decode, decode_date, decode_money
from function_app.domain.change_feed.envelope import parse_change, read_record
from function_app.domain.change_feed.records import SideRecord
from function_app.domain.kernel.journal import FactKind
from function_app.domain.kernel.messages import InboundMessage
from function_app.domain.realtime.parsing import parse_message
from function_app.service_layer.realtime.report import BatchReport
from tests.events import T0, cancellation, contract, messages
from tests.partners import memory_exchange
from tests.peers.debezium import CLAIMS, CONTRACTS, Connector, DecimalMode, Position, SqlColumn, unscaled_base64
from tests.unit.test_change_feed import MID_TERM_WITH_CLAIM

CDC = "policy-admin-cdc"
ZONE = ZoneInfo("America/Chicago")
NUMBER = "VSC2501150001"
CLAIM = "CLM-778120"
PAID_AT = datetime(2025, 9, 3, 16, 0, tzinfo=UTC)  # 11:00 in Chicago
MODES: list[DecimalMode] = ["precise", "string", "double"]


def claim(status: str = "PAID", amount: str | None = "412.37", paid: date | None = date(2025, 9, 3),
          number: str = CLAIM, **other: Any) -> dict[str, Any]:
    """A `claims` row with every column the back office has, most of which the exchange does not use."""
    return {"claim_number": number, "contract_number": NUMBER, "status": status,
            "paid_amount": Decimal(amount) if amount else None, "paid_date": paid,
            "reserve_amount": Decimal("1500.0000"), "adjuster_notes": "water pump, towing", "reopened": False,
            "entered_at": datetime(2025, 8, 28, 9, 15, 30, 123000)} | other


def contract_row(status: str = "ACTIVE", **other: Any) -> dict[str, Any]:
    return {"contract_number": NUMBER, "status": status, "refund_paid_date": None, "premium": Decimal("2495.0000"),
            "underwriter_notes": None, "modified_at": datetime(2025, 9, 3, 10, 59, 59, 1234), "row_version": 7} | other


def feed(exchange: Exchange, bodies: Sequence[bytes], *, start: int = 0) -> BatchReport:
    return exchange.realtime.process(messages(CDC, list(bodies), start=start, at=T0 + timedelta(seconds=start)))


def stored_claims(exchange: Exchange) -> dict[str, Any]:
    stored = exchange.contracts.load([NUMBER], {}).contracts.get(NUMBER)
    assert stored is not None
    return {key: version.values for key, version in stored.record.source_of_record.claims.items()}


# ---------------------------------------------------------------------------------------------------------------
# The generator speaks Java's encoding, checked by hand, not by the parser under test
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("unscaled", "encoded"), [
    (41237, "AKEV"),  # 0x00 0xA1 0x15: a leading zero byte keeps 0xA1's high bit from reading as a sign
    (127, "fw=="), (128, "AIA="), (-1, "/w=="), (-128, "gA=="), (0, "AA=="),
])
def test_the_generator_writes_big_integers_as_java_does(unscaled: int, encoded: str) -> None:
    assert unscaled_base64(unscaled) == encoded


def test_a_default_connector_writes_the_documented_shapes() -> None:
    at = Position(0x2A_00000A10_0003, 0x2A_00000A10_0002)
    document = json.loads(Connector().change(CLAIMS, "c", None, claim(), at, PAID_AT))
    columns = {f["field"]: f for f in document["schema"]["fields"][1]["fields"]}
    assert columns["paid_amount"]["name"] == "org.apache.kafka.connect.data.Decimal"
    assert columns["paid_amount"]["parameters"] == {"scale": "2", "connect.decimal.precision": "10"}
    assert columns["reserve_amount"]["parameters"]["scale"] == "4"  # MONEY
    assert columns["paid_date"]["name"] == "io.debezium.time.Date"
    after = document["payload"]["after"]
    assert after["paid_amount"] == "AKEV"
    assert after["paid_date"] == 20334  # 2025-09-03 is 20,334 days after 1970-01-01
    assert after["contract_number"] == NUMBER.ljust(20)
    source = document["payload"]["source"]
    assert (source["connector"], source["table"], source["commit_lsn"]) == ("sqlserver", "claims",
                                                                           "0000002a:00000a10:0003")


# ---------------------------------------------------------------------------------------------------------------
# Decoding in one place, by the column's declared type
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("schemas", [True, False], ids=["wrapped", "unwrapped"])
@pytest.mark.parametrize("mode", MODES)
def test_a_paid_claim_reads_the_same_in_every_decimal_mode_wrapped_or_not(mode: DecimalMode, schemas: bool) -> None:
    body = Connector(decimal_mode=mode, schemas=schemas).change(CLAIMS, "c", None, claim(),
                                                                Position(0x2A_00000A10_0003, 0x2A_00000A10_0002),
                                                                PAID_AT)
    change, reasons = parse_change(body)
    assert reasons == ()
    assert change is not None
    assert change.row == {"claim_number": CLAIM, "contract_number": NUMBER, "status": "PAID",
                          "paid_amount": "412.37", "paid_date": "2025-09-03"}
    assert change.ts_ms == 1756915200000


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("amount", ["0.01", "0.10", "99.99", "128.00", "412.37", "1234.56", "9999999.99"])
def test_amounts_survive_every_mode_exactly(mode: DecimalMode, amount: str) -> None:
    body = Connector(decimal_mode=mode).change(CLAIMS, "u", claim(status="OPEN", amount=None), claim(amount=amount),
                                               Position(0x30, 0x30), PAID_AT)
    change, _ = parse_change(body)
    assert change is not None and change.row["paid_amount"] == amount


@settings(max_examples=200, deadline=None)
@given(amount=st.decimals(min_value=0, max_value=Decimal("9999999.99"), places=2), mode=st.sampled_from(MODES),
       schemas=st.booleans(), sql_type=st.sampled_from(["DECIMAL(10,2)", "NUMERIC(12,2)", "DECIMAL(19,4)", "MONEY"]))
def test_any_amount_in_whole_cents_reads_back_exactly(amount: Decimal, mode: DecimalMode, schemas: bool,
                                                       sql_type: str) -> None:
    """Without a schema the decoder knows only paid_amount's own scale (2), so a wider scale needs the wrapper."""
    if not schemas and mode == "precise" and sql_type not in ("DECIMAL(10,2)", "NUMERIC(12,2)"):
        sql_type = "DECIMAL(10,2)"
    table = replace(CLAIMS, columns=tuple(replace(c, sql_type=sql_type) if c.name == "paid_amount" else c
                                          for c in CLAIMS.columns))
    body = Connector(decimal_mode=mode, schemas=schemas).change(table, "c", None, claim(amount=str(amount)),
                                                                Position(0x33, 0x33), PAID_AT)
    change, reasons = parse_change(body)
    assert reasons == () and change is not None
    assert change.row["paid_amount"] == f"{amount:.2f}"


@pytest.mark.parametrize("mode", MODES)
def test_a_money_column_reads_in_every_mode(mode: DecimalMode) -> None:
    """MONEY has scale 4: "412.3700" in string mode, base64 with scale "4" by default."""
    table = replace(CLAIMS, columns=tuple(replace(c, sql_type="MONEY") if c.name == "paid_amount" else c
                                          for c in CLAIMS.columns))
    body = Connector(decimal_mode=mode).change(table, "c", None, claim(), Position(0x31, 0x31), PAID_AT)
    if mode == "string":
        assert json.loads(body)["payload"]["after"]["paid_amount"] == "412.3700"
    change, reasons = parse_change(body)
    assert reasons == () and change is not None and change.row["paid_amount"] == "412.37"


@pytest.mark.parametrize("sql_type", ["DATE", "DATETIME", "DATETIME2(3)", "DATETIME2(6)", "DATETIME2(7)"])
@pytest.mark.parametrize("schemas", [True, False], ids=["wrapped", "unwrapped"])
def test_a_paid_date_reads_whatever_its_column_type(sql_type: str, schemas: bool) -> None:
    table = replace(CLAIMS, columns=tuple(replace(c, sql_type=sql_type) if c.name == "paid_date" else c
                                          for c in CLAIMS.columns))
    paid = datetime(2025, 9, 3, 23, 59, 58, 999999) if sql_type != "DATE" else date(2025, 9, 3)
    body = Connector(schemas=schemas).change(table, "c", None, claim(paid=paid), Position(0x32, 0x32), PAID_AT)
    change, reasons = parse_change(body)
    assert reasons == () and change is not None and change.row["paid_date"] == "2025-09-03"


MONEY = Column("paid_amount", ColumnType.MONEY)
DATE_COLUMN = Column("paid_date", ColumnType.DATE)
DECIMAL_SCHEMA = {"type": "bytes", "name": "org.apache.kafka.connect.data.Decimal",
                  "parameters": {"scale": "4", "connect.decimal.precision": "19"}}


@pytest.mark.parametrize(("value", "schema", "expected"), [
    ("AKEV", None, "412.37"),  # no schema: the column's own scale, 2
    ("PuQ=", DECIMAL_SCHEMA, "1.61"),  # 0x3EE4 = 16100 at scale 4
    ("412.3700", None, "412.37"),
    ("412.3700", {"type": "string"}, "412.37"),
    (Decimal("412.37"), {"type": "double"}, "412.37"),
    (412.37, None, "412.37"),  # an already-parsed double goes through its shortest text, never float arithmetic
    (0.1, None, "0.10"),
    (412, None, "412.00"),
    (None, None, None),
])
def test_money_decodes_from_every_encoding(value: object, schema: dict[str, Any] | None, expected: str | None) -> None:
    assert decode(MONEY, value, schema) == expected


@pytest.mark.parametrize(("value", "schema", "mentions"), [
    ("AKEV", {**DECIMAL_SCHEMA, "parameters": {"scale": "x"}}, "scale"),
    ("AKEV", {**DECIMAL_SCHEMA, "parameters": {}}, "scale"),
    (base64.b64encode(b"\x7f" * 17).decode(), DECIMAL_SCHEMA, "16 bytes"),
    ("/w==", None, "0.00"),  # -1 cent
    ("PuU=", DECIMAL_SCHEMA, "cents"),  # 0x3EE5 = 16101 at scale 4: 1.6101
    ("NaN", None, "plain"),
    (float("nan"), None, "0.00"),
    (float("inf"), None, "0.00"),
])
def test_money_that_cannot_be_stored_is_refused_with_a_reason(value: object, schema: dict[str, Any] | None,
                                                               mentions: str) -> None:
    with pytest.raises(Unreadable, match=mentions):
        decode_money(value, schema, 2)


@pytest.mark.parametrize(("value", "schema", "expected"), [
    (20334, {"type": "int32", "name": "io.debezium.time.Date"}, date(2025, 9, 3)),
    (20334, None, date(2025, 9, 3)),
    ("2025-09-03", None, date(2025, 9, 3)),
    ("2025-09-03Z", None, date(2025, 9, 3)),
    ("2025-09-03T23:30:00Z", None, date(2025, 9, 3)),
    ("2025-09-03T23:30:00.123456-05:00", None, date(2025, 9, 3)),
    (1756943999000, {"type": "int64", "name": "io.debezium.time.Timestamp"}, date(2025, 9, 3)),
    (1756943999000000, {"type": "int64", "name": "io.debezium.time.MicroTimestamp"}, date(2025, 9, 3)),
    (1756943999000000000, {"type": "int64", "name": "io.debezium.time.NanoTimestamp"}, date(2025, 9, 3)),
    (1756943999000, None, date(2025, 9, 3)),  # no schema: the unit from the size of the number
    (1756943999000000, None, date(2025, 9, 3)),
    (1756943999000000000, None, date(2025, 9, 3)),
])
def test_dates_decode_from_every_encoding(value: object, schema: dict[str, Any] | None, expected: date) -> None:
    assert decode_date(value, schema) == expected


def test_text_loses_sql_server_char_padding_and_nothing_else() -> None:
    status = Column("status", ColumnType.TEXT, 10)
    assert decode(status, "PAID      ", None) == "PAID"
    assert decode(status, "  PAID", None) == "  PAID"
    with pytest.raises(Unreadable, match="text"):
        decode(status, 7, None)


# ---------------------------------------------------------------------------------------------------------------
# Columns the exchange does not use; values it cannot store
# ---------------------------------------------------------------------------------------------------------------


def test_columns_the_exchange_does_not_use_are_ignored_even_at_100_kb() -> None:
    exchange = memory_exchange()
    notes = "n" * 100_000
    body = Connector().change(CLAIMS, "c", None, claim(adjuster_notes=notes), Position(0x40, 0x40), PAID_AT)
    assert 100_000 < len(body) < 256 * 1024
    report = feed(exchange, [body])
    assert report.statuses == {"ACCEPTED": 1} and report.dead_letters == []
    assert stored_claims(exchange)[CLAIM] == {"claim_number": CLAIM, "contract_number": NUMBER, "status": "PAID",
                                              "paid_amount": "412.37", "paid_date": "2025-09-03"}


def test_a_row_whose_unused_columns_outgrow_a_dealer_event_is_still_applied() -> None:
    """Before and after images each with 300 KB of notes: over 256 KiB, within Event Hubs' 1 MiB."""
    exchange = memory_exchange()
    notes = "n" * 300_000
    body = Connector().change(CLAIMS, "u", claim(status="OPEN", amount=None, adjuster_notes=notes),
                              claim(adjuster_notes=notes + "!"), Position(0x43, 0x43), PAID_AT)
    assert 600_000 < len(body) < 1024 * 1024
    assert feed(exchange, [body]).statuses == {"ACCEPTED": 1}
    assert stored_claims(exchange)[CLAIM]["paid_amount"] == "412.37"


def test_a_100_kb_value_in_a_used_column_is_refused_and_the_batch_goes_on() -> None:
    exchange = memory_exchange()
    connector = Connector()
    huge = connector.change(CLAIMS, "c", None, claim(number="CLM-000001", status="P" * 100_000),
                            Position(0x41, 0x41), PAID_AT)
    good = connector.change(CLAIMS, "c", None, claim(), Position(0x42, 0x42), PAID_AT)
    report = feed(exchange, [huge, good])
    assert report.statuses == {"ACCEPTED": 1, "REJECTED": 1}
    assert list(stored_claims(exchange)) == [CLAIM]
    [letter] = [exchange.dead_letters.get(name) for name in report.dead_letters]
    assert letter.body == huge
    assert [(r.code, r.field) for r in letter.reasons] == [("SCHEMA_INVALID", "status")]
    assert "100000 characters" in letter.reasons[0].message and len(letter.reasons[0].message) < 200


# ---------------------------------------------------------------------------------------------------------------
# Side records: skipped, counted, never dead-lettered
# ---------------------------------------------------------------------------------------------------------------


def side_records(connector: Connector) -> dict[bytes, SideRecord]:
    at = Position(0x50, 0x50)
    return {
        connector.tombstone(): SideRecord.TOMBSTONE,
        b"null": SideRecord.TOMBSTONE,
        b'{"schema":null,"payload":null}': SideRecord.TOMBSTONE,
        connector.heartbeat(PAID_AT): SideRecord.HEARTBEAT,
        b'{"serverName":"policyadmin"}': SideRecord.HEARTBEAT,
        connector.transaction("BEGIN", at, PAID_AT): SideRecord.TRANSACTION,
        connector.transaction("END", at, PAID_AT, {"claims": 1, "contracts": 1}): SideRecord.TRANSACTION,
        connector.schema_change(CLAIMS, at, PAID_AT): SideRecord.SCHEMA_CHANGE,
    }


@pytest.mark.parametrize("schemas", [True, False], ids=["wrapped", "unwrapped"])
def test_side_records_are_recognised_wrapped_or_not(schemas: bool) -> None:
    for body, kind in side_records(Connector(schemas=schemas)).items():
        record = read_record(body)
        assert (record.side, record.change, record.reasons) == (kind, None, ()), body[:80]


def test_side_records_are_skipped_and_counted_never_answered_or_dead_lettered(monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[tuple[int, dict[str, str]]] = []

    class Counter:
        def add(self, amount: int, attributes: dict[str, str]) -> None:
            counted.append((amount, attributes))

    monkeypatch.setattr(telemetry, "side_records", Counter())
    exchange = memory_exchange()
    connector = Connector()
    at = Position(0x60, 0x60)
    stream = [connector.transaction("BEGIN", at, PAID_AT),
              connector.change(CLAIMS, "c", None, claim(), at, PAID_AT),
              connector.transaction("END", at, PAID_AT, {"claims": 1}),
              connector.heartbeat(PAID_AT), connector.heartbeat(PAID_AT + timedelta(seconds=10)),
              connector.schema_change(CLAIMS, at, PAID_AT),
              connector.change(CLAIMS, "d", claim(), None, Position(0x61, 0x61), PAID_AT), connector.tombstone()]
    report = feed(exchange, stream)
    assert report.skipped == {"transaction": 2, "heartbeat": 2, "schema_change": 1, "tombstone": 1}
    assert report.statuses == {"ACCEPTED": 2}
    assert len(report.feedback) == 2 and report.dead_letters == []
    assert list(exchange.dead_letters.names(f"{CDC}/")) == []
    assert sorted((n, a["kind"]) for n, a in counted) == [(1, "schema_change"), (1, "tombstone"), (2, "heartbeat"),
                                                          (2, "transaction")]
    assert {a["hub"] for _, a in counted} == {CDC}


def test_a_batch_of_side_records_only_is_fine() -> None:
    exchange = memory_exchange()
    report = feed(exchange, list(side_records(Connector())))
    assert sum(report.skipped.values()) == 8 and report.feedback == [] and report.dead_letters == []


# ---------------------------------------------------------------------------------------------------------------
# Truncate: dead-lettered with its own reason
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("schemas", [True, False], ids=["wrapped", "unwrapped"])
def test_a_truncate_is_dead_lettered_with_its_own_reason(schemas: bool) -> None:
    exchange = memory_exchange()
    connector = Connector(schemas=schemas)
    truncate = connector.truncate(CLAIMS, Position(0x70, 0x70), PAID_AT)
    report = feed(exchange, [connector.change(CLAIMS, "c", None, claim(), Position(0x6F, 0x6F), PAID_AT), truncate])
    assert report.reasons == {"TABLE_TRUNCATED": 1}
    [letter] = [exchange.dead_letters.get(name) for name in report.dead_letters]
    assert letter.body == truncate
    assert [(r.code, r.field) for r in letter.reasons] == [("TABLE_TRUNCATED", "payload.op")]
    assert "'claims'" in letter.reasons[0].message
    assert stored_claims(exchange)[CLAIM] is not None  # nothing deleted


# ---------------------------------------------------------------------------------------------------------------
# Business date from source.ts_ms, wrapped or not, and in `fnix replay`
# ---------------------------------------------------------------------------------------------------------------

LATE_EVENING = datetime(2025, 9, 3, 3, 30, tzinfo=UTC)  # 2025-09-02 22:30 in Chicago


@pytest.mark.parametrize("schemas", [True, False], ids=["wrapped", "unwrapped"])
def test_a_change_is_dated_by_its_source_timestamp_in_the_business_zone(schemas: bool) -> None:
    exchange = memory_exchange()
    feed(exchange, [Connector(schemas=schemas).change(CLAIMS, "c", None, claim(), Position(0x80, 0x80),
                                                      LATE_EVENING)])
    assert [f.kind for f in exchange.journal.read(date(2025, 9, 2))] == [FactKind.CLAIM_PAID]
    assert list(exchange.journal.read(date(2025, 9, 3))) == []


@pytest.mark.parametrize("schemas", [True, False], ids=["wrapped", "unwrapped"])
def test_replay_takes_a_change_s_time_from_source_ts_ms_wrapped_or_not(schemas: bool) -> None:
    body = Connector(schemas=schemas).change(CLAIMS, "c", None, claim(), Position(0x81, 0x81), LATE_EVENING)
    fallback = datetime(2026, 12, 5, tzinfo=UTC)
    assert event_time(body, fallback) == LATE_EVENING
    assert event_time(Connector(schemas=schemas).heartbeat(LATE_EVENING), fallback) == fallback


@pytest.mark.parametrize("envelope_ts", [10**20, -5, "soon", None])
def test_without_source_ts_ms_the_envelope_s_is_used_only_when_it_is_a_time(envelope_ts: object) -> None:
    document = json.loads(Connector().change(CLAIMS, "c", None, claim(), Position(0x83, 0x83), LATE_EVENING))
    del document["payload"]["source"]["ts_ms"]
    document["payload"]["ts_ms"] = envelope_ts
    exchange = memory_exchange()
    report = feed(exchange, [json.dumps(document).encode()])
    assert report.statuses == {"ACCEPTED": 1}  # dated by its arrival instead (T0, 2026-03-02 in Chicago)
    assert [f.kind for f in exchange.journal.read(date(2026, 3, 2))] == [FactKind.CLAIM_PAID]


def test_a_change_stamped_after_its_arrival_plus_a_day_is_refused() -> None:
    exchange = memory_exchange()
    body = Connector().change(CLAIMS, "c", None, claim(), Position(0x82, 0x82), T0 + timedelta(days=1, hours=1))
    report = feed(exchange, [body])
    assert report.reasons == {"DATE_INCONSISTENT": 1} and len(report.dead_letters) == 1


# ---------------------------------------------------------------------------------------------------------------
# End to end: a paid claim sent as base64 is deducted, to the cent, from a later cancellation's refund
# ---------------------------------------------------------------------------------------------------------------


def transaction(connector: Connector, commit: int, changes: Sequence[tuple[Any, ...]], ts: datetime) -> list[bytes]:
    """One database transaction as the connector writes it: BEGIN, its changes in serial order, END."""
    at = Position(commit, commit)
    bodies = [connector.transaction("BEGIN", at, ts)]
    for serial, (table, op, before, after) in enumerate(changes, start=1):
        bodies.append(connector.change(table, op, before, after, Position(commit, commit + serial, serial), ts))
    counts = {t.name: sum(1 for c in changes if c[0] is t) for t in {c[0] for c in changes}}
    return [*bodies, connector.transaction("END", at, ts, counts), connector.heartbeat(ts)]


def cancel_after(exchange: Exchange, stream: list[bytes]) -> dict[str, Any]:
    exchange.realtime.process(messages("contracts", [contract(NUMBER)]))
    report = feed(exchange, stream, start=1)
    assert report.dead_letters == []
    answered = exchange.realtime.process(messages("cancellations", [cancellation(NUMBER)], start=100))
    assert answered.feedback[0].decision.status == "ACCEPTED"
    refund: dict[str, Any] = answered.feedback[0].to_json()["data"]["refund"]
    return refund


def test_a_claim_paid_in_base64_is_deducted_from_a_later_cancellation_to_the_cent() -> None:
    connector = Connector()
    stream = [
        *transaction(connector, 0x2A_00000A10_0000, [(CONTRACTS, "r", None, contract_row())], PAID_AT),
        *transaction(connector, 0x2A_00000B20_0000, [(CLAIMS, "c", None, claim(status="OPEN", amount=None,
                                                                                  paid=None))], PAID_AT),
        *transaction(connector, 0x2A_00000C30_0000, [(CLAIMS, "u", claim(status="OPEN", amount=None, paid=None),
                                                      claim())], PAID_AT + timedelta(minutes=5)),
    ]
    assert json.loads(stream[-3])["payload"]["after"]["paid_amount"] == "AKEV"
    assert cancel_after(memory_exchange(), stream) == MID_TERM_WITH_CLAIM


def test_a_larger_claim_leaves_the_dealer_nothing_to_charge_back() -> None:
    """REFUNDS.md "VSC, mid-term": gross 1725.71, fee 50.00; a paid claim of 1234.56 is deducted whole:
    customer 1675.71 - 1234.56 = 441.15; provider min(441.15, 760.83) = 441.15; dealer 0.00."""
    connector = Connector()
    stream = transaction(connector, 0x2B_00000000_0000, [(CLAIMS, "c", None, claim(amount="1234.56"))], PAID_AT)
    refund = cancel_after(memory_exchange(), stream)
    assert (refund["claims_deducted"], refund["customer_refund"], refund["provider_refund"],
            refund["dealer_chargeback"]) == ("1234.56", "441.15", "441.15", "0.00")


def test_a_claim_that_outgrows_the_refund_is_deducted_only_up_to_it() -> None:
    """Two paid claims, 1000.00 and 999.99: claims 1999.99 > 1725.71 - 50.00, so 1675.71 is deducted, nothing left."""
    connector = Connector(decimal_mode="string")
    stream = transaction(connector, 0x2C_00000000_0000, [
        (CLAIMS, "c", None, claim(number="CLM-000001", amount="1000.00")),
        (CLAIMS, "c", None, claim(number="CLM-000002", amount="999.99")),
    ], PAID_AT)
    refund = cancel_after(memory_exchange(), stream)
    assert (refund["claims_deducted"], refund["customer_refund"], refund["dealer_chargeback"]) == ("1675.71", "0.00",
                                                                                                   "0.00")


def test_an_unused_sql_column_type_does_not_matter() -> None:
    table = replace(CLAIMS, columns=(*CLAIMS.columns, SqlColumn("photo_count", "SMALLINT")))
    body = Connector().change(table, "c", None, claim(photo_count=3), Position(0x90, 0x90), PAID_AT)
    change, reasons = parse_change(body)
    assert reasons == () and change is not None and "photo_count" not in change.row


# ---------------------------------------------------------------------------------------------------------------
# Whatever a column or a source field holds, the answer is a change, a side record or reasons: never an exception
# ---------------------------------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=50)
    | st.sampled_from(["AKEV", "/w==", "412.3700", "2025-09-03Z", "2025-09-03T25:61:00Z", "P" * 5000, "\u2028"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = ["after.claim_number", "after.contract_number", "after.status", "after.paid_amount", "after.paid_date",
          "source.ts_ms", "source.commit_lsn", "source.event_serial_no", "source.table", "op", "ts_ms", "after",
          "source"]


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.tuples(st.sampled_from(FIELDS), JSON_VALUES), min_size=1, max_size=4),
       schemas=st.booleans())
def test_any_value_anywhere_is_answered_never_raised(edits: list[tuple[str, Any]], schemas: bool) -> None:
    document = json.loads(Connector(schemas=schemas).change(CLAIMS, "c", None, claim(), Position(0xA0, 0xA0),
                                                            PAID_AT))
    payload = document["payload"] if schemas else document
    for path, value in edits:
        node = payload
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[part] if isinstance(node.get(part), dict) else node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[leaf] = value
    body = json.dumps(document, default=str).encode()
    record = read_record(body)
    assert (record.change is not None) + (record.side is not None) + bool(record.reasons) == 1
    if record.change is not None:
        assert set(record.change.row) <= {"claim_number", "contract_number", "status", "paid_amount", "paid_date"}
        assert all(value is None or len(value) <= 30 for value in record.change.row.values())
        day = record.change.business_date(ZONE)
        assert day is None or day >= date(1969, 12, 31)
    parse_message(InboundMessage(CDC, body, "0", 1, T0))
