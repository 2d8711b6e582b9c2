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


@pytest.mark.usefixtures("on_azurite")
def test_deliver_then_list_and_show_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "c.jsonl"
    events.write_bytes(b"\n".join(body(contract(f"VSC80{i:05d}", oem="TOYOTA", administrator="ADM-01"))
                                  for i in range(12)))
    assert main(["replay", "--hub", "contracts", str(events)]) == 0
    capsys.readouterr()
    assert main(["deliver", "--date", "2025-01-15", "--partner", "adm-01", "--settle-minutes", "0"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "adm-01_nightly-contracts_20250115_001.txt" in out[0] and "12 records" in out[0]
    name = out[0].split("\t")[1]
    assert main(["deliver", "--date", "2025-01-15", "--partner", "adm-01", "--settle-minutes", "0"]) == 0
    assert capsys.readouterr().out == "", "a re-run delivers nothing new"
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
        (["deliver", "--date", "2025-01-15", "--partner", "nobody"], "no feed matches"),
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
    name = capsys.readouterr().out.split("\t")[1]
    blobs = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "")
    container = blobs.get_container_client(f"{on_azurite.namespace}partner-adm-01")
    digest = json.loads(container.download_blob(name + ".manifest.json").readall())["sha256"]
    container.upload_blob(f"inbound/ack/{name.rsplit('/', 1)[-1]}.ack", digest.upper() + "\n")
    assert main(["files", "acks", "--partner", "adm-01"]) == 0
    assert "ACKNOWLEDGED" in capsys.readouterr().out
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
    assert main(["inbound", "scan", "--partner", "oem-toyota"]) == 2
