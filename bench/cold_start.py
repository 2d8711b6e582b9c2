"""Cold start: importing and indexing the app, next to the bare import of `azure.functions`, in one run.

Not a test: `.venv/bin/python -m bench.cold_start [--runs N]`. Each sample is a fresh interpreter (as the worker
is), the two commands alternate so that machine noise falls on both, and the medians are compared.
Target: the app's import-and-index under 1.5x the bare import.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "cold_start.md"
TARGET = 1.5

BARE = "import azure.functions"
APP = "import function_app; function_app.app.get_functions()"
TIMED = (
    "import time; started = time.perf_counter(); {code}; "
    "print(time.perf_counter() - started)"
)


def sample(code: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        [sys.executable, "-c", TIMED.format(code=code)], capture_output=True, text=True, cwd=ROOT, env=env, check=True
    )
    return float(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args(argv)
    bare: list[float] = []
    app: list[float] = []
    sample(BARE), sample(APP)  # warm the file cache: the worker's disk is warm after deployment too
    for _ in range(args.runs):
        bare.append(sample(BARE))
        app.append(sample(APP))
    bare_median, app_median = statistics.median(bare), statistics.median(app)
    ratio = app_median / bare_median
    command = f".venv/bin/python -m bench.cold_start --runs {args.runs}"
    lines = [
        "# Cold start: import and index",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; nproc {os.cpu_count()}; Python {platform.python_version()}",
        f"- {args.runs} fresh interpreters each, alternating; medians",
        "",
        "| what | median ms | min ms | max ms |",
        "|---|---:|---:|---:|",
        f"| bare `{BARE}` | {bare_median * 1000:.1f} | {min(bare) * 1000:.1f} | {max(bare) * 1000:.1f} |",
        f"| app `{APP}` | {app_median * 1000:.1f} | {min(app) * 1000:.1f} | {max(app) * 1000:.1f} |",
        "",
        f"Ratio {ratio:.2f}x (target under {TARGET}x: {'met' if ratio < TARGET else 'NOT met'}).",
        "",
        f"Command: `{command}`",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
