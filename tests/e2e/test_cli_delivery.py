"""`fnix partners`, `fnix deliver`, `fnix files` as operations use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fnix.cli import main

from function_app.config import Settings
from tests.events import body, contract

ROOT = Path(__file__).resolve().parents[2]


def test_partners_check_lists_the_shipped_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["partners", "check"]) == 0
    out = capsys.readouterr().out
    assert "adm-02\tADMINISTRATOR\tintraday-contracts\tcsv\tmicro\tPT15M" in out


def test_partners_check_names_partner_feed_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = json.loads((ROOT / "config" / "partners.json").read_text())
    config["partners"][0]["feeds"][0]["sla"] = "15 minutes"
    bad = tmp_path / "partners.json"
    bad.write_text(json.dumps(config))
    assert main(["partners", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    partner = config["partners"][0]
    assert partner["id"] in err and partner["feeds"][0]["name"] in err and "sla" in err


@pytest.mark.parametrize("field", ["customer_first_name", "customer_last_name", "customer_state",
                                   "customer_postal_code"])
def test_partners_check_refuses_a_customer_field_in_a_feed_with_pii_none(
    field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from function_app.adapters.kernel.partner_config_file import PartnerConfigError
    from function_app.partner_config_check import ensure_valid

    config = json.loads((ROOT / "config" / "partners.json").read_text())
    lender = next(p for p in config["partners"] if p["id"] == "lender-fpcu")
    feed = lender["feeds"][0]
    assert feed["pii"] == "none"
    feed["fields"].append(field)
    bad = tmp_path / "partners.json"
    bad.write_text(json.dumps(config))
    assert main(["partners", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"partner lender-fpcu, feed {feed['name']}, fields: field {field!r} is " in err
    assert "PII level 'none' cannot receive" in err
    with pytest.raises(PartnerConfigError, match=f"partner lender-fpcu, feed {feed['name']}, .*{field}"):
        ensure_valid(bad)  # and the app does not start with it


@pytest.mark.usefixtures("on_azurite")
def test_deliver_then_list_and_show_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "c.jsonl"
    events.write_bytes(b"\n".join(body(contract(f"VSC80{i:05d}", oem="TOYOTA", administrator="ADM-01"))
                                  for i in range(12)))
    assert main(["replay", "--hub", "contracts", str(events)]) == 0
    capsys.readouterr()
    assert main(["deliver", "--date", "2025-01-15", "--partner", "adm-01", "--settle-minutes", "0"]) == 0
    header, *out = capsys.readouterr().out.strip().splitlines()
    assert header == "partner\tfeed\tfile\trecords\tbytes\tsha256"
    assert len(out) == 1 and "adm-01_nightly-contracts_20250115_001.txt" in out[0] and "\t12\t" in out[0]
    name = out[0].split("\t")[2]
    assert main(["deliver", "--date", "2025-01-15", "--partner", "adm-01", "--settle-minutes", "0"]) == 0
    assert capsys.readouterr().out == header + "\n", "a re-run delivers nothing new"
    assert main(["files", "list", "--partner", "adm-01"]) == 0
    assert name in capsys.readouterr().out
    assert main(["files", "show", "adm-01", name]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert (manifest["record_count"], manifest["partner"], manifest["format"]) == (12, "adm-01", "fixed")
    assert main(["files", "queue"]) == 0
    assert "delivery-jobs-poison: 0 message(s)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["deliver", "--date", "2025-01-15", "--partner", "nobody"], "no partner 'nobody'"),
        (["deliver", "--date", "2025-01-15", "--feed", "nosuch"], "no feed 'nosuch' for any partner"),
        (["deliver", "--date", "2025-01-15", "--partner", "adm-01", "--feed", "x"], "no feed 'x' for partner adm-01"),
        (["deliver", "--date", "2999-01-01"], "is in the future"),
        (["deliver", "--date", "15/01/2025"], "a date like"),
        (["deliver", "--date", "2025-01-15", "--settle-minutes", "-1"], "--settle-minutes"),
        (["files", "show", "adm-01", "outbound/none.csv"], "no delivered file"),
        (["files", "list", "--partner", "nobody"], "no partner"),
    ],
)
@pytest.mark.usefixtures("on_azurite")
def test_delivery_misuse_exits_2(argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert hint in capsys.readouterr().err


@pytest.mark.usefixtures("on_azurite")
def test_partner_sas_prints_a_read_list_link_for_that_container(capsys: pytest.CaptureFixture[str]) -> None:
    from azure.storage.blob import ContainerClient

    assert main(["partners", "sas", "adm-01", "--hours", "2"]) == 0
    captured = capsys.readouterr()
    url = captured.out.strip()
    assert "partner-adm-01?" in url and "sp=rl" in url and "treat it as a password" in captured.err
    assert list(ContainerClient.from_container_url(url).list_blobs()) == []


@pytest.mark.parametrize(("argv", "hint"), [(["partners", "sas", "nobody"], "no partner"),
                                            (["partners", "sas", "adm-01", "--hours", "500"], "168")])
@pytest.mark.usefixtures("on_azurite")
def test_partner_sas_misuse_exits_2(argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert hint in capsys.readouterr().err


@pytest.mark.usefixtures("on_azurite")
def test_files_acks_records_an_acknowledgement(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               on_azurite: Settings) -> None:
    from azure.storage.blob import BlobServiceClient

    assert main(["deliver", "--date", "2025-01-16", "--partner", "adm-01", "--settle-minutes", "0"]) == 0
    name = capsys.readouterr().out.splitlines()[1].split("\t")[2]
    blobs = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "")
    container = blobs.get_container_client(f"{on_azurite.namespace}partner-adm-01")
    digest = json.loads(container.download_blob(name + ".manifest.json").readall())["sha256"]
    container.upload_blob(f"inbound/ack/{name.rsplit('/', 1)[-1]}.ack", digest.upper() + "\n")
    assert main(["files", "acks", "--partner", "adm-01", "--json"]) == 0
    [ack] = json.loads(capsys.readouterr().out)
    assert (ack["status"], ack["file"], ack["recorded_now"]) == ("ACKNOWLEDGED", name, True)
    assert main(["files", "list", "--partner", "adm-01"]) == 0
    assert "ACKNOWLEDGED" in capsys.readouterr().out


@pytest.mark.usefixtures("on_azurite")
def test_inbound_scan_answers_an_uploaded_claims_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], on_azurite: Settings
) -> None:
    import hashlib

    from azure.storage.blob import BlobServiceClient

    from tests.integration.test_claims_intake import HEADER, row

    events = tmp_path / "c.jsonl"
    events.write_bytes(body(contract("VSC2501150001")))
    assert main(["replay", "--hub", "contracts", str(events)]) == 0
    blobs = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "")
    container = blobs.get_container_client(f"{on_azurite.namespace}partner-adm-01")
    if not container.exists():
        container.create_container()
    name = "inbound/claims/adm-01_claims_20260302_001.csv"
    data = f"{HEADER}\n{row('CLM-700001')}\n".encode()
    container.upload_blob(name, data)
    capsys.readouterr()
    assert main(["inbound", "scan", "--partner", "adm-01"]) == 0
    assert "\tWAITING\t" in capsys.readouterr().out
    manifest = {"record_count": 1, "total_amount": "150.00", "sha256": hashlib.sha256(data).hexdigest()}
    container.upload_blob(name + ".manifest.json", json.dumps(manifest))
    assert main(["inbound", "scan"]) == 0
    out = capsys.readouterr().out
    assert "\tDONE\toutbound/claims-results/adm-01_claims_20260302_001.results.csv\taccepted 1" in out
    assert main(["inbound", "scan", "--json"]) == 0
    [scanned] = json.loads(capsys.readouterr().out)
    assert (scanned["file"], scanned["status"], scanned["counts"]["ACCEPTED"]) == (name, "SKIPPED", 1)
    assert main(["inbound", "scan", "--partner", "oem-toyota"]) == 2


def _twelve_contracts(tmp_path: Path, prefix: str) -> None:
    events = tmp_path / "c.jsonl"
    events.write_bytes(b"\n".join(body(contract(f"{prefix}{i:05d}", oem="TOYOTA", administrator="ADM-01"))
                                  for i in range(12)))
    assert main(["replay", "--hub", "contracts", str(events)]) == 0


@pytest.mark.usefixtures("on_azurite")
def test_deliver_says_how_many_facts_the_settle_window_held_back(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _twelve_contracts(tmp_path, "VSC82")
    capsys.readouterr()
    # the facts are committed and no writer is in flight: only an operator's margin holds them back now
    argv = ["deliver", "--date", "2025-01-15", "--partner", "adm-01", "--settle-minutes", "15"]
    assert main([*argv, "--feed", "nightly-contracts"]) == 0
    captured = capsys.readouterr()
    assert "\t0\t" in captured.out.splitlines()[1], "the night's first file is cut, empty"
    assert "12 fact(s) held back" in captured.err and "settle window" in captured.err
    assert main([*argv, "--json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["held_back"] == 12 and run["settle_minutes"] == 15 and "settle window" in run["held_back_reason"]


@pytest.mark.usefixtures("on_azurite")
def test_deliver_dry_run_prints_the_files_and_writes_nothing(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    _twelve_contracts(tmp_path, "VSC83")
    capsys.readouterr()
    argv = ["deliver", "--date", "2025-01-15", "--partner", "adm-01", "--settle-minutes", "0"]
    assert main([*argv, "--dry-run", "--json"]) == 0
    planned = json.loads(capsys.readouterr().out)
    [file] = [f for feed in planned["feeds"] for f in feed["files"]]
    assert planned["dry_run"] is True and file["records"] == 12 and file["sha256"] is None
    assert main(["files", "list", "--partner", "adm-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [], "a dry run writes nothing"
    assert main([*argv, "--json"]) == 0
    [delivered] = [f for feed in json.loads(capsys.readouterr().out)["feeds"] for f in feed["files"]]
    assert (delivered["file"], delivered["records"]) == (file["file"], 12)
    assert main(["files", "list", "--partner", "adm-01", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["file"], listed["sha256"]) == (delivered["file"], delivered["sha256"])
    assert main(["files", "queue", "--json"]) == 0
    assert all(set(job) == {"queue", "message_id", "dequeue_count", "body"} for job in json.loads(
        capsys.readouterr().out))


@pytest.mark.usefixtures("on_azurite")
def test_partners_check_misuse_is_exit_2_and_a_listing_has_a_header(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["partners", "check", "/nonexistent"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["partners", "check"]) == 0
    assert capsys.readouterr().out.startswith("partner\tkind\tfeed\tformat\tmode\tsla\tpii\n")
    assert main(["partners", "check", "--json"]) == 0
    feeds = {(row["partner"], row["feed"]) for row in json.loads(capsys.readouterr().out)}
    assert ("adm-02", "intraday-contracts") in feeds
