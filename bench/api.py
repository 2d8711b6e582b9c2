"""Quote latency through the API against a bare point read of the same entity, in one run on one Azurite.

Not a test: ``.venv/bin/python -m bench.api [--requests N] [--profile]``. Contracts are seeded through the real-time
service (``exchange.realtime.process`` on contract events built like ``tests/events.py``'s), so the records are what
production stores; then the same random contracts (a fixed seed) are asked for, one request at a time, four ways:

(read)         ``TableClient.get_entity`` of the contract's record -- the PartitionKey and RowKey
               ``TableContractStore.read`` reads -- with azure-data-tables, keep-alive: the floor of any answer.
(quote)        ``POST /api/contracts/{n}/cancellation-quote`` with httpx (keep-alive) to the API served by
               ``fnix.serve.served_in_thread`` in a separate process (uvicorn, as ``fnix serve`` runs it).
(status)       ``GET /api/contracts/{n}`` to that same server.
(quote-thread) the quote again, to the API served in a thread of this process (what the tests and the demo do):
               client and server share one interpreter and its GIL.

Paths take turns slice by slice, in an order rotated every slice, so background load falls on all alike; each is
warmed up first. Every answer is checked (200, the contract asked for) and every server-side Table request counted
with the SDK's response hook: exactly one per quote and per status, or the run stops. ``--profile`` adds a cProfile'd
extra run of quotes against a separate server process, the CPU of every thread of it profiled, not in the timings.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import math
import multiprocessing
import pstats
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import httpx
from azure.data.tables import TableClient
from fnix.dev.azurite import Azurite
from fnix.serve import served_in_thread

from bench import harness
from bench.harness import say
from function_app import bootstrap as composition
from function_app.adapters.kernel.contract_rows import record_partition, record_row
from function_app.config import Settings, load_settings
from function_app.domain.api.callers import parse_callers
from function_app.domain.api.identity import DEV_HEADER
from tests.events import contract, messages

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "api.md"
NAMESPACE = "apibench"
CALLERS = {"bench-dealer-d10442": {"dealer_code": "D10442"}, "bench-dealer-d20881": {"dealer_code": "D20881"}}
DEALERS = {entry["dealer_code"]: client_id for client_id, entry in CALLERS.items()}
SALE_DATE, SALE_ODOMETER, TERM_MILES = date(2025, 1, 15), 12_000, 60_000  # the spec's example contract
PATHS = ("read", "quote", "status", "quote-thread")
LABELS = {
    "read": "(read) bare `TableClient.get_entity` of the record, SDK",
    "quote": "(quote) `POST …/cancellation-quote`, server in its own process",
    "status": "(status) `GET /api/contracts/{n}`, server in its own process",
    "quote-thread": "(quote-thread) the quote, server in a thread of this process",
}
TARGET = 3.0  # quote p99 ≤ 3 × read p99


@dataclass(frozen=True)
class Ask:
    number: str
    client_id: str
    body: dict[str, Any]


@dataclass
class Lane:
    path: str
    send: Callable[[Ask], Any]
    check: Callable[[Ask, Any], str | None]
    table_requests: Callable[[], int]
    server_pid: int | None
    samples: list[int] = field(default_factory=list)  # ns per request
    seconds: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float | None = 0.0
    azurite_cpu: float | None = 0.0
    requests: int = 0
    table: int = 0

    def percentile(self, p: float) -> float:
        """Nearest rank, in ms."""
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(len(ordered) * p / 100) - 1)] / 1e6


# ---------------------------------------------------------------------------------------------- the server process


class Counter:
    """The SDK's raw_response_hook in a server: Table and other requests, in shared memory the bench reads."""

    def __init__(self, table: Synchronized[int], other: Synchronized[int], table_endpoint: str) -> None:
        self.table, self.other, self._endpoint = table, other, table_endpoint

    def __call__(self, response: Any) -> None:
        target = self.table if str(response.http_request.url).startswith(self._endpoint) else self.other
        with target.get_lock():
            target.value += 1


def _settings(connection: str) -> Settings:
    # the app's defaults, not this shell's environment: 8 partitions, America/Chicago, the shipped state rules
    return replace(load_settings({}), storage_connection=connection, namespace=NAMESPACE)


def _serve(connection: str, counter: Counter, ready: Any, stop: Any, profile_path: str | None) -> None:
    """A server process: the exchange on the seeded tables, the API served as the tests and the demo serve it."""
    exchange = composition.bootstrap(_settings(connection), response_hook=counter)
    profilers: list[cProfile.Profile] = []
    if profile_path:
        def start(_frame: Any, _event: str, _arg: Any) -> None:  # each new thread: a profiler of its own
            sys.setprofile(None)
            profiler = cProfile.Profile(time.thread_time)  # CPU: waits for Azurite and for the GIL are not in it
            profilers.append(profiler)
            profiler.enable()

        threading.setprofile(start)
    with served_in_thread(exchange, parse_callers(CALLERS)) as url:
        ready.send(url)
        stop.wait()
    if profile_path:
        threading.setprofile(None)
        pstats.Stats(*profilers).dump_stats(profile_path)


@dataclass
class ServerProcess:
    url: str
    pid: int
    counter: Counter
    stop: Any
    process: Any


@contextlib.contextmanager
def server_process(connection: str, table_endpoint: str, profile_path: str | None = None) -> Iterator[ServerProcess]:
    context = multiprocessing.get_context("spawn")  # no fork of this process's threads and sockets
    counter = Counter(context.Value("q", 0), context.Value("q", 0), table_endpoint)
    receive, send = context.Pipe(duplex=False)
    stop = context.Event()
    process = context.Process(target=_serve, args=(connection, counter, send, stop, profile_path), daemon=True)
    process.start()
    try:
        if not receive.poll(60):
            raise SystemExit("the API server process did not start within 60 s")
        assert process.pid is not None
        yield ServerProcess(receive.recv(), process.pid, counter, stop, process)
    finally:
        stop.set()
        process.join(30)
        if process.exitcode is None:
            process.terminate()
            process.join(5)


# ---------------------------------------------------------------------------------------------- the workload


def numbers(count: int) -> list[str]:
    return [f"VSC-BENCH-{i:05d}" for i in range(count)]


def dealer_of(index: int) -> str:
    return ("D10442", "D20881")[index % 2]


def seed(exchange: Any, count: int) -> float:
    """The contracts, through the real-time service in Event Hub sized batches, every one ACCEPTED."""
    started = time.perf_counter()
    events = [contract(n, dealer=dealer_of(i)) for i, n in enumerate(numbers(count))]
    for start in range(0, count, 100):
        report = exchange.realtime.process(messages("contracts", events[start : start + 100], start=start))
        if report.statuses != {"ACCEPTED": len(events[start : start + 100])}:
            raise SystemExit(f"seeding: expected every contract ACCEPTED, got {dict(report.statuses)}")
    return time.perf_counter() - started


def asks(count: int, contracts: int, rng: random.Random, latest: date) -> list[Ask]:
    """Random seeded contracts, each with a valid quote body: a cancel date from the day after the sale to
    `latest`, an odometer above the sale's and inside the term, the customer's request."""
    days = (latest - SALE_DATE).days
    chosen = []
    for _ in range(count):
        index = rng.randrange(contracts)
        body = {"cancel_date": (SALE_DATE + timedelta(days=rng.randint(1, days))).isoformat(),
                "odometer": SALE_ODOMETER + rng.randint(1, TERM_MILES - 1), "reason": "CUSTOMER_REQUEST"}
        chosen.append(Ask(f"VSC-BENCH-{index:05d}", DEALERS[dealer_of(index)], body))
    return chosen


# ---------------------------------------------------------------------------------------------- the four paths


def read_lane(table: TableClient, partitions: int, counter: harness.RequestCounter) -> Lane:
    def send(ask: Ask) -> Any:
        return table.get_entity(record_partition(ask.number, partitions), record_row(ask.number))

    def check(ask: Ask, entity: Any) -> str | None:
        return None if entity["RowKey"] == record_row(ask.number) else f"read {entity['RowKey']} for {ask.number}"

    return Lane("read", send, check, lambda: counter.table, None)


def quote_lane(path: str, client: httpx.Client, table_requests: Callable[[], int], pid: int | None) -> Lane:
    def send(ask: Ask) -> Any:
        return client.post(f"/api/contracts/{ask.number}/cancellation-quote", json=ask.body,
                           headers={DEV_HEADER: ask.client_id})

    def check(ask: Ask, response: Any) -> str | None:
        if response.status_code != 200:
            return f"quote {ask.number}: {response.status_code} {response.text[:300]}"
        body = response.json()
        return None if "customer_refund" in body and "quoted_at" in body else f"quote {ask.number}: {body}"

    return Lane(path, send, check, table_requests, pid)


def status_lane(client: httpx.Client, table_requests: Callable[[], int], pid: int) -> Lane:
    def send(ask: Ask) -> Any:
        return client.get(f"/api/contracts/{ask.number}", headers={DEV_HEADER: ask.client_id})

    def check(ask: Ask, response: Any) -> str | None:
        if response.status_code != 200 or response.json()["contract_number"] != ask.number:
            return f"status {ask.number}: {response.status_code} {response.text[:300]}"
        return None

    return Lane("status", send, check, table_requests, pid)


def timed(lane: Lane, part: Sequence[Ask], azurite_pid: int | None, *, record: bool = True) -> None:
    """One lane's turn: requests one after the other, each timed; then every answer checked and the Table
    requests its server made counted -- exactly one per request."""
    answers: list[Any] = []
    samples: list[int] = []
    clock, send = time.perf_counter_ns, lane.send
    tables_before = lane.table_requests()
    azurite_before, server_before = harness.cpu_seconds(azurite_pid), harness.cpu_seconds(lane.server_pid)
    cpu_before, started = time.process_time(), time.perf_counter()
    for ask in part:
        begun = clock()
        answers.append(send(ask))
        samples.append(clock() - begun)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    azurite_after, server_after = harness.cpu_seconds(azurite_pid), harness.cpu_seconds(lane.server_pid)
    tables = lane.table_requests() - tables_before
    for ask, answer in zip(part, answers, strict=True):
        if (wrong := lane.check(ask, answer)) is not None:
            raise SystemExit(f"{lane.path}: {wrong}")
    if tables != len(part):  # a hook that sees nothing would fail here too: 0 is not len(part)
        raise SystemExit(f"{lane.path}: {tables} Table requests for {len(part)} requests; the API must make exactly "
                         "one point read per answer")
    if not record:
        return
    lane.samples += samples
    lane.seconds += seconds
    lane.client_cpu += cpu
    lane.requests += len(part)
    lane.table += tables
    lane.azurite_cpu = _add(lane.azurite_cpu, azurite_before, azurite_after)
    lane.server_cpu = _add(lane.server_cpu, server_before, server_after) if lane.server_pid else None


def _add(total: float | None, before: float | None, after: float | None) -> float | None:
    return None if total is None or before is None or after is None else total + after - before


# ---------------------------------------------------------------------------------------------- the run


@dataclass
class Result:
    lanes: list[Lane]
    seed_seconds: float
    contracts: int
    load_before: str
    load_after: str
    profile: str | None = None
    breakdown: list[tuple[str, float, int]] = field(default_factory=list)
    profiled_quotes: int = 0


def run(args: argparse.Namespace) -> Result:
    load_before = _load()
    rng = random.Random(args.seed)
    with Azurite(ROOT, in_memory=True) as azurite:
        endpoints = azurite.endpoints
        connection = endpoints.connection_string
        local = harness.RequestCounter(endpoints)  # this process: seeding, then the in-thread server
        exchange = composition.bootstrap(_settings(connection), response_hook=local)
        say(f"seeding {args.contracts} contracts through the real-time service ...")
        seed_seconds = seed(exchange, args.contracts)
        latest = datetime.now(UTC).date() - timedelta(days=1)  # every zone's today is at least this
        warmup, main = asks(args.warmup, args.contracts, rng, latest), asks(args.requests, args.contracts, rng, latest)
        reads = harness.RequestCounter(endpoints)
        table = TableClient.from_connection_string(connection, exchange.settings.contracts_table,
                                                   raw_response_hook=reads)
        with (server_process(connection, endpoints.table_endpoint) as server,
              served_in_thread(exchange, parse_callers(CALLERS)) as thread_url,
              httpx.Client(base_url=server.url, timeout=10) as remote,
              httpx.Client(base_url=thread_url, timeout=10) as local_client):
            lanes = [
                read_lane(table, exchange.settings.contract_partitions, reads),
                quote_lane("quote", remote, lambda: server.counter.table.value, server.pid),
                status_lane(remote, lambda: server.counter.table.value, server.pid),
                quote_lane("quote-thread", local_client, lambda: local.table, None),
            ]
            others = server.counter.other.value + local.blob + local.other  # bootstrap's own, before
            say(f"warming up ({args.warmup} requests per path) ...")
            for lane in lanes:
                timed(lane, warmup, azurite.pid, record=False)
            step = -(-len(main) // args.slices)
            for index, start in enumerate(range(0, len(main), step)):
                turn = index % len(lanes)
                for lane in lanes[turn:] + lanes[:turn]:
                    timed(lane, main[start : start + step], azurite.pid)
                say(f"slice {index + 1}: " + ", ".join(f"{lane.path} p50 {lane.percentile(50):.2f} ms"
                                                       for lane in lanes))
            other = server.counter.other.value + local.blob + local.other - others
            if other:
                raise SystemExit(f"the servers made {other} storage requests other than Table requests")
        result = Result(lanes, seed_seconds, args.contracts, load_before, "")
        if args.profile:
            say(f"profiling {args.profile_requests} more quotes in a server process of their own ...")
            profiled = asks(args.profile_requests, args.contracts, rng, latest)
            result.profile, result.breakdown = profile(connection, endpoints.table_endpoint, warmup, profiled,
                                                       args.top)
            result.profiled_quotes = len(warmup) + len(profiled)
    result.load_after = _load()
    return result


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])


# ---------------------------------------------------------------------------------------------- profile


# Where a quote's server time goes: (label, file suffix, function). Cumulative times within one thread; the route's
# async part runs on the event loop's thread, `ContractQueries.quote` on a worker thread of anyio's pool.
PARTS = (
    ("uvicorn: HTTP/1.1 parsing and the ASGI cycle (loop thread)", "uvicorn/protocols/http/h11_impl.py",
     "run_asgi"),
    ("  fastapi: solve_dependencies (identify the caller, path parameters)", "fastapi/dependencies/utils.py",
     "solve_dependencies"),
    ("  quote_cancellation route (loop thread: body, thread hop, answer)", "adapters/api/app.py",
     "quote_cancellation"),
    ("  fastapi: serialize_response (response_model validation, JSON)", "fastapi/routing.py", "serialize_response"),
    ("ContractQueries.quote (worker thread)", "service_layer/api/queries.py", "quote"),
    ("  TableContractStore.read (the point read)", "adapters/kernel/contract_store.py", "read"),
    ("    TableClient.get_entity (SDK)", "azure/data/tables/_table_client.py", "get_entity"),
    ("    ContractRecord.from_json", "domain/realtime/contracts.py", "from_json"),
    ("  quote_request (the body checked as a cancellation event)", "domain/api/quotes.py", "quote_request"),
    ("  ContractBook.assess_cancellation (the refund)", "domain/realtime/decisions.py", "assess_cancellation"),
    ("  Quoted.to_json", "service_layer/api/queries.py", "to_json"),
)


def profile(connection: str, table_endpoint: str, warmup: Sequence[Ask], quotes: Sequence[Ask],
            top: int) -> tuple[str, list[tuple[str, float, int]]]:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "server.prof")
        with (server_process(connection, table_endpoint, path) as server,
              httpx.Client(base_url=server.url, timeout=10) as client):
            lane = quote_lane("quote", client, lambda: server.counter.table.value, server.pid)
            timed(lane, warmup, None, record=False)
            timed(lane, quotes, None)
        stats = pstats.Stats(path)
    table: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    found = [("all CPU of the server's threads, profiled", stats.total_tt, 0)]  # type: ignore[attr-defined]
    for label, suffix, function in PARTS:
        seconds, calls = 0.0, 0
        for (filename, _line, name), (_cc, count, _tottime, cumtime, _callers) in table.items():
            if name == function and filename.endswith(suffix):
                seconds, calls = seconds + cumtime, calls + count
        found.append((label, seconds, calls))
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    text = out.getvalue().replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")
    return text, found


# ---------------------------------------------------------------------------------------------- report


def render(result: Result, args: argparse.Namespace, command: str) -> str:
    lanes = {lane.path: lane for lane in result.lanes}
    read = lanes["read"]
    lines = [
        "# Quote latency through the API against a bare point read, on Azurite",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {harness.machine()}",
        f"- code: {harness.code_version()}",
        f"- load average (1, 5, 15 min; shared machine, nothing niced): {result.load_before} before, "
        f"{result.load_after} after",
        f"- workload: {result.contracts} contracts seeded through the real-time service "
        f"({result.seed_seconds:.1f} s, not measured), two dealers; {args.requests} requests per path to random "
        f"contracts (seed {args.seed}), the same contracts in the same order on every path; one request at a time "
        f"(latency, not throughput), keep-alive; warm-up of {args.warmup} requests per path; {args.slices} slices, "
        "the paths taking turns in an order rotated every slice",
        "- quote bodies: cancel date from the day after the sale to yesterday, odometer above the sale's and inside "
        "the term, reason CUSTOMER_REQUEST, the contract's own dealer as the caller",
        "- verified: every answer 200 and for the contract asked (quotes carry a refund); the servers made exactly "
        "one Table request per answer (SDK response hook) and no other storage request",
        "",
        "| path | p50 ms | p95 ms | p99 ms | max ms | requests/s | client CPU µs/req | server CPU µs/req "
        "| Azurite CPU µs/req | Table req/req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path in PATHS:
        lane = lanes[path]
        server = f"{lane.server_cpu / lane.requests * 1e6:,.0f}" if lane.server_cpu is not None else (
            "in client" if path == "quote-thread" else "—")
        azurite = f"{lane.azurite_cpu / lane.requests * 1e6:,.0f}" if lane.azurite_cpu is not None else "n/a"
        lines.append(
            f"| {LABELS[path]} | {lane.percentile(50):.2f} | {lane.percentile(95):.2f} | {lane.percentile(99):.2f} "
            f"| {lane.percentile(100):.2f} | {lane.requests / lane.seconds:,.0f} "
            f"| {lane.client_cpu / lane.requests * 1e6:,.0f} | {server} | {azurite} "
            f"| {lane.table / lane.requests:.2f} |"
        )
    ratio = {path: lanes[path].percentile(99) / read.percentile(99) for path in PATHS[1:]}
    lines += [
        "",
        "| measure | value | target | met |",
        "|---|---:|---:|:---:|",
        f"| quote p99 / read p99 (server process) | {ratio['quote']:.2f}× | ≤ {TARGET:g}× "
        f"| {harness.met(ratio['quote'] <= TARGET)} |",
        f"| quote p50 / read p50 (server process) | {lanes['quote'].percentile(50) / read.percentile(50):.2f}× | — "
        "| — |",
        f"| status p99 / read p99 (server process) | {ratio['status']:.2f}× | — | — |",
        f"| quote p99 / read p99 (server in this process's thread) | {ratio['quote-thread']:.2f}× | — | — |",
        *harness.command_block(command),
    ]
    if result.profile is not None:
        n = result.profiled_quotes  # the warm-up's quotes included: the profiler ran from the server's start
        lines += ["", f"Server process under cProfile, every thread, CPU time (`time.thread_time`: waits for Azurite, "
                  f"for another thread or the GIL are not in it); one extra server, {n} quotes, not in the timings "
                  "above. Profiling inflates Python-heavy parts more than C ones. Cumulative CPU per part, per quote:",
                  "",
                  "| part | calls | ms per quote |", "|---|---:|---:|"]
        lines += [f"| {label} | {calls or '—'} | {seconds / n * 1e3:.3f} |"
                  for label, seconds, calls in result.breakdown]
        lines += harness.titled_block("Top functions by own time (all threads):", result.profile)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- main


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.api",
                                     description="Quote latency through the API vs a bare SDK point read.")
    parser.add_argument("--requests", type=int, default=3000, help="timed requests per path (default 3000)")
    parser.add_argument("--contracts", type=int, default=2000, help="contracts seeded (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests per path first (default 200)")
    parser.add_argument("--slices", type=int, default=10, help="turns the paths take, rotating (default 10)")
    parser.add_argument("--seed", type=int, default=14, help="random seed of the contracts asked for (default 14)")
    parser.add_argument("--profile", action="store_true", help="add a cProfile'd extra run of quotes to the report")
    parser.add_argument("--profile-requests", type=int, default=1000, help="quotes in the profiled run (default 1000)")
    parser.add_argument("--top", type=int, default=30, help="functions listed from the profile (default 30)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="report file (default bench/results/api.md)")
    args = parser.parse_args(argv)
    if min(args.requests, args.contracts, args.slices, args.profile_requests, args.top) < 1 or args.warmup < 0:
        parser.error("need --requests, --contracts, --slices, --profile-requests, --top ≥ 1 and --warmup ≥ 0")
    if args.slices > args.requests:
        parser.error("--slices cannot exceed --requests")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parse(argv)
    result = run(args)
    report = render(result, args, harness.command("bench.api", argv))
    harness.publish(report, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
