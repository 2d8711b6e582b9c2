"""`fnix replay --hub policy-admin-cdc` on a file a Debezium connector's output was saved to, schema wrapper or not:
each change is dated by its own `source.ts_ms` (not the day of the replay), side records are skipped, not refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fnix.cli import main

from function_app import bootstrap as composition
from function_app.domain.kernel.journal import FactKind
from tests.peers.debezium import CLAIMS, Connector, Position

LATE_EVENING = datetime(2025, 9, 3, 3, 30, tzinfo=UTC)  # 2025-09-02 22:30 in the business zone (America/Chicago)


@pytest.mark.usefixtures("on_azurite")
@pytest.mark.parametrize("schemas", [True, False], ids=["wrapped", "unwrapped"])
def test_replay_dates_each_change_by_its_source_timestamp(
    schemas: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    connector = Connector(schemas=schemas)
    number, claim = ("VSC2509020001", "CLM-902001") if schemas else ("VSC2509020002", "CLM-902002")
    row = {"claim_number": claim, "contract_number": number, "status": "PAID", "paid_amount": Decimal("88.10"),
           "paid_date": date(2025, 9, 2), "reserve_amount": None, "adjuster_notes": None, "reopened": False,
           "entered_at": datetime(2025, 9, 1, 8, 0)}
    at = Position(0x2A_00000A10_0000, 0x2A_00000A10_0001)
    lines = [connector.transaction("BEGIN", at, LATE_EVENING), connector.change(CLAIMS, "c", None, row, at,
                                                                                LATE_EVENING),
             connector.transaction("END", at, LATE_EVENING, {"claims": 1}), connector.heartbeat(LATE_EVENING)]
    path = tmp_path / "cdc.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    assert main(["replay", "--hub", "policy-admin-cdc", str(path)]) == 0
    summary = dict(line.rsplit(None, 1) for line in capsys.readouterr().out.splitlines())
    assert (summary["skipped change-feed transaction records"], summary["skipped change-feed heartbeat records"],
            summary["accepted"], summary["dead letters"]) == ("2", "1", "1", "0")

    exchange = composition.exchange()
    facts = [f for f in exchange.journal.read(date(2025, 9, 2)) if f.contract_number == number]
    assert [(f.kind, f.data["claim"]["paid_amount"]) for f in facts] == [(FactKind.CLAIM_PAID, "88.10")]
    assert list(exchange.dead_letters.names("policy-admin-cdc/")) == []
