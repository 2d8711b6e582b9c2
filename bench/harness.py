"""What every benchmark shares: the machine and code it ran on, the process's CPU and memory over a step, the
command that reproduces it, sizes on the command line, and where its report goes. Each benchmark module keeps
only its own workload, paths and report."""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import ctypes
import ctypes.util
import gc
import io
import json
import os
import platform
import pstats
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.storage.blob import BlobBlock
from fnix.dev.azurite import AzuriteEndpoints

ROOT = Path(__file__).resolve().parents[1]
POINT_INDEX = ROOT / "bench" / "azurite_point_index.js"  # a hash index for Azurite's point lookups (see the file)


def point_indexed(heap_mib: int = 12_288, *, verify: bool = False) -> dict[str, str]:
    """The environment for an Azurite that finds an entity by its keys without scanning its table (so a million
    entities can be loaded), with a V8 heap large enough to hold them; `verify` checks every lookup against the scan."""
    env = {"NODE_OPTIONS": f"--require {POINT_INDEX} --max-old-space-size={heap_mib}"}
    if verify:
        env["FNIX_POINT_INDEX_VERIFY"] = "1"
    return env


# ---------------------------------------------------------------------------------------------- the run


@dataclass
class Measured:
    """One timed step of a benchmark: what it moved, its time, CPU on both sides, requests and memory."""

    path: str
    items: int  # rows, facts or events the step handled
    seconds: float = 0.0
    bytes: int = 0
    client_cpu: float = 0.0
    azurite_cpu: float | None = None
    table_requests: int = 0
    blob_requests: int = 0
    rss_start_kib: int = 0
    rss_peak_kib: int = 0
    memory_source: str = ""

    @property
    def rate(self) -> float:
        return self.items / self.seconds

    @property
    def growth_mib(self) -> float:
        return (self.rss_peak_kib - self.rss_start_kib) / 1024


@contextlib.contextmanager
def measure(step: Measured, azurite_pid: int | None) -> Iterator[float]:
    """Times the body into `step`: wall and client CPU seconds, Azurite's CPU, and this process's memory over it.
    Yields the start (perf_counter), which the body's request counters may take as their origin."""
    with MemoryWatch() as memory:
        azurite_before, cpu_before = cpu_seconds(azurite_pid), time.process_time()
        started = time.perf_counter()
        yield started
        step.seconds = time.perf_counter() - started
        step.client_cpu = time.process_time() - cpu_before
        azurite_after = cpu_seconds(azurite_pid)
    if azurite_before is not None and azurite_after is not None:
        step.azurite_cpu = azurite_after - azurite_before
    step.rss_start_kib, step.rss_peak_kib, step.memory_source = memory.start_kib, memory.peak_kib, memory.source


def say(message: str) -> None:
    """Progress goes to stderr; the report to stdout and its file."""
    print(message, file=sys.stderr, flush=True)


def publish(report: str, output: Path) -> None:
    print(report, end="")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")


def command(module: str, argv: Sequence[str]) -> str:
    """The command line that reproduces a run, from the repository root."""
    python = Path(sys.executable)
    shown = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
    return shlex.join([str(shown), "-m", module, *argv])


def command_block(command_line: str) -> list[str]:
    """The report's closing lines: the command that reproduces the run, as a fenced block."""
    return ["", "Command (from the repository root):", "", "```", command_line, "```"]


def titled_block(title: str, text: str) -> list[str]:
    """A report's fenced block of text (a profile) under its title line."""
    return ["", title, "", "```", text.strip(), "```"]


def sizes(text: str) -> list[int]:
    """`--sizes 100000,1000000` (underscores and spaces allowed)."""
    try:
        return [int(part.replace("_", "")) for part in re.split(r"[,\s]+", text.strip()) if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 10000,100000, got {text!r}") from None


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def profile_text(profiler: cProfile.Profile, top: int) -> str:
    """A profile's hot spots, by own time and by cumulative time, with the repository's and Python's paths cut."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue().replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")


# ---------------------------------------------------------------------------------------------- where it ran


def machine(*, with_memory: bool = True) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in _read_lines("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    azurite = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]["azurite"]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    memory = next((line.split(":", 1)[1].strip() for line in _read_lines("/proc/meminfo")
                   if line.startswith("MemTotal")), "unknown")
    ram = f"{memory} RAM, " if with_memory else ""
    return (f"nproc {len(os.sched_getaffinity(0))}, {cpu}, {ram}{platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, Azurite {azurite} (package.json), Node {node or 'unknown'}")


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes, as `uptime` shows it: how busy it was beside the run."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def code_version() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    changed = git("status", "--porcelain", "--", "function_app", "host.json").splitlines()
    return f"commit {git('rev-parse', '--short', 'HEAD') or 'unknown'}" + (
        f", with {len(changed)} uncommitted change(s) under function_app/" if changed else ", function_app/ clean"
    )


def _read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


# ---------------------------------------------------------------------------------------------- measuring


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process, from /proc (Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_kib(*keys: str) -> dict[str, int]:
    found: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in keys:
                found[name] = int(value.split()[0])
    return found


def _trim() -> None:
    """Hands memory that earlier work freed back to the kernel (glibc), so that a step's RSS growth does not depend
    on what ran before it. Python's freed arenas go back on their own; malloc's heap (4 MB blocks come from it once
    the dynamic mmap threshold has risen) does not."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


def _reset_peak_rss() -> bool:
    """Resets VmHWM to the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def stage_block(blob: Any, blocks: list[BlobBlock], data: memoryview) -> int:
    """A floor's upload step: one block staged and listed for the commit, nothing else; its size."""
    block_id = base64.b64encode(f"{len(blocks):08d}".encode()).decode()
    blob.stage_block(block_id, data)
    blocks.append(BlobBlock(block_id=block_id))
    return len(data)


class MemoryWatch:
    """Resident memory of this process over one step: at the start, and the peak during it."""

    def __init__(self, interval: float = 0.005) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
        self.start_kib = self.sampled_kib = self.hwm_kib = 0
        self._hwm = False

    def __enter__(self) -> MemoryWatch:
        gc.collect()
        _trim()
        self.start_kib = self.sampled_kib = _status_kib("VmRSS")["VmRSS"]
        self._hwm = _reset_peak_rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.hwm_kib = _status_kib("VmHWM")["VmHWM"] if self._hwm else 0

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            self.sampled_kib = max(self.sampled_kib, _status_kib("VmRSS")["VmRSS"])

    @property
    def peak_kib(self) -> int:
        return max(self.sampled_kib, self.hwm_kib)

    @property
    def source(self) -> str:
        return "VmHWM (reset) and VmRSS sampled every 5 ms" if self._hwm else "VmRSS sampled every 5 ms"


class RequestCounter:
    """The SDKs' raw_response_hook: called once per HTTP response, sorted by the service that answered."""

    def __init__(self, endpoints: AzuriteEndpoints) -> None:
        self._table, self._blob = endpoints.table_endpoint, endpoints.blob_endpoint
        self.table = self.blob = self.other = 0

    def __call__(self, response: Any) -> None:
        url = str(response.http_request.url)
        if url.startswith(self._table):
            self.table += 1
        elif url.startswith(self._blob):
            self.blob += 1
        else:
            self.other += 1

    def reset(self) -> None:
        self.table = self.blob = self.other = 0
