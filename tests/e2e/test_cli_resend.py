"""`fnix files resend`: a damaged or deleted partner file is put back, byte for byte, from the journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient, ContainerClient
from fnix.cli import main

from function_app.config import Settings
from tests.events import body, contract


def _delivered(tmp_path: Path, capsys: pytest.CaptureFixture[str], on_azurite: Settings) -> tuple[
        ContainerClient, str]:
    events = tmp_path / "c.jsonl"
    events.write_bytes(b"\n".join(body(contract(f"VSC85{i:05d}", administrator="ADM-01")) for i in range(7)))
    assert main(["replay", "--hub", "contracts", str(events)]) == 0
    capsys.readouterr()
    assert main(["deliver", "--date", "2025-01-15", "--partner", "adm-01", "--settle-minutes", "0", "--json"]) == 0
    [file] = [f for feed in json.loads(capsys.readouterr().out)["feeds"] for f in feed["files"]]
    blobs = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "")
    return blobs.get_container_client(f"{on_azurite.namespace}partner-adm-01"), file["file"]


def resend(capsys: pytest.CaptureFixture[str], name: str, *extra: str) -> dict[str, object]:
    capsys.readouterr()
    assert main(["files", "resend", "adm-01", name, "--reason", "partner reported it damaged", "--json",
                 *extra]) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_a_deleted_or_damaged_file_is_put_back_byte_identical_and_the_action_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], on_azurite: Settings
) -> None:
    container, name = _delivered(tmp_path, capsys, on_azurite)
    original = container.download_blob(name).readall()
    manifest = container.download_blob(name + ".manifest.json").readall()

    untouched = container.get_blob_client(name).get_blob_properties().etag
    done = resend(capsys, name, "--by", "night-operator")
    assert (done["data"], done["manifest"]) == ("UNCHANGED", "UNCHANGED")
    assert container.get_blob_client(name).get_blob_properties().etag == untouched, "an identical blob is not written"

    container.delete_blob(name)
    done = resend(capsys, name)
    assert (done["data"], done["manifest"]) == ("WRITTEN", "UNCHANGED")
    assert container.download_blob(name).readall() == original

    lines = original.splitlines(keepends=True)
    container.upload_blob(name, b"".join([*lines[:-1], lines[1], lines[-1]]), overwrite=True)
    assert main(["reconcile", "--date", "2025-01-15"]) == 1
    container.upload_blob(name + ".manifest.json", b"{}", overwrite=True)
    done = resend(capsys, name)
    assert (done["data"], done["manifest"], done["open_breaks_for_feed"]) == ("WRITTEN", "WRITTEN", 0)
    assert container.download_blob(name).readall() == original
    assert json.loads(container.download_blob(name + ".manifest.json").readall()) == json.loads(manifest)
    assert main(["reconcile", "--date", "2025-01-15"]) == 0

    reports = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "").get_container_client(
        f"{on_azurite.namespace}reports")
    actions = [json.loads(reports.download_blob(b.name).readall())
               for b in reports.list_blobs(name_starts_with="resends/adm-01/")]
    assert len(actions) == 3 and {a["reason"] for a in actions} == {"partner reported it damaged"}
    assert "night-operator" in {a["by"] for a in actions} and all(a["at"] and a["file"] == name for a in actions)


@pytest.mark.parametrize(("argv", "hint"), [
    (["files", "resend", "adm-01", "outbound/x/none.txt", "--reason", "r"], "no delivered file"),
    (["files", "resend", "nobody", "outbound/x/none.txt", "--reason", "r"], "no partner 'nobody'"),
    (["files", "resend", "adm-01", "outbound/x/none.txt", "--reason", " "], "--reason must be"),
])
@pytest.mark.usefixtures("on_azurite")
def test_resend_misuse_exits_2(argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert hint in capsys.readouterr().err


def test_resend_needs_a_reason(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["files", "resend", "adm-01", "outbound/x.txt"])
    assert exit_info.value.code == 2 and "--reason" in capsys.readouterr().err
