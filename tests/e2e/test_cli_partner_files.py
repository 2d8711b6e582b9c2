"""`fnix partners layout` and `fnix partners sas --ack` as operations use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fnix.cli import main

from function_app.config import Settings
from tests.events import body, contract


@pytest.mark.usefixtures("on_azurite")
def test_partners_layout_prints_what_delivery_publishes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        on_azurite: Settings) -> None:
    from azure.storage.blob import BlobServiceClient

    events = tmp_path / "c.jsonl"
    events.write_bytes(body(contract("VSC8100001", administrator="ADM-01", customer__last_name="Łukasiewicz")))
    assert main(["replay", "--hub", "contracts", str(events)]) == 0
    assert main(["deliver", "--date", "2025-01-15", "--partner", "adm-01", "--settle-minutes", "0"]) == 0
    capsys.readouterr()
    assert main(["partners", "layout", "adm-01", "nightly-contracts"]) == 0
    printed = capsys.readouterr().out
    container = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "").get_container_client(
        f"{on_azurite.namespace}partner-adm-01")
    published = container.download_blob("outbound/nightly-contracts/layout.json").readall()
    assert printed.encode("ascii") == published
    layout = json.loads(printed)
    [name] = [b.name for b in container.list_blobs(name_starts_with="outbound/nightly-contracts/2025/")
              if b.name.endswith(".txt")]
    lines = container.download_blob(name).readall().split(b"\n")[:-1]
    assert {len(line) for line in lines} == {layout["record_length"]}
    last_name = next(c for c in layout["records"]["D"] if c["name"] == "customer_last_name")
    assert b"Lukasiewicz" in lines[1][last_name["start"] - 1 : last_name["start"] - 1 + last_name["width"]]


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["partners", "layout", "nobody", "nightly-contracts"], "no partner 'nobody'"),
        (["partners", "layout", "adm-01", "nightly"], "its feeds: nightly-contracts"),
        (["partners", "layout", "oem-toyota", "nightly-contracts"], "is csv, not fixed"),
    ],
)
def test_partners_layout_misuse_exits_2(argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert hint in captured.err and captured.out == ""


@pytest.mark.usefixtures("on_azurite")
def test_partners_sas_ack_prints_a_create_write_link_that_uploads_an_ack(capsys: pytest.CaptureFixture[str]) -> None:
    from azure.core.exceptions import HttpResponseError
    from azure.storage.blob import BlobClient

    assert main(["partners", "sas", "adm-01", "--ack", "--hours", "2"]) == 0
    captured = capsys.readouterr()
    url = captured.out.strip()
    base, _, sas = url.partition("?")
    assert base.endswith("partner-adm-01/inbound/ack") and "sp=cw" in sas
    assert all(words in captured.err for words in ("create+write", "inbound/ack/", "treat it as a password"))
    BlobClient.from_blob_url(f"{base}/adm-01_nightly-contracts_20250115_001.txt.ack?{sas}").upload_blob(b"0" * 64)
    with pytest.raises(HttpResponseError) as refused:
        BlobClient.from_blob_url(f"{base}/adm-01_nightly-contracts_20250115_001.txt.ack?{sas}").download_blob()
    assert refused.value.status_code == 403


@pytest.mark.parametrize(("argv", "hint"), [(["partners", "sas", "nobody", "--ack"], "no partner"),
                                            (["partners", "sas", "adm-01", "--ack", "--hours", "0"], "168")])
@pytest.mark.usefixtures("on_azurite")
def test_partners_sas_ack_misuse_exits_2(argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert hint in capsys.readouterr().err
