"""A lender's repossession end to end on Azurite: replayed as the trigger decides it, answered to the lender, delivered
in the lender partner's nightly file with its refund, and reconciled."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from fnix.cli import main

from function_app.config import Settings
from function_app.domain.reconciliation.model import BreakKind
from tests.events import body, contract, lender_cancellation

BREAK_KINDS = tuple(kind.value for kind in BreakKind)
NUMBER = "VSC8500001"  # the spec's example contract: financed by FPCU, the shipped partner lender-fpcu's code
DAY = "2026-03-02"  # the cancellation's CloudEvent `time`: its business date


def test_a_lender_s_repossession_reaches_the_lender_s_file_with_its_refund(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], on_azurite: Settings
) -> None:
    contracts, cancellations, feedback = tmp_path / "c.jsonl", tmp_path / "x.jsonl", tmp_path / "fb.jsonl"
    contracts.write_bytes(body(contract(NUMBER)))
    repossession = lender_cancellation(NUMBER)
    impostor = lender_cancellation(NUMBER, event_id="PSAF-1") | {"source": "urn:lender:PSAF"}
    cancellations.write_bytes(body(impostor) + b"\n" + body(repossession))
    assert main(["replay", "--hub", "contracts", str(contracts)]) == 0
    assert main(["replay", "--hub", "cancellations", str(cancellations), "--feedback-out", str(feedback)]) == 0

    answers = [json.loads(line)["data"] for line in feedback.read_text().splitlines()]
    assert [(a["in_reply_to"], a["status"]) for a in answers] == [("PSAF-1", "REJECTED"),
                                                                  (repossession["id"], "ACCEPTED")]
    assert answers[0]["reasons"][0]["code"] == "NOT_AUTHORIZED" and answers[0]["reasons"][0]["field"] == "source"
    assert answers[1]["refund"]["payee"] == "LIENHOLDER"

    capsys.readouterr()
    assert main(["deliver", "--date", DAY, "--settle-minutes", "0"]) == 0
    blobs = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "")
    container = blobs.get_container_client(f"{on_azurite.namespace}partner-lender-fpcu")
    [name] = [b.name for b in container.list_blobs(name_starts_with="outbound/nightly-cancellations/2026/03/02/")
              if b.name.endswith(".csv")]
    [row] = list(csv.DictReader(io.StringIO(container.download_blob(name).readall().decode("utf-8"))))
    assert (row["contract_number"], row["cancel_reason"], row["cancelled_by"], row["cancelled_by_code"]) == (
        NUMBER, "REPOSSESSION", "LENDER", "FPCU")
    assert (row["dealer_code"], row["lienholder_code"]) == ("D10442", "FPCU")
    assert {k: row[k] for k in ("gross_refund", "cancellation_fee", "claims_deducted", "customer_refund", "payee")} \
        == {k: answers[1]["refund"][k] for k in ("gross_refund", "cancellation_fee", "claims_deducted",
                                                 "customer_refund", "payee")}
    manifest = json.loads(container.download_blob(name + ".manifest.json").readall())
    assert manifest["record_count"] == 1 and manifest["control_totals"]["customer_refund"] == "1675.71"

    # the files agree; the one break is the refund itself: the shipped TX rule wants it paid within 45 days of
    # 2026-03-02 and no back office has reported it paid
    assert main(["reconcile", "--date", DAY]) == 1
    report = capsys.readouterr().out
    breaks = [line for line in report.splitlines() if line.startswith(BREAK_KINDS)]
    assert len(breaks) == 1 and breaks[0].startswith("REFUND_OVERDUE") and NUMBER in breaks[0], report
    assert "state rule TX" in breaks[0] and "due by 2026-04-16" in breaks[0]
