"""Real-process tests of the project-local Azurite launcher (no mocks).

Every test starts its own Azurite from ``node_modules`` on free loopback ports, so they run next to
any other Azurite on the machine. Each start takes ~0.5-1 s and each stop ~20 ms.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from fnix.dev.azurite import (
    AZURITE_ACCOUNT_NAME,
    Azurite,
    AzuriteEndpoints,
    AzuriteError,
    azurite_on,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _refuses(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return False
    except ConnectionRefusedError:
        return True


def _write_table_and_blob(conn_str: str, table: str, container: str, marker: str) -> None:
    with TableServiceClient.from_connection_string(conn_str) as tables:
        client = tables.create_table_if_not_exists(table)
        client.upsert_entity({"PartitionKey": "launcher", "RowKey": marker, "value": marker})
    with BlobServiceClient.from_connection_string(conn_str) as blobs:
        container_client = blobs.get_container_client(container)
        if not container_client.exists():
            container_client.create_container()
        container_client.upload_blob(f"{marker}.txt", marker.encode(), overwrite=True)


def _read_table_and_blob(conn_str: str, table: str, container: str, marker: str) -> tuple[str, bytes]:
    with TableServiceClient.from_connection_string(conn_str) as tables:
        entity = tables.get_table_client(table).get_entity("launcher", marker)
    with BlobServiceClient.from_connection_string(conn_str) as blobs:
        data = blobs.get_blob_client(container, f"{marker}.txt").download_blob().readall()
    return str(entity["value"]), data


def test_connection_string_has_explicit_loopback_endpoints() -> None:
    endpoints = AzuriteEndpoints(blob_port=41001, queue_port=41002, table_port=41003)
    parts = dict(p.split("=", 1) for p in endpoints.connection_string.rstrip(";").split(";"))
    assert parts["AccountName"] == AZURITE_ACCOUNT_NAME
    assert parts["BlobEndpoint"] == "http://127.0.0.1:41001/devstoreaccount1"
    assert parts["QueueEndpoint"] == "http://127.0.0.1:41002/devstoreaccount1"
    assert parts["TableEndpoint"] == "http://127.0.0.1:41003/devstoreaccount1"
    assert parts["AccountKey"]


def test_data_survives_stop_and_start_on_same_location(tmp_path: Path) -> None:
    azurite = Azurite(PROJECT_ROOT, location=tmp_path / "store")
    first = azurite.start()
    try:
        assert azurite.running
        _write_table_and_blob(first.connection_string, "persisted", "persisted", "before-stop")
    finally:
        # Stop right after the writes, well inside LokiJS's 5 s autosave interval: only the graceful
        # SIGTERM shutdown (final save in Loki.close) can have put the table rows on disk.
        azurite.stop()
    assert not azurite.running
    assert (tmp_path / "store" / "__azurite_db_table__.json").is_file()

    second = azurite.start()
    try:
        value, data = _read_table_and_blob(second.connection_string, "persisted", "persisted", "before-stop")
    finally:
        azurite.stop()
    assert value == "before-stop"
    assert data == b"before-stop"


def test_restart_keeps_ports_location_and_data(tmp_path: Path) -> None:
    with Azurite(PROJECT_ROOT, location=tmp_path / "store") as azurite:
        before = azurite.endpoints
        conn_str = before.connection_string
        _write_table_and_blob(conn_str, "restarted", "restarted", "one")

        after = azurite.restart()

        assert after == before
        assert azurite.endpoints == before
        assert azurite.running
        # A client configured before the restart keeps working with the same connection string.
        assert _read_table_and_blob(conn_str, "restarted", "restarted", "one") == ("one", b"one")
        _write_table_and_blob(conn_str, "restarted", "restarted", "two")
        assert _read_table_and_blob(conn_str, "restarted", "restarted", "two") == ("two", b"two")


def test_restart_after_stop_brings_storage_back_on_same_ports(tmp_path: Path) -> None:
    azurite = Azurite(PROJECT_ROOT, location=tmp_path / "store")
    endpoints = azurite.start()
    try:
        _write_table_and_blob(endpoints.connection_string, "fault", "fault", "mid-batch")
        azurite.stop()
        assert all(_refuses(port) for port in endpoints.ports)
        assert azurite.endpoints == endpoints  # still known while stopped
        assert azurite.restart() == endpoints
        assert _read_table_and_blob(endpoints.connection_string, "fault", "fault", "mid-batch") == (
            "mid-batch",
            b"mid-batch",
        )
    finally:
        azurite.stop()


def test_two_launchers_get_different_ports(tmp_path: Path) -> None:
    with (
        Azurite(PROJECT_ROOT, in_memory=True) as one,
        Azurite(PROJECT_ROOT, location=tmp_path / "other") as two,
    ):
        ports_one = set(one.endpoints.ports)
        ports_two = set(two.endpoints.ports)
        assert len(ports_one) == 3
        assert len(ports_two) == 3
        assert not ports_one & ports_two
        # Both really serve, independently.
        _write_table_and_blob(one.endpoints.connection_string, "own", "own", "first")
        with TableServiceClient.from_connection_string(two.endpoints.connection_string) as tables:
            assert [t.name for t in tables.list_tables()] == []


def test_stopped_azurite_refuses_connections() -> None:
    azurite = Azurite(PROJECT_ROOT, in_memory=True)
    endpoints = azurite.start()
    pid = azurite.pid
    log_dir = azurite.log_path.parent if azurite.log_path else None
    assert pid is not None
    assert not any(_refuses(port) for port in endpoints.ports)

    azurite.stop()

    assert not azurite.running
    assert all(_refuses(port) for port in endpoints.ports)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert log_dir is not None and not log_dir.exists()  # in-memory temp log dir is cleaned up
    azurite.stop()  # idempotent


def test_start_twice_and_restart_before_start_are_errors() -> None:
    azurite = Azurite(PROJECT_ROOT, in_memory=True)
    with pytest.raises(AzuriteError):
        azurite.restart()
    with pytest.raises(AzuriteError):
        _ = azurite.endpoints
    with azurite, pytest.raises(AzuriteError, match="already running"):
        azurite.start()


def test_child_does_not_outlive_a_normally_exiting_parent(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import json
        from pathlib import Path
        from fnix.dev.azurite import Azurite

        azurite = Azurite(Path({str(PROJECT_ROOT)!r}), location=Path({str(tmp_path / "store")!r}))
        endpoints = azurite.start()
        print(json.dumps({{"pid": azurite.pid, "ports": endpoints.ports}}))
        # no stop(): the atexit hook must stop it
        """
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    info = json.loads(result.stdout.strip().splitlines()[-1])
    with pytest.raises(ProcessLookupError):
        os.kill(int(info["pid"]), 0)
    assert all(_refuses(int(port)) for port in info["ports"])


# --- one Azurite per data folder, shared by the commands that use it at the same time ----------------------

_USER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from fnix.dev.azurite import SharedAzurite

    with SharedAzurite(Path(sys.argv[1]), Path(sys.argv[2])) as shared:
        print(json.dumps({"pid": shared.pid, "ports": shared.endpoints.ports, "started": shared.started}),
              flush=True)
        sys.stdin.readline()  # in use until the test says so
    """
)


class User:
    """A separate process using the shared Azurite of `location` until `done()`."""

    def __init__(self, location: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _USER, str(PROJECT_ROOT), str(location)], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def using(self) -> dict[str, object]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, self.process.stderr.read() if self.process.stderr else ""
        info: dict[str, object] = json.loads(line)
        return info

    def done(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0, self.process.stderr.read() if self.process.stderr else ""


def _azurites_on(location: Path) -> list[int]:
    """Azurite processes keeping their data in this folder."""
    return [int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit() and azurite_on(int(e.name), location)]


def test_two_commands_at_once_share_one_azurite_and_the_last_one_out_stops_it(tmp_path: Path) -> None:
    location = tmp_path / "shared"
    first, second = User(location), User(location)  # started together: they race to start one
    a, b = first.using(), second.using()
    assert a["pid"] == b["pid"] and a["ports"] == b["ports"]
    assert {a["started"], b["started"]} == {False, True}
    assert _azurites_on(location) == [a["pid"]]
    starter, joiner = (first, second) if a["started"] else (second, first)
    starter.done()  # the one that started it leaves first: the other is still using it
    ports = [int(p) for p in a["ports"]]  # type: ignore[attr-defined]
    endpoints = AzuriteEndpoints(ports[0], ports[1], ports[2])
    _write_table_and_blob(endpoints.connection_string, "stillhere", "stillhere", "after-the-starter-left")
    assert _azurites_on(location) == [a["pid"]]
    joiner.done()
    assert _azurites_on(location) == [] and all(_refuses(p) for p in ports)
    assert not (location / "fnix-azurite.json").exists()


def test_a_command_killed_outright_leaves_an_azurite_the_next_one_joins_and_stops(tmp_path: Path) -> None:
    location = tmp_path / "shared"
    crashed = User(location)
    first = crashed.using()
    crashed.process.kill()  # SIGKILL: no exit hook, its share dropped by the kernel
    crashed.process.wait(timeout=30)
    assert _azurites_on(location) == [first["pid"]]
    later = User(location)
    assert later.using() == {**first, "started": False}
    later.done()
    assert _azurites_on(location) == []


def test_a_state_file_naming_no_live_azurite_is_not_trusted(tmp_path: Path) -> None:
    from fnix.dev.azurite import SharedAzurite

    location = tmp_path / "shared"
    location.mkdir()
    # a live pid that is no Azurite, though its command line names the folder and Azurite
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "--location", str(location),
                              "azurite"])
    try:
        with socket.socket() as taken:  # a port that accepts connections, held by somebody else entirely
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            (location / "fnix-azurite.json").write_text(json.dumps({"pid": other.pid, "ports": [port] * 3}))
            with SharedAzurite(PROJECT_ROOT, location) as shared:
                assert shared.started and shared.pid != other.pid and port not in shared.endpoints.ports
                assert _azurites_on(location) == [shared.pid]
        assert _azurites_on(location) == [] and other.poll() is None, "the stranger was left alone"
    finally:
        other.kill()
        other.wait()
