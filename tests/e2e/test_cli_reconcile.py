"""`fnix reconcile` and the nightly reconciliation timer, on Azurite."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from fnix.cli import main

from function_app.config import Settings
from tests.events import body, contract


def delivered_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    events = tmp_path / "c.jsonl"
    events.write_bytes(b"\n".join(body(contract(f"VSC90{i:05d}", administrator="ADM-01")) for i in range(6)))
    assert main(["replay", "--hub", "contracts", str(events)]) == 0
    assert main(["deliver", "--date", "2025-01-15", "--settle-minutes", "0"]) == 0
    out = capsys.readouterr().out
    return next(line.split("\t")[2] for line in out.splitlines() if line.startswith("adm-01\t"))


def test_reconcile_exits_0_when_everything_agrees_and_1_on_breaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], on_azurite: Settings
) -> None:
    name = delivered_day(tmp_path, capsys)
    assert main(["reconcile", "--date", "2025-01-15"]) == 0
    captured = capsys.readouterr()
    assert "verdict: agrees" in captured.out and "journal 2025-01-15: sealed now" in captured.err
    blobs = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "")
    container = blobs.get_container_client(f"{on_azurite.namespace}partner-adm-01")
    lines = container.download_blob(name).readall().decode().splitlines(keepends=True)
    container.upload_blob(name, "".join([*lines[:-1], lines[1], lines[-1]]), overwrite=True)
    assert main(["reconcile", "--date", "2025-01-15", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    kinds = {b["kind"] for feed in report["feeds"] for b in feed["breaks"]}
    assert "DUPLICATE" in kinds and report["agrees"] is False
    page = tmp_path / "report.html"
    assert main(["reconcile", "--date", "2025-01-15", "--format", "html", "--out", str(page)]) == 1
    assert "<svg" in page.read_text() and "Duplicate" in page.read_text()
    container.upload_blob(name, "".join(lines), overwrite=True)
    assert main(["reconcile", "--date", "2025-01-15"]) == 0
    assert "resolved" in capsys.readouterr().err


def test_reconcile_misuse_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["reconcile", "--date", "2025-01-15", "--format", "pdf"])
    assert exit_info.value.code == 2
    assert main(["reconcile", "--date", "yesterday"]) == 2


def test_the_nightly_timer_writes_json_and_html_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], on_azurite: Settings
) -> None:
    from azure.functions.timer import TimerRequest

    from function_app.adapters.kernel.seal_blobs import seal_name
    from function_app.bootstrap import exchange
    from function_app.service_layer.reconciliation.sealing import settled
    from tests.functions.registry import registered

    registered("reconcile_nightly")(timer=TimerRequest(past_due=False))
    blobs = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "")
    names = [b.name for b in blobs.get_container_client(f"{on_azurite.namespace}reports").list_blobs()]
    assert len(names) == 2 and {n.rsplit(".", 1)[-1] for n in names} == {"json", "html"}
    assert all(n.startswith("reconciliation/") for n in names)
    # yesterday was sealed first, unless the margin for its last facts has not passed yet (just after midnight)
    current = exchange()
    day = (current.clock().astimezone(on_azurite.zone) - timedelta(days=1)).date()
    sealed = [b.name for b in blobs.get_container_client(on_azurite.evidence_container).list_blobs()]
    assert sealed == ([seal_name(day)] if settled(day, on_azurite.zone, on_azurite.clock_skew, current.clock()) else [])


@pytest.mark.usefixtures("on_azurite")
def test_facts_not_delivered_yet_within_their_sla_are_counted_never_agreed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "c.jsonl"
    events.write_bytes(b"\n".join(body(contract(f"VSC91{i:05d}", administrator="ADM-01")) for i in range(4)))
    assert main(["replay", "--hub", "contracts", str(events)]) == 0
    capsys.readouterr()
    assert main(["reconcile", "--date", "2025-01-15"]) == 0, "waiting within the SLA is no break"
    captured = capsys.readouterr()
    assert "verdict: agrees" not in captured.out and "agrees" not in captured.err
    assert "adm-01/nightly-contracts\t4" in captured.out and "fact(s) not delivered yet" in captured.out
    assert main(["reconcile", "--date", "2025-01-15", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_feed = {(f["partner"], f["feed"]): f["pending_within_sla"] for f in report["feeds"]}
    assert by_feed[("adm-01", "nightly-contracts")] == 4 and report["pending_within_sla"] >= 4
    assert main(["deliver", "--date", "2025-01-15", "--settle-minutes", "0"]) == 0
    capsys.readouterr()
    assert main(["reconcile", "--date", "2025-01-15"]) == 0
    assert "verdict: agrees" in capsys.readouterr().out
