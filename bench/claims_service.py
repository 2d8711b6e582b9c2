"""The claims service with storage in memory: one claims file of N rows through `exchange.claims.scan` on the memory
adapters, timed, with digests of everything it wrote (results file, journal facts as the journal packs them,
registry). Not a test: ``.venv/bin/python -m bench.claims_service --rows 20000 [--profile]``.

`bench.claims` runs this module in a child process twice per round, once on the code being measured and once on
the code of an earlier commit exported beside it (``--old``), alternating, so that the two are timed in one run
under the same load; the digests must agree, or the run stops. `tests/unit/test_claims_equivalence.py` holds the
same digests for a smaller file to a golden written by the code before the claims path was made fast.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import harness
from bench.harness import say
from function_app import bootstrap as composition
from function_app.adapters.memory_storage import memory_storage
from function_app.config import load_settings
from function_app.domain.kernel.journal import FactKind
from function_app.domain.kernel.vin import with_check_digit
from tests.events import contract, messages

PARTNER, ADMINISTRATOR = "adm-01", "ADM-01"
NAME = "inbound/claims/adm-01_claims_20260303_001.csv"
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
CONTRACTS = tuple(f"VSC26010100{k:02d}" for k in range(1, 8))
OTHER_ADMIN = "VSC2601010099"
MISSING = "VSC9999999999"
EFFECTIVE, SALE_ODOMETER = date(2025, 1, 15), 12_000
CAUSES = ("water pump", '"seal, rear main"', "alternator", "A/C compressor", "transmission valve body")
PERIOD = 200
KINDS = {17: "bad_date", 43: "missing_column", 71: "amount", 97: "no_contract", 123: "other_admin",
         149: "before_effective", 181: "past_odometer"}
COLUMNS = ("claim_number,contract_number,repair_order,failure_date,odometer,labor_amount,parts_amount,tax_amount,"
           "total_amount,repair_facility_code,cause")
# Lines that are not like the others, for the equivalence file: every rule, quoting, odd bytes, repeats.
ODD = (
    'CLM-0000000001,VSC2601010002,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,"a ""quoted"", cause"',
    "CLM-0000000001,VSC2601010002,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,other content",
    "clm-lower,VSC2601010002,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,x",
    "CLM-ODD-0003,VSC2601010002,,2025-03-01,12000,1.0,2.00,0.00,3.00,fac,x",
    "CLM-ODD-0004,VSC2601010002,RO-1,2025-3-01,1e5,-1.00,2.00,0.00,1.00,FAC-1,x,extra",
    'CLM-ODD-0005,VSC2601010002,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,"open',
    'CLM-ODD-0006,VSC2601010002,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,a"b',
    "CLM-ODD-0007,VSC2601010002,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,caf\u00e9 \u0645\u0635\u0631",
    "CLM-ODD-0008,VSC2601010002,RO-1,2030-03-01,99999999,1.00,2.00,0.00,3.00,FAC-1,x",
    "CLM-ODD-0009,VSC2601010002,RO-1,2025-03-01,12000,1234567890123456.00,0.00,0.00,1234567890123456.00,FAC-1,x",
    "CLM-ODD-0010,VSC2601010002," + "R" * 41 + ",2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1," + "c" * 201,
    "=CMD-0011,VSC2601010002,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,x",
    "",
    " ",
    "CLM-ODD-0014,VSC2601010002,RO-1,2024-12-31,72001,0.00,0.00,0.00,0.00,FAC-1,both uncovered",
    "CLM-ODD-0015,VSC2601010002,RO-1, 2025-03-01,12000, 1.00,2.00,0.00,3.00,FAC-1,x",
    "CLM-ODD-0001,VSC2601010002,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,x",
    'CLM-ODD-0017,VSC2601010003,"RO ""7"", bay 2",2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,""',
    '"CLM-ODD-0018",VSC2601010003,RO-1,2025-03-01,12000,"1.00",2.00,0.00,3.00,FAC-1,x',
    'CLM-ODD-0019,VSC2601010003,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,"a"b',
    'CLM-ODD-0020,VSC2601010003,"",2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,"' + "q" * 199 + '"',
    'CLM-ODD-0021,VSC2601010003,"   ",2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,"' + "q" * 200 + ',"',
    "CLM-ODD-0022,VSC2601010003,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,nul \x00 here",
    'CLM-ODD-0023,VSC2601010003,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,"back\\slash \u2028 ""q"""',
    "CLM-ODD-0024,VSC2601010003,RO-1,2025-03-01,0012000,001.00,2.00,0.00,3.00,FAC-1,leading zeros",
    "CLM-ODD-0025,VSC2601010003,RO-1,2025-03-01,12000,1.00,2.00,0.00,3.00,FAC-1,x,",
)


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def claim_line(i: int) -> tuple[str, str, int | None]:
    """Row i (from 1) as `bench.claims` makes it: its csv line, kind and total in cents (None: not counted)."""
    kind = KINDS.get(i % PERIOD, "good")
    number = {"no_contract": MISSING, "other_admin": OTHER_ADMIN}.get(kind, CONTRACTS[i % len(CONTRACTS)])
    failure = EFFECTIVE + timedelta(days=17 + i * 37 % 1_700)
    failure_text = {"bad_date": "2025-02-30", "before_effective": "2024-12-01"}.get(kind, failure.isoformat())
    odometer = SALE_ODOMETER + 80_000 if kind == "past_odometer" else SALE_ODOMETER + i * 7_919 % 59_000
    labor, parts = 5_000 + i * 131 % 90_000, i * 977 % 150_000
    tax = (labor + parts) * 8 // 100
    total = labor + parts + tax + (1 if kind == "amount" else 0)
    cells = [f"CLM-{i:010d}", number, f"RO-{i:08d}", failure_text, str(odometer), _cents(labor), _cents(parts),
             _cents(tax), _cents(total), f"FAC-{i % 97:03d}", CAUSES[i % len(CAUSES)]]
    if kind == "missing_column":
        del cells[-1]
    return ",".join(cells) + "\n", kind, None if kind == "missing_column" else total


def data_file(rows: int, odd: bool = False) -> bytes:
    """The file: `rows` rows of `claim_line`; with `odd`, ODD's lines every 97 rows (CRLF line ends among them)."""
    lines = [COLUMNS + "\n"]
    for i in range(1, rows + 1):
        lines.append(claim_line(i)[0])
        if odd and i % 97 == 0:
            extra = ODD[(i // 97) % len(ODD)]
            lines.append(extra + ("\r\n" if i % 2 else "\n"))
    return "".join(lines).encode("utf-8")


def _manifest(data: bytes) -> bytes:
    from function_app.domain.claims.claims_file import ClaimsReader
    from function_app.domain.claims.csv_lines import split_lines

    reader = ClaimsReader()
    for _ in reader.read(split_lines(iter([data]))):
        pass
    return json.dumps({"record_count": reader.record_count, "total_amount": str(reader.total_amount),
                       "sha256": hashlib.sha256(data).hexdigest()}).encode()


def run(data: bytes, profile: bool = False, twice: bool = False) -> dict[str, Any]:
    """The service on `data` in memory (contracts seeded through the real-time service); `twice`: the same bytes
    again under another name afterwards (DUPLICATE_FILE) and a second file of the same rows renamed, so that the
    registry answers DUPLICATE and CLAIM_CONFLICT."""
    storage = memory_storage()
    exchange = composition.bootstrap(load_settings({}), storage=storage, clock=lambda: NOW)
    events = [contract(n, vehicle__vin=with_check_digit(f"4T1BF1FK0GU{k:06d}")) for k, n in enumerate(CONTRACTS)]
    events.append(contract(OTHER_ADMIN, administrator="ADM-02", vehicle__vin=with_check_digit("4T1BF1FK0GU999999")))
    exchange.realtime.process(messages("contracts", events))
    files = storage.partner_files
    files.put(PARTNER, NAME, data)  # type: ignore[attr-defined]
    files.put(PARTNER, NAME + ".manifest.json", _manifest(data))  # type: ignore[attr-defined]
    intake = exchange.claims
    profiler = cProfile.Profile() if profile else None
    cpu, started = time.process_time(), time.perf_counter()
    outcomes = profiler.runcall(intake.scan, PARTNER) if profiler is not None else intake.scan(PARTNER)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if twice:
        second = NAME.replace("_001.csv", "_002.csv")
        files.put(PARTNER, second, data)  # type: ignore[attr-defined]
        files.put(PARTNER, second + ".manifest.json", _manifest(data))  # type: ignore[attr-defined]
        changed = data.replace(b",water pump\n", b",water pump!\n")
        third = NAME.replace("_001.csv", "_003.csv")
        files.put(PARTNER, third, changed)  # type: ignore[attr-defined]
        files.put(PARTNER, third + ".manifest.json", _manifest(changed))  # type: ignore[attr-defined]
        outcomes += intake.scan(PARTNER)
    report: dict[str, Any] = {
        "rows": data.count(b"\n") - 1, "seconds": seconds, "cpu_seconds": cpu,
        "outcomes": [[o.name, o.status.value, o.counts] for o in outcomes],
        **digests(storage),
    }
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(25)
        report["profile"] = out.getvalue()
    return report


def digests(storage: Any) -> dict[str, str]:
    """sha256 of every results file and manifest (by name), of the journal's claim facts as the Table journal packs
    them (the JSON document it compresses) and of the registry."""
    files = storage.partner_files
    results = hashlib.sha256()
    for (partner, name), blob in sorted(files.blobs.items()):
        if "claims-results" in name:
            text = blob if not name.endswith(".json") else _without_created_at(blob)
            results.update(f"{partner}/{name}:{len(text)}:".encode() + text)
    journal = storage.journal  # read back (what the journal stores as text is parsed as a reader would)
    facts = [fact.to_json() for day in journal.dates() for fact in journal.read(day)
             if fact.kind is FactKind.CLAIM_SUBMITTED]
    document = json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    registry = json.dumps(sorted([admin, number, c.content_hash, str(c.origin), c.contract_number]
                                 for (admin, number), c in storage.claims_registry.claims.items()))
    return {"results_sha256": results.hexdigest(), "facts_sha256": hashlib.sha256(document.encode()).hexdigest(),
            "facts": str(len(facts)), "registry_sha256": hashlib.sha256(registry.encode()).hexdigest()}


def _without_created_at(blob: bytes) -> bytes:
    document = json.loads(blob)
    document.pop("created_at", None)
    return json.dumps(document, sort_keys=True).encode()


ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "claims-service.md"


def _child(tree: Path, rows: int) -> dict[str, Any]:
    """One run in a fresh process on the code in `tree` (its function_app/ first on the path)."""
    done = subprocess.run([sys.executable, "-m", "bench.claims_service", "--rows", str(rows)], cwd=tree,
                          capture_output=True, text=True, check=True)
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def compare(old: str, rows: int, rounds: int) -> str:
    """Old and new, alternating (old first in odd rounds, new first in even ones), in fresh processes."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "function_app"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.strip()
    runs: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    loads = [os.getloadavg()]
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder)
        archive = subprocess.run(["git", "archive", old, "function_app", "tests", "bench", "config", "tools"],
                                 cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        shutil.copy(Path(__file__), tree / "bench" / "claims_service.py")
        for round_ in range(rounds):
            for side in ("old", "new") if round_ % 2 == 0 else ("new", "old"):
                report = _child(tree if side == "old" else ROOT, rows)
                runs[side].append(report)
                say(f"round {round_ + 1} {side}: {report['rows'] / report['seconds']:,.0f} rows/s "
                    f"(cpu {report['cpu_seconds']:.2f} s)")
            loads.append(os.getloadavg())
    keys = ("results_sha256", "facts_sha256", "registry_sha256", "outcomes")
    if any({json.dumps(r[k]) for r in runs["old"] + runs["new"]} != {json.dumps(runs["old"][0][k])} for k in keys):
        raise SystemExit("old and new wrote different results, facts or registry")
    rate = {side: statistics.median(r["rows"] / r["seconds"] for r in runs[side]) for side in runs}
    cpu = {side: statistics.median(r["cpu_seconds"] * 1e6 / r["rows"] for r in runs[side]) for side in runs}
    lines = [
        "# Claims service with storage in memory: old vs new, side by side", "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {harness.machine()}",
        f"- code: new = commit {commit}{' + uncommitted function_app/' if dirty else ''}, old = {old}",
        "- load average (1/5/15 min) before, between rounds, after: "
        + "; ".join(" ".join(f"{x:.2f}" for x in load) for load in loads),
        f"- {rows:,} rows (bench.claims' rows: 3.5% refused), {rounds} rounds, old and new alternating in fresh "
        "processes, not niced; results, facts and registry digests identical in every run", "",
        "| code | rows/s (median) | CPU µs per row (median) | rows/s per round |", "|---|---:|---:|---|",
    ]
    for side in ("old", "new"):
        per = ", ".join(f"{r['rows'] / r['seconds']:,.0f}" for r in runs[side])
        lines.append(f"| {side} | {rate[side]:,.0f} | {cpu[side]:.0f} | {per} |")
    lines += ["", f"new / old: {rate['new'] / rate['old']:.2f}×; target ≥ 40,000 rows/s: "
              f"{'met' if rate['new'] >= 40_000 else '**not met**'}", "",
              f"Command: `.venv/bin/python -m bench.claims_service --compare {old} --rows {rows} "
              f"--rounds {rounds}`", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.claims_service", description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--odd", action="store_true", help="mix in the equivalence file's odd lines")
    parser.add_argument("--compare", metavar="COMMIT", help="time this code against COMMIT's, alternating")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.compare:
        text = compare(args.compare, args.rows, args.rounds)
        print(text)
        args.output.write_text(text)
        return 0
    report = run(data_file(args.rows, args.odd), args.profile)
    report["max_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if args.profile:
        sys.stderr.write(report.pop("profile"))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
