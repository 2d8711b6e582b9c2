"""Real-time contract path against the raw Azurite ceiling and a naive writer, side by side on one Azurite.

Not a test: ``.venv/bin/python -m bench.realtime [--events N] [--batch-size 100]``. Three ways of writing the
same rows (bench/workload.py) for the same new-contract events, each on its own fresh tables (own namespace):

(a) raw    the entities the service writes, sent with azure-data-tables as entity-group transactions of at most
           100 operations per partition (packed across a whole slice), the service's operation kinds, no reads.
(b) naive  one ``upsert_entity`` request per row -- record, inbox entry, identity claim, journal row -- per event.
(c) real   ``answer_batch(exchange, "contracts", batch)``, what the contract function runs, with the exchange
           bootstrapped on Azurite and a response hook counting Table and Blob requests.

The events are split into slices of whole batches; the paths take turns slice by slice, in an order rotated every
slice, so machine noise and the growth of the tables fall on all three alike. Each path is warmed up first on its
own tables with other contracts, and verified afterwards: every expected row present and nothing else; the real
path's rows are compared property by property with the entities (a) and (b) write -- up to the decision time that
journal positions start with, which differs between the offline derivation and the real run (same length).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from azure.data.tables import TableClient, TableServiceClient, UpdateMode
from azure.storage.blob import BlobServiceClient
from fnix.dev.azurite import Azurite

from bench import harness
from bench.harness import say
from bench.workload import HUB, T0, Entity, Workload, build_workload, key, transactions, without_decision_time
from function_app import bootstrap as composition
from function_app.adapters.realtime.memory import SentFeedback
from function_app.config import Settings, load_settings
from function_app.domain.kernel.feedback import encode_feedback
from function_app.entrypoints.eventhub import answer_batch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "realtime.md"
PATHS = ("raw", "naive", "real")
LABELS = {
    "raw": "(a) raw ceiling: transactions of ≤100 per partition",
    "naive": "(b) naive: one upsert per row",
    "real": "(c) real: answer_batch (contract function path)",
}
RAW_RATIO, NAIVE_RATIO, REQUESTS_PER_EVENT = 0.7, 3.0, 0.1  # targets: (c)/(a), (c)/(b), Table requests per event
Timed = Callable[[], Counter[str]]  # the work to time, prepared beforehand; returns feedback statuses


@dataclass
class Lane:
    """One path on its own tables: how it writes, and what it measured over the timed slices."""

    path: str
    settings: Settings
    counter: harness.RequestCounter
    contracts: TableClient
    journal: TableClient
    prepare: Callable[[Workload], Timed] = field(init=False)
    seconds: float = 0.0
    client_cpu: float = 0.0
    azurite_cpu: float | None = 0.0
    events: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    slice_rates: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Run:
    path: str
    events: int
    seconds: float
    client_cpu: float
    azurite_cpu: float | None
    table_requests: int
    blob_requests: int
    accepted: int
    slice_rates: list[float]

    @property
    def rate(self) -> float:
        return self.events / self.seconds


class Bench:
    def __init__(self, azurite: Azurite, settings: Settings, warmup: Workload, main: Workload, slices: int) -> None:
        self._azurite = azurite
        self._endpoints = azurite.endpoints
        self._settings = replace(settings, storage_connection=self._endpoints.connection_string)
        self._warmup, self._main, self._slices = warmup, main, main.slices(slices)
        self._admin = TableServiceClient.from_connection_string(self._endpoints.connection_string)
        self._admin_blobs = BlobServiceClient.from_connection_string(self._endpoints.connection_string)

    def round(self, round_no: int) -> list[Run]:
        lanes = [self._lane(path, f"r{round_no}{path}") for path in PATHS]
        try:
            for lane in lanes:
                lane.prepare(self._warmup)()  # same clients and tables, other contracts: connections and JITs warm
                lane.counter.reset()
            for index, part in enumerate(self._slices):
                turn = (index + round_no - 1) % len(lanes)
                for lane in lanes[turn:] + lanes[:turn]:
                    self._timed(lane, part)
            for lane in lanes:
                self._verify(lane)
        finally:
            for lane in lanes:
                self._drop(lane)
        return [_run(lane) for lane in lanes]

    def profile_real(self, top: int) -> str:
        """One extra real-path run under cProfile, not part of the timings: the hot spots."""
        lane = self._lane("real", "profreal")
        profiler = cProfile.Profile()
        try:
            lane.prepare(self._warmup)()
            profiler.runcall(lane.prepare(self._main))
        finally:
            self._drop(lane)
        return harness.profile_text(profiler, top)

    # ------------------------------------------------------------------ timing

    def _timed(self, lane: Lane, part: Workload) -> None:
        work = lane.prepare(part)
        azurite_before, cpu_before = harness.cpu_seconds(self._azurite.pid), time.process_time()
        started = time.perf_counter()
        statuses = work()
        seconds = time.perf_counter() - started
        cpu, azurite_after = time.process_time() - cpu_before, harness.cpu_seconds(self._azurite.pid)
        if lane.path == "real" and statuses != {"ACCEPTED": part.events}:
            raise SystemExit(f"real: expected {part.events} ACCEPTED, got {dict(statuses)}")
        lane.seconds += seconds
        lane.client_cpu += cpu
        if lane.azurite_cpu is not None and azurite_before is not None and azurite_after is not None:
            lane.azurite_cpu += azurite_after - azurite_before
        else:
            lane.azurite_cpu = None
        lane.events += part.events
        lane.statuses.update(statuses)
        lane.slice_rates.append(part.events / seconds)

    # ------------------------------------------------------------------ the three paths

    def _lane(self, path: str, namespace: str) -> Lane:
        settings = replace(self._settings, namespace=namespace)
        counter = harness.RequestCounter(self._endpoints)
        service = TableServiceClient.from_connection_string(self._endpoints.connection_string,
                                                           raw_response_hook=counter)
        if path != "real":  # the real path's bootstrap() creates its own tables and container
            for table in (settings.contracts_table, settings.journal_table):
                service.create_table(table)
        contracts, journal = (service.get_table_client(t) for t in (settings.contracts_table, settings.journal_table))
        lane = Lane(path, settings, counter, contracts, journal)
        lane.prepare = {"raw": _raw, "naive": _naive, "real": _real}[path](lane)
        return lane

    # ------------------------------------------------------------------ verification and cleanup

    def _verify(self, lane: Lane) -> None:
        """Every row the warm-up and the timed slices must have written is there, and nothing else. The real
        path's rows must equal the derived ones property by property, up to the decision time in positions."""
        tables = [self._admin.get_table_client(t) for t in (lane.settings.contracts_table, lane.settings.journal_table)]
        rows = [r for w in (self._warmup, self._main) for r in w.rows]
        real = lane.path == "real"
        normal: Callable[[Mapping[str, Any]], Entity] = without_decision_time if real else dict
        expected = [[e for r in rows for e in (r.record, r.inbox, r.claim)], [r.journal for r in rows]]
        for table, entities in zip(tables, expected, strict=True):
            want = {key(n): n for n in map(normal, entities)}
            select = None if real else ["PartitionKey", "RowKey"]
            stored = {key(n): n for n in map(normal, table.list_entities(select=select, results_per_page=1000))}
            if len(want) != len(entities) or stored.keys() != want.keys():
                raise SystemExit(f"{lane.path}: {table.table_name} holds {len(stored)} rows, expected {len(entities)}")
            differing = [k for k, e in want.items() if real and stored[k] != e]
            if differing:
                raise SystemExit(f"real: {len(differing)} rows of {table.table_name} differ from the entities (a) "
                                 f"and (b) write, e.g. {differing[0]}: the real path no longer stores what the "
                                 "adapters' row functions lay out")

    def _drop(self, lane: Lane) -> None:
        """Frees Azurite's memory, so that later runs do not pay for earlier ones."""
        for table in (lane.settings.contracts_table, lane.settings.journal_table):
            self._admin.delete_table(table)
        container = self._admin_blobs.get_container_client(lane.settings.dead_letter_container)
        if container.exists():
            container.delete_container()


def _raw(lane: Lane) -> Callable[[Workload], Timed]:
    def prepare(workload: Workload) -> Timed:
        writes = transactions(lane.contracts, lane.journal, workload.rows)

        def work() -> Counter[str]:
            for table, operations in writes:
                table.submit_transaction(operations)
            return Counter()

        return work

    return prepare


def _naive(lane: Lane) -> Callable[[Workload], Timed]:
    def prepare(workload: Workload) -> Timed:
        writes: list[tuple[TableClient, Entity]] = []
        for rows in workload.rows:
            writes += [(lane.contracts, rows.record), (lane.contracts, rows.inbox), (lane.contracts, rows.claim),
                       (lane.journal, rows.journal)]

        def work() -> Counter[str]:
            for table, entity in writes:
                table.upsert_entity(entity, mode=UpdateMode.REPLACE)
            return Counter()

        return work

    return prepare


def _real(lane: Lane) -> Callable[[Workload], Timed]:
    exchange = composition.bootstrap(lane.settings, response_hook=lane.counter, feedback=SentFeedback())

    def prepare(workload: Workload) -> Timed:
        def work() -> Counter[str]:
            statuses: Counter[str] = Counter()
            for batch in workload.batches:
                report = answer_batch(exchange, HUB, batch.events)  # sent to memory: encoded as the hub adapter does
                statuses.update(json.loads(encode_feedback(fb))["data"]["status"] for fb in report.feedback)
            return statuses

        return work

    return prepare


def _run(lane: Lane) -> Run:
    accepted = lane.statuses["ACCEPTED"] if lane.path == "real" else lane.events
    return Run(lane.path, lane.events, lane.seconds, lane.client_cpu, lane.azurite_cpu, lane.counter.table,
               lane.counter.blob, accepted, lane.slice_rates)


# ---------------------------------------------------------------------------------------------- report


def render(rounds: Sequence[list[Run]], args: argparse.Namespace, command: str, settings: Settings,
           profile: str | None) -> str:
    runs = {path: [r for runs in rounds for r in runs if r.path == path] for path in PATHS}
    rate = {path: statistics.median(r.rate for r in mine) for path, mine in runs.items()}
    per_event = statistics.median(r.table_requests / r.accepted for r in runs["real"])
    raw_ratio, naive_ratio = rate["real"] / rate["raw"], rate["real"] / rate["naive"]
    slices = len(runs["real"][0].slice_rates)
    lines = [
        "# Real-time contract path: throughput on Azurite",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {harness.machine()}",
        f"- code: {harness.code_version()}",
        f"- workload: {args.events} new-contract events in batches of {args.batch_size}, "
        f"{settings.contract_partitions} contract partitions, one business date; per path: fresh tables, "
        f"warm-up of {args.warmup_batches} batch(es), then {slices} slice(s) of whole batches, the paths taking "
        f"turns slice by slice in a rotated order; {args.rounds} round(s)"
        + (", medians reported" if args.rounds > 1 else ""),
        "- verified after every run: all expected rows and no others in each table; the real path's rows equal, "
        "property by property, the entities (a) and (b) write (journal positions compared without the decision-time "
        "stamp they start with)",
        "",
        "| path | events/s | events/s per slice | Table requests | Table requests/event | client CPU s "
        "| Azurite CPU s | wall s |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for path, mine in runs.items():
        per_slice = " / ".join(", ".join(f"{x:,.0f}" for x in r.slice_rates) for r in mine)
        requests = statistics.median(r.table_requests for r in mine)
        azurite = [r.azurite_cpu for r in mine if r.azurite_cpu is not None]
        azurite_cpu = f"{statistics.median(azurite):.2f}" if azurite else "n/a"
        lines.append(
            f"| {LABELS[path]} | {rate[path]:,.0f} | {per_slice} | {requests:,.0f} | {requests / mine[0].events:.3f} "
            f"| {statistics.median(r.client_cpu for r in mine):.2f} | {azurite_cpu} "
            f"| {statistics.median(r.seconds for r in mine):.2f} |"
        )
    blob_requests = max(r.blob_requests for r in runs["real"])
    lines += [
        "",
        "| measure | value | target | met |",
        "|---|---:|---:|:---:|",
        f"| (c)/(a) throughput | {raw_ratio:.2f}× | ≥ {RAW_RATIO}× | {harness.met(raw_ratio >= RAW_RATIO)} |",
        f"| (c)/(b) throughput | {naive_ratio:.2f}× | ≥ {NAIVE_RATIO}× | {harness.met(naive_ratio >= NAIVE_RATIO)} |",
        f"| (c) Table requests per accepted event, batch size {args.batch_size} | {per_event:.3f} "
        f"| ≤ {REQUESTS_PER_EVENT} | {harness.met(per_event <= REQUESTS_PER_EVENT)} |",
        f"| (c) Blob requests in the timed slices | {blob_requests} | — | — |",
        *harness.command_block(command),
    ]
    if profile is not None:
        lines += harness.titled_block("Real path under cProfile (one extra run, not in the timings above):", profile)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- main


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.realtime",
                                     description="Real-time contract path vs raw Azurite ceiling vs naive writer.")
    parser.add_argument("--events", type=int, default=5000, help="timed events per path (default 5000)")
    parser.add_argument("--batch-size", type=int, default=100, help="events per Event Hub batch (default 100)")
    parser.add_argument("--partitions", type=int, help="contract partitions (default: the app default, 8)")
    parser.add_argument("--slices", type=int, default=3, help="turns the paths take, rotating (default 3)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat everything on fresh tables; medians (default 1)")
    parser.add_argument("--warmup-batches", type=int, default=3, help="untimed batches per path first (default 3)")
    parser.add_argument("--profile", action="store_true", help="add a cProfile'd extra real-path run to the report")
    parser.add_argument("--output", type=Path, default=RESULTS, help="report file (default bench/results/realtime.md)")
    args = parser.parse_args(argv)
    if min(args.events, args.slices, args.rounds) < 1 or args.warmup_batches < 0 or not 1 <= args.batch_size <= 1000:
        parser.error("need --events, --slices, --rounds ≥ 1, --warmup-batches ≥ 0 and --batch-size from 1 to 1000")
    if args.partitions is not None and not 1 <= args.partitions <= 100:
        parser.error("--partitions: from 1 to 100")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parse(argv)
    settings = load_settings({})  # the app's defaults, not this shell's environment: 8 partitions, America/Chicago
    if args.partitions is not None:
        settings = replace(settings, contract_partitions=args.partitions)
    say(f"deriving the rows of {args.events} events offline ...")
    warmup = build_workload(settings, "WRM", args.warmup_batches * args.batch_size, args.batch_size, 1,
                            T0 - timedelta(hours=1))
    main_load = build_workload(settings, "VSC", args.events, args.batch_size, 1_000_000, T0)
    rounds: list[list[Run]] = []
    profile: str | None = None
    with Azurite(ROOT, in_memory=True) as azurite:
        bench = Bench(azurite, settings, warmup, main_load, args.slices)
        for round_no in range(1, args.rounds + 1):
            rounds.append(bench.round(round_no))
            for run in rounds[-1]:
                say(f"round {round_no} {run.path:5}: {run.rate:7,.0f} events/s, {run.table_requests} Table requests")
        if args.profile:
            say("profiling one more real-path run ...")
            profile = bench.profile_real(top=25)
    report = render(rounds, args, harness.command("bench.realtime", argv), settings, profile)
    harness.publish(report, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
