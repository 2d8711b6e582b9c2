"""The change-feed function through the worker, on Azurite: back-office row changes applied once to the contract's
record, malformed ones dead-lettered, nothing answered, a redelivered batch changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from function_app.bootstrap import bootstrap
from function_app.config import Settings
from function_app.domain.kernel.journal import FactKind
from tests.events import LOCAL_SPEC, SPEC, body, cancellation, contract
from tests.peers.debezium import CLAIMS, Connector, Position
from tests.worker.conftest import StartWorker
from tests.worker.encoding import EventHubMessage
from tests.worker.test_event_hubs import ENQUEUED, deliver

CDC = "policy-admin-cdc"
DAY = date(2026, 3, 2)  # the batch's enqueued time (ENQUEUED) in America/Chicago: dead letters' date
CHANGED_ON = date(2025, 9, 3)  # the spec example's source.ts_ms in America/Chicago: the facts' business date
NUMBER = "VSC2501150001"
CLAIM = "CLM-778120"


def spec_change() -> dict[str, Any]:
    folder = SPEC if SPEC.exists() else LOCAL_SPEC
    document: dict[str, Any] = json.loads((folder / "cdc.jsonl").read_text(encoding="utf-8").splitlines()[0])
    return document


def encoded(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def status_change(status: str) -> dict[str, Any]:
    """The back office suspends the contract, in a later transaction than the spec's claim."""
    document = spec_change()
    payload = document["payload"]
    payload["op"] = "u"
    payload["before"] = {"contract_number": NUMBER, "status": "ACTIVE"}
    payload["after"] = {"contract_number": NUMBER, "status": status}
    payload["source"].update(table="contracts", commit_lsn="0000002a:00000b20:0004",
                             change_lsn="0000002a:00000b20:0001", event_serial_no=1)
    return document


def test_change_feed_batch_is_applied_once_and_malformed_changes_are_dead_lettered(
        start_worker: StartWorker, storage_settings: Settings) -> None:
    host = start_worker()
    claim = encoded(spec_change())
    upper = spec_change()
    upper["payload"]["source"].update(commit_lsn="0000002A:00000A10:0003", change_lsn="0000002A:00000A10:0002")
    not_json = b'{"payload": {"op": "c"'
    op_x = spec_change()
    op_x["payload"]["op"] = "x"
    bodies = [claim, encoded(status_change("SUSPENDED")), not_json, claim, encoded(upper), encoded(op_x)]

    batch = [EventHubMessage(b) for b in bodies]
    assert deliver(host, "policy_admin_changes", CDC, batch, partition="3", enqueued=ENQUEUED) == []

    exchange = bootstrap(storage_settings)
    stored = exchange.contracts.load([NUMBER], {}).contracts[NUMBER]
    state = stored.record.source_of_record
    assert state.claims[CLAIM].values == spec_change()["payload"]["after"]
    assert (state.claims_paid, state.status) == (Decimal("412.37"), "SUSPENDED")
    assert stored.record.status is None  # the exchange has not seen the contract itself yet
    facts = list(exchange.journal.read(CHANGED_ON))
    assert sorted(f.kind for f in facts) == [FactKind.CLAIM_PAID, FactKind.STATUS_CHANGED]
    assert [f.data["claim"]["paid_amount"] for f in facts if f.kind is FactKind.CLAIM_PAID] == ["412.37"]

    names = list(exchange.dead_letters.names(f"{CDC}/"))
    assert len(names) == 2
    assert all(name.startswith(f"{CDC}/{DAY.isoformat()}/") for name in names)
    letters = {exchange.dead_letters.get(name).body: exchange.dead_letters.get(name) for name in names}
    assert set(letters) == {not_json, encoded(op_x)}
    assert [r.code for r in letters[not_json].reasons] == ["MALFORMED"]
    assert [(r.code, r.field) for r in letters[encoded(op_x)].reasons] == [("SCHEMA_INVALID", "payload.op")]
    assert {(letter.hub, letter.partition) for letter in letters.values()} == {(CDC, "3")}
    assert letters[not_json].sequence_number == 102

    assert deliver(host, "policy_admin_changes", CDC, batch, partition="3", enqueued=ENQUEUED) == []  # redelivered
    again = exchange.contracts.load([NUMBER], {}).contracts[NUMBER]
    assert again.record == stored.record
    assert list(exchange.journal.read(CHANGED_ON)) == facts
    assert list(exchange.dead_letters.names(f"{CDC}/")) == names


def test_a_default_configured_connector_stream_feeds_refunds_and_dead_letters_only_what_carries_an_error(
        start_worker: StartWorker, storage_settings: Settings) -> None:
    """What a Debezium SQL Server connector with default settings writes (tests/peers/debezium.py), through the
    registered function on Azurite: side records skipped, a truncate and a 100 KB status dead-lettered, a
    paid claim sent as base64 deducted to the cent from the cancellation the cancellations function answers."""
    host = start_worker()
    connector = Connector()
    paid_at = datetime(2025, 9, 3, 16, 0, tzinfo=UTC)
    number, claim_number = NUMBER, CLAIM
    open_claim = {"claim_number": claim_number, "contract_number": number, "status": "OPEN", "paid_amount": None,
                  "paid_date": None, "reserve_amount": Decimal("1500"), "adjuster_notes": "n" * 100_000,
                  "reopened": False, "entered_at": datetime(2025, 8, 28, 9, 15)}
    paid_claim = open_claim | {"status": "PAID", "paid_amount": Decimal("412.37"), "paid_date": date(2025, 9, 3)}
    huge_status = open_claim | {"claim_number": "CLM-000099", "status": "S" * 100_000, "adjuster_notes": None}
    first, second = Position(0x2A_00000A10_0000, 0x2A_00000A10_0001), Position(0x2A_00000B20_0000, 0x2A_00000B20_0001)
    truncate = connector.truncate(CLAIMS, Position(0x2A_00000C30_0000, 0x2A_00000C30_0001), paid_at)
    too_long = connector.change(CLAIMS, "c", None, huge_status, Position(0x2A_00000B20_0000, 0x2A_00000B20_0002, 2),
                                paid_at)
    bodies = [
        connector.schema_change(CLAIMS, first, paid_at),
        connector.transaction("BEGIN", first, paid_at),
        connector.change(CLAIMS, "c", None, open_claim, first, paid_at),
        connector.transaction("END", first, paid_at, {"claims": 1}),
        connector.heartbeat(paid_at),
        connector.transaction("BEGIN", second, paid_at),
        connector.change(CLAIMS, "u", open_claim, paid_claim, second, paid_at),
        too_long,
        connector.transaction("END", second, paid_at, {"claims": 2}),
        connector.change(CLAIMS, "d", huge_status | {"status": "VOID"}, None,
                         Position(0x2A_00000B80_0000, 0x2A_00000B80_0001), paid_at),
        connector.tombstone(),
        truncate,
    ]
    assert json.loads(bodies[6])["payload"]["after"]["paid_amount"] == "AKEV"

    assert deliver(host, "policy_admin_changes", CDC, [EventHubMessage(b) for b in bodies]) == []
    exchange = bootstrap(storage_settings)
    state = exchange.contracts.load([number], {}).contracts[number].record.source_of_record
    assert state.claims[claim_number].values == {"claim_number": claim_number, "contract_number": number,
                                                 "status": "PAID", "paid_amount": "412.37", "paid_date": "2025-09-03"}
    assert state.claims_paid == Decimal("412.37")
    letters = [exchange.dead_letters.get(name) for name in exchange.dead_letters.names(f"{CDC}/")]
    assert sorted((letter.body == truncate, [r.code for r in letter.reasons]) for letter in letters) == [
        (False, ["SCHEMA_INVALID"]), (True, ["TABLE_TRUNCATED"])]
    assert [letter.reasons[0].field for letter in letters if letter.body == too_long] == ["status"]

    feedback = deliver(host, "contract_submissions", "contracts",
                       [EventHubMessage(body(contract(number)), partition_key="D10442")], first_sequence=300)
    assert [f["data"]["status"] for f in feedback] == ["ACCEPTED"]
    answered = deliver(host, "cancellation_requests", "cancellations",
                       [EventHubMessage(body(cancellation(number)), partition_key="D10442")], first_sequence=400)
    refund = answered[0]["data"]["refund"]
    # REFUNDS.md "VSC, mid-term" (gross 1725.71, fee 50.00) less the claim of 412.37: customer 1263.34,
    # provider min(1263.34, 760.83) = 760.83, dealer 502.51.
    assert (refund["claims_deducted"], refund["customer_refund"], refund["provider_refund"],
            refund["dealer_chargeback"]) == ("412.37", "1263.34", "760.83", "502.51")


def test_a_hostile_change_feed_batch_is_applied_or_dead_lettered_input_by_input_and_again_alike(
        start_worker: StartWorker, storage_settings: Settings) -> None:
    """The change feed answers nobody: every input is applied or dead-lettered, the batch succeeds, and its
    redelivery changes nothing (not JSON, not UTF-8, and over Event Hubs' 1 MiB)."""
    host = start_worker()
    too_big = spec_change()
    too_big["payload"]["after"]["adjuster_notes"] = "n" * (1024 * 1024 + 1)
    batch = [EventHubMessage(encoded(spec_change())), EventHubMessage(b"\xff\xfe\x00 not utf-8"),
             EventHubMessage(b"{ not json"), EventHubMessage(encoded(too_big))]
    assert deliver(host, "policy_admin_changes", CDC, batch, enqueued=ENQUEUED) == []
    exchange = bootstrap(storage_settings)
    names = list(exchange.dead_letters.names(f"{CDC}/"))
    assert len(names) == 3
    assert {exchange.dead_letters.get(n).reasons[0].code for n in names} == {"MALFORMED"}
    stored = exchange.contracts.load([NUMBER], {}).contracts[NUMBER].record
    assert deliver(host, "policy_admin_changes", CDC, batch, enqueued=ENQUEUED) == []
    assert list(exchange.dead_letters.names(f"{CDC}/")) == names
    assert exchange.contracts.load([NUMBER], {}).contracts[NUMBER].record == stored
