"""Project-local Azurite launcher, shared by the ``fnix`` CLI and the test suite.

Azurite (the Azure Storage emulator) is pinned in ``package.json`` and installed into
``node_modules`` from ``package-lock.json``; :class:`Azurite` runs that copy, never a global one,
so every developer, CI and the tests use the same emulator version.

Why free ports
    Azurite's default ports (10000-10002) are routinely held by another Azurite already running on
    the machine (a developer's VS Code extension, another checkout, a parallel test session). Binding
    those ports would either fail or, worse, silently talk to somebody else's emulator with somebody
    else's data. Each launcher therefore asks the kernel for three free loopback ports (bind
    ``127.0.0.1:0``), starts Azurite on them and hands out a connection string with explicit
    endpoints. Between picking a port and Azurite binding it another process may take it; when
    Azurite reports ``EADDRINUSE`` the launcher picks new ports and tries again.
    Everything is bound to 127.0.0.1 only: the emulator uses a published key, so it must never be
    reachable from another host.

Why ``--disableTelemetry``
    Since 3.34.0 Azurite collects usage telemetry by default and tries to send it to a Microsoft
    endpoint. This workplace allows no outbound traffic besides package registries, we do not want
    developer or CI activity reported anywhere, and a failed upload must not slow or disturb tests.
    The flag is always passed; there is no way to turn it off through this module.

Persistence and shutdown signals (checked against Azurite 3.35.0)
    Azurite keeps all metadata -- tables and their entities, blob/queue metadata -- in LokiJS
    in-memory databases (``__azurite_db_*.json`` in the location) with ``autosave`` every 5000 ms;
    blob and queue *content* goes straight to extent files. A write acknowledged less than 5 s
    before the process dies is therefore only in memory. Azurite installs ``once`` handlers for both
    SIGTERM and SIGINT (and an IPC ``"shutdown"`` message) that close the HTTP servers and then call
    ``Loki.close()``, which performs a final save when the database is dirty; the process exits on
    its own once those writes are done. So SIGTERM *does* flush -- SIGINT is not needed -- provided:

    * the signal is sent only once (the handlers are ``once``: a second SIGTERM falls back to Node's
      default action and kills the process mid-save), and
    * the launcher waits for the process to exit before escalating to SIGKILL.

    SIGKILL (or a crash) loses up to the last 5 s of table writes. :meth:`Azurite.stop` sends one
    SIGTERM to the process group, waits, and only then SIGKILLs. The integration tests verify that a
    write made immediately before ``stop()`` survives a restart on the same location.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

__all__ = [
    "AZURITE_ACCOUNT_KEY",
    "AZURITE_ACCOUNT_NAME",
    "LOOPBACK_HOST",
    "Azurite",
    "AzuriteEndpoints",
    "AzuriteError",
    "SharedAzurite",
    "azurite_on",
]

LOOPBACK_HOST: Final = "127.0.0.1"
AZURITE_ACCOUNT_NAME: Final = "devstoreaccount1"
# Azurite's published, well-known development-storage account key (documented by Microsoft for the
# Azure Storage emulator and Azurite; it is not a secret and only works against a local emulator).
# This is the only storage account key allowed anywhere in this repository.
AZURITE_ACCOUNT_KEY: Final = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

_STARTUP_TIMEOUT_S: Final = 30.0
_STOP_TIMEOUT_S: Final = 15.0
_KILL_TIMEOUT_S: Final = 5.0
_NPM_CI_TIMEOUT_S: Final = 600.0
_PORT_ATTEMPTS: Final = 3
_POLL_INTERVAL_S: Final = 0.05
_LOG_NAME: Final = "azurite.log"
# Printed by Azurite (even with --silent, which only mutes the access log) once the last of the
# three services -- the table service -- is listening.
_READY_MARKER: Final = "Azurite Table service is successfully listening"
_ADDR_IN_USE_MARKER: Final = "EADDRINUSE"
# Environment variables Azurite reads: AZURITE_ACCOUNTS replaces the well-known account (and key) we
# hand out, AZURITE_DB moves blob metadata to an external SQL database. Neither may leak in.
_SCRUBBED_ENV: Final = ("AZURITE_ACCOUNTS", "AZURITE_DB")


class AzuriteError(RuntimeError):
    """Azurite could not be installed, started, or stopped."""


@dataclass(frozen=True)
class AzuriteEndpoints:
    """Where one Azurite instance listens. All services are on the loopback interface."""

    blob_port: int
    queue_port: int
    table_port: int
    host: str = LOOPBACK_HOST

    def _endpoint(self, port: int) -> str:
        return f"http://{self.host}:{port}/{AZURITE_ACCOUNT_NAME}"

    @property
    def blob_endpoint(self) -> str:
        return self._endpoint(self.blob_port)

    @property
    def queue_endpoint(self) -> str:
        return self._endpoint(self.queue_port)

    @property
    def table_endpoint(self) -> str:
        return self._endpoint(self.table_port)

    @property
    def ports(self) -> tuple[int, int, int]:
        return (self.blob_port, self.queue_port, self.table_port)

    @property
    def connection_string(self) -> str:
        """A full storage connection string for the well-known dev account with explicit endpoints."""
        return (
            "DefaultEndpointsProtocol=http;"
            f"AccountName={AZURITE_ACCOUNT_NAME};"
            f"AccountKey={AZURITE_ACCOUNT_KEY};"
            f"BlobEndpoint={self.blob_endpoint};"
            f"QueueEndpoint={self.queue_endpoint};"
            f"TableEndpoint={self.table_endpoint};"
        )


class Azurite:
    """One Azurite process, started from ``<project_root>/node_modules``.

    ``location`` is the persistence directory (default ``<project_root>/.azurite``, git-ignored);
    ``in_memory=True`` runs with ``--inMemoryPersistence`` instead (data is lost on stop; the log goes
    to ``location`` if given, else to a temporary directory removed by :meth:`stop`). ``env`` is added to the
    environment Azurite starts with (a benchmark's ``NODE_OPTIONS``).

    :meth:`start` picks fresh free ports every time; :meth:`restart` keeps the ports and the location,
    so clients built from the old connection string reconnect to the restarted emulator.

    Any instance still running when the interpreter exits normally is stopped by an ``atexit`` hook.
    A parent killed by a signal or crashing can leave the child behind; it runs in its own process
    group (``start_new_session``), so ``kill -- -PID`` removes it, and Ctrl-C in a terminal does not
    reach it directly -- the parent's exit hook stops it gracefully instead.
    """

    def __init__(self, project_root: Path, location: Path | None = None, in_memory: bool = False,
                 env: Mapping[str, str] | None = None) -> None:
        self._project_root = Path(project_root).resolve()
        self._in_memory = in_memory
        self._env = dict(env or {})  # added to the process's environment (a benchmark's NODE_OPTIONS)
        if location is not None:
            self._location: Path | None = Path(location).resolve()
        elif in_memory:
            self._location = None
        else:
            self._location = self._project_root / ".azurite"
        self._startup_timeout = _STARTUP_TIMEOUT_S
        self._stop_timeout = _STOP_TIMEOUT_S
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._endpoints: AzuriteEndpoints | None = None
        self._temp_dir: Path | None = None
        self._log_path: Path | None = None

    # ------------------------------------------------------------------ public API

    @property
    def project_root(self) -> Path:
        return self._project_root

    @property
    def location(self) -> Path | None:
        """The persistence directory, or ``None`` for in-memory runs without an explicit location."""
        return self._location

    @property
    def in_memory(self) -> bool:
        return self._in_memory

    @property
    def running(self) -> bool:
        proc = self._proc
        return proc is not None and proc.poll() is None

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None else None

    @property
    def log_path(self) -> Path | None:
        """Azurite's combined stdout/stderr of the current or most recent run."""
        return self._log_path

    @property
    def endpoints(self) -> AzuriteEndpoints:
        """Endpoints of the current run, or of the most recent one while stopped.

        They stay available after :meth:`stop` so that fault tests can keep using the same connection
        string across a :meth:`restart`.
        """
        if self._endpoints is None:
            raise AzuriteError("Azurite has not been started yet")
        return self._endpoints

    def start(self) -> AzuriteEndpoints:
        """Install Azurite if needed, start it on three fresh free loopback ports and wait until ready."""
        with self._lock:
            if self.running:
                raise AzuriteError(f"Azurite is already running on {self.endpoints}")
            self._reap()
            self._ensure_installed()
            try:
                return self._start_on_free_ports()
            except BaseException:
                self._remove_temp_dir()  # the error carries the log tail
                raise

    def stop(self) -> None:
        """Stop Azurite gracefully (it flushes its databases); idempotent."""
        with self._lock:
            self._terminate()
            self._remove_temp_dir()

    def restart(self) -> AzuriteEndpoints:
        """Stop (if running) and start again on the same ports and the same location."""
        with self._lock:
            if self._endpoints is None:
                raise AzuriteError("restart() needs a previous start()")
            endpoints = self._endpoints
            self._terminate()
            self._ensure_installed()
            try:
                return self._launch(endpoints)
            except _PortInUseError as exc:
                self._remove_temp_dir()
                raise AzuriteError(
                    f"cannot restart Azurite: one of its ports {endpoints.ports} is now used by another "
                    f"process:\n{exc}"
                ) from exc
            except BaseException:
                self._remove_temp_dir()
                raise

    def detach(self) -> None:
        """Leave the running process to others (see SharedAzurite): neither stop() nor the exit hook stops it."""
        with self._lock:
            self._proc = None
            _LIVE.discard(self)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running on {self._endpoints.ports}" if self.running and self._endpoints else "stopped"
        where = "in-memory" if self._in_memory else str(self._location)
        return f"Azurite({where}, {state})"

    # ------------------------------------------------------------------ installation

    @property
    def _bin(self) -> Path:
        return self._project_root / "node_modules" / ".bin" / "azurite"

    def _ensure_installed(self) -> None:
        if shutil.which("node") is None:
            raise AzuriteError("Node.js ('node') is not on PATH; Azurite needs Node.js 20 or newer")
        if self._bin.exists():
            return
        # Serialise concurrent installs into the same tree (parallel test workers, CLI + tests).
        digest = hashlib.sha256(str(self._project_root).encode()).hexdigest()[:16]
        lock_path = Path(tempfile.gettempdir()) / f"fnix-azurite-npm-ci-{digest}.lock"
        with lock_path.open("a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                if not self._bin.exists():
                    self._npm_ci()
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _npm_ci(self) -> None:
        npm = shutil.which("npm")
        if npm is None:
            raise AzuriteError(
                f"{self._bin} is missing and 'npm' is not on PATH: install Node.js 20+ (with npm) and run "
                f"'npm ci' in {self._project_root}"
            )
        if not (self._project_root / "package-lock.json").is_file():
            raise AzuriteError(f"{self._bin} is missing and {self._project_root} has no package-lock.json")
        try:
            result = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=self._project_root,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=_NPM_CI_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise AzuriteError(
                f"'npm ci' in {self._project_root} timed out after {exc.timeout:.0f}s"
            ) from exc
        output = result.stdout.decode(errors="replace")
        if result.returncode != 0:
            raise AzuriteError(
                f"'npm ci' in {self._project_root} failed with exit code {result.returncode}:\n"
                f"{_head_and_tail(output)}"
            )
        if not self._bin.exists():
            raise AzuriteError(f"'npm ci' succeeded but {self._bin} is still missing:\n{_tail(output)}")

    # ------------------------------------------------------------------ process management

    def _log_dir(self) -> Path:
        if self._location is not None:
            return self._location
        if self._temp_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="fnix-azurite-"))
        return self._temp_dir

    def _command(self, endpoints: AzuriteEndpoints) -> list[str]:
        cmd = [
            str(self._bin),
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--blobHost", endpoints.host,
            "--queueHost", endpoints.host,
            "--tableHost", endpoints.host,
            "--blobPort", str(endpoints.blob_port),
            "--queuePort", str(endpoints.queue_port),
            "--tablePort", str(endpoints.table_port),
        ]  # fmt: skip
        if self._in_memory:
            cmd.append("--inMemoryPersistence")
        else:
            assert self._location is not None
            cmd += ["--location", str(self._location)]
        return cmd

    def _start_on_free_ports(self) -> AzuriteEndpoints:
        last_error: AzuriteError | None = None
        for _ in range(_PORT_ATTEMPTS):
            blob, queue, table = _pick_free_ports(3)
            endpoints = AzuriteEndpoints(blob_port=blob, queue_port=queue, table_port=table)
            try:
                return self._launch(endpoints)
            except _PortInUseError as exc:
                last_error = exc  # somebody grabbed a port between picking and binding: pick again
        assert last_error is not None
        raise AzuriteError(
            f"Azurite could not bind free ports after {_PORT_ATTEMPTS} attempts:\n{last_error}"
        ) from last_error

    def _launch(self, endpoints: AzuriteEndpoints) -> AzuriteEndpoints:
        log_dir = self._log_dir()
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / _LOG_NAME
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV} | self._env
        with log_path.open("ab") as log:
            offset = log.tell()
            log.write(f"--- fnix: starting Azurite on ports {endpoints.ports}\n".encode())
            log.flush()
            try:
                proc = subprocess.Popen(
                    self._command(endpoints),
                    cwd=self._project_root,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,  # own process group: stop() signals the whole group
                )
            except OSError as exc:
                raise AzuriteError(f"cannot execute {self._bin}: {exc}") from exc
        self._proc = proc
        self._endpoints = endpoints
        self._log_path = log_path
        _LIVE.add(self)
        try:
            self._wait_ready(proc, endpoints, log_path, offset)
        except BaseException:
            self._terminate()
            raise
        return endpoints

    def _wait_ready(
        self, proc: subprocess.Popen[bytes], endpoints: AzuriteEndpoints, log_path: Path, offset: int
    ) -> None:
        deadline = time.monotonic() + self._startup_timeout
        while True:
            output = _read_from(log_path, offset)
            if proc.poll() is not None:
                if _ADDR_IN_USE_MARKER in output:
                    raise _PortInUseError(f"Azurite could not bind its ports:\n{_tail(output)}")
                raise AzuriteError(
                    f"Azurite exited with code {proc.returncode} during startup{self._log_hint(log_path)}:\n"
                    f"{_tail(output)}"
                )
            # The log marker proves that *our* process bound the ports (a port held by a foreign process
            # would also accept connections); the TCP probe proves they accept connections.
            if _READY_MARKER in output and all(_accepts(endpoints.host, p) for p in endpoints.ports):
                return
            if time.monotonic() >= deadline:
                raise AzuriteError(
                    f"Azurite did not become ready within {self._startup_timeout:.0f}s"
                    f"{self._log_hint(log_path)}:\n"
                    f"{_tail(output)}"
                )
            time.sleep(_POLL_INTERVAL_S)

    def _terminate(self) -> None:
        """Stop the process, if any: one SIGTERM, wait for the flush, SIGKILL only as a last resort."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.poll() is None:
                # Exactly one SIGTERM: Azurite's handler is registered with process.once(), a second
                # one would kill it with Node's default action in the middle of saving its databases.
                _signal_group(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=self._stop_timeout)
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                    try:
                        proc.wait(timeout=_KILL_TIMEOUT_S)
                    except subprocess.TimeoutExpired as exc:
                        raise AzuriteError(f"Azurite (pid {proc.pid}) survived SIGKILL") from exc
        finally:
            if proc.poll() is not None:
                self._proc = None
                _LIVE.discard(self)

    def _reap(self) -> None:
        """Forget a process that died by itself since the last call."""
        if self._proc is not None and self._proc.poll() is not None:
            self._proc = None
            _LIVE.discard(self)

    def _log_hint(self, log_path: Path) -> str:
        return "" if self._temp_dir is not None else f" (log: {log_path})"

    def _remove_temp_dir(self) -> None:
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
            self._log_path = None


class SharedAzurite:
    """One Azurite per data folder, shared by every ``fnix`` command that needs it at the same time.

    Two Azurites on one folder would each hold their own copy of the databases, and the last to save would win
    (delivered files would vanish). So the folder holds, beside the data:

    * ``fnix-azurite.lock``: taken exclusively (flock) only while deciding to start, join or stop;
    * ``fnix-azurite.json``: the running Azurite's pid and ports, written by the command that started it;
    * ``fnix-azurite.users``: every command using the Azurite holds a shared flock on it until it is done.

    A command joins the Azurite that the state file names when it is alive (the pid runs, is Azurite, and its
    ports accept connections), else starts one. When done, it releases its share; the last one out (the only one
    that can then lock the users file exclusively) stops the Azurite, whoever started it. The kernel drops the
    flocks of a command that crashes, so the next command joins (or cleans up) what it left.
    """

    def __init__(self, project_root: Path, location: Path) -> None:
        self._project_root = Path(project_root).resolve()
        self._location = Path(location).resolve()
        self._own: Azurite | None = None
        self._users: IO[bytes] | None = None
        self._pid = 0
        self._endpoints: AzuriteEndpoints | None = None

    @property
    def endpoints(self) -> AzuriteEndpoints:
        if self._endpoints is None:
            raise AzuriteError("the shared Azurite is not in use")
        return self._endpoints

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def started(self) -> bool:
        """Whether this process started the Azurite (rather than joining one another command started)."""
        return self._own is not None

    def __enter__(self) -> Self:
        self._location.mkdir(parents=True, exist_ok=True)
        with self._deciding():
            users = (self._location / _USERS_NAME).open("ab")
            fcntl.flock(users, fcntl.LOCK_SH)
            try:
                running = self._running()
                if running is None:
                    self._own = Azurite(self._project_root, location=self._location)
                    running = self._own.start(), self._own.pid or 0
                    self._write_state(*running)
            except BaseException:
                users.close()
                raise
            self._users = users
            self._endpoints, self._pid = running
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._deciding():
            if self._users is not None:
                self._users.close()  # our share is released; are there others?
                self._users = None
            with (self._location / _USERS_NAME).open("ab") as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if self._own is not None:
                        self._own.detach()  # another command still uses it: the last one out stops it
                    return
                self._stop()

    @contextlib.contextmanager
    def _deciding(self) -> Iterator[None]:
        with (self._location / _DECIDING_NAME).open("ab") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _running(self) -> tuple[AzuriteEndpoints, int] | None:
        try:
            state = json.loads((self._location / _STATE_NAME).read_text(encoding="utf-8"))
            pid, (blob, queue, table) = int(state["pid"]), state["ports"]
            endpoints = AzuriteEndpoints(int(blob), int(queue), int(table))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if azurite_on(pid, self._location) and all(_accepts(endpoints.host, port) for port in endpoints.ports):
            return endpoints, pid
        return None

    def _write_state(self, endpoints: AzuriteEndpoints, pid: int) -> None:
        state = {"pid": pid, "ports": list(endpoints.ports), "started_by": os.getpid()}
        temporary = self._location / (_STATE_NAME + ".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        temporary.replace(self._location / _STATE_NAME)

    def _stop(self) -> None:
        (self._location / _STATE_NAME).unlink(missing_ok=True)
        if self._own is not None:
            self._own.stop()
            return
        # started by a command that has gone: one SIGTERM to its group (it flushes), SIGKILL only after a wait
        for sig, wait in ((signal.SIGTERM, _STOP_TIMEOUT_S), (signal.SIGKILL, _KILL_TIMEOUT_S)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._pid, sig)
            deadline = time.monotonic() + wait
            while azurite_on(self._pid, self._location) and time.monotonic() < deadline:
                time.sleep(_POLL_INTERVAL_S)
            if not azurite_on(self._pid, self._location):
                return
        raise AzuriteError(f"the shared Azurite (pid {self._pid}) survived SIGKILL")


_DECIDING_NAME: Final = "fnix-azurite.lock"
_STATE_NAME: Final = "fnix-azurite.json"
_USERS_NAME: Final = "fnix-azurite.users"


def azurite_on(pid: int, location: Path) -> bool:
    """Whether `pid` is a live (not zombie) Azurite keeping its data in `location`: a pid from a state file may
    since belong to another process. Without procfs (macOS) only liveness is known; the ports are probed too."""
    if pid <= 0 or pid == os.getpid():
        return False
    if not Path("/proc").is_dir():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    serves = any(a.endswith(b"azurite") or a.endswith(b"azurite.js") for a in args[:2])
    here = any(a == b"--location" and b == str(location).encode() for a, b in itertools.pairwise(args))
    return stat.rpartition(")")[2].split()[0] != "Z" and serves and here


class _PortInUseError(AzuriteError):
    """Azurite died with EADDRINUSE: a picked port was taken before Azurite bound it."""


# Strong references on purpose: an Azurite object dropped without stop() must still be stopped at exit.
_LIVE: set[Azurite] = set()


@atexit.register
def _stop_all_at_exit() -> None:
    for azurite in list(_LIVE):
        with contextlib.suppress(Exception):
            azurite.stop()


def _pick_free_ports(count: int) -> tuple[int, ...]:
    """Ask the kernel for ``count`` distinct free loopback ports.

    All sockets stay bound until every port is picked, so the ports are distinct.
    """
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((LOOPBACK_HOST, 0))
        return tuple(int(sock.getsockname()[1]) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # Only called while the leader has not been reaped, so its pid (= the group id) cannot be reused yet.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _read_from(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _head_and_tail(text: str, head: int = 12, tail: int = 12) -> str:
    """npm puts the error first and its usage text / log file path last: keep both ends."""
    lines = text.rstrip().splitlines()
    if len(lines) <= head + tail:
        return "\n".join(lines)
    return "\n".join([*lines[:head], f"... ({len(lines) - head - tail} lines omitted) ...", *lines[-tail:]])
