"""Dealer latency: the contract function path at a steady offered rate, enqueue to feedback, next to the raw writes.

Not a test: ``.venv/bin/python -m bench.latency [--seconds 15] [--ceiling-events 1000]``. Two ways of writing the
same rows for the same new-contract events, each on fresh tables of its own (own namespace) in one Azurite:

(raw)  bench.realtime's raw path: the entities the service writes for the batch's events (bench/workload.py,
       derived offline), sent as entity-group transactions of at most 100 operations per partition, no reads.
(real) ``answer_batch(exchange, "contracts", batch)`` -- what ``contract_submissions`` runs through
       ``decide_batch`` -- on a batch decoded by the ``azure.functions`` converter, exchange bootstrapped on Azurite.

First each path's ceiling: back-to-back full batches (100 events), events/s. Then events are offered at 25 %, 50 %
and 75 % of the real path's ceiling, event ``i`` enqueued at ``start + i / rate`` whatever the function is doing
(open loop: a slow batch delays the events behind it, it does not slow the producer). Batches form the way the
Event Hubs trigger forms them for one partition with ``maxEventBatchSize`` 100 and ``minEventBatchSize`` 1
(host.json): one invocation at a time; events accumulate while the previous batch runs; a batch starts as soon as
the function is free and at least one event waits, and takes every waiting event up to 100. An event's latency is
from its enqueue time to the moment its batch returns, i.e. its feedback exists. Not modelled (the same for both
paths, and outside this process): Event Hubs' own delivery to the host, the host's checkpoint after each batch, the
feedback's trip back. Each load level splits its events in two halves run A B B A (the order alternating between
levels), so background load falls on both paths alike.
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from azure.data.tables import TableClient, TableServiceClient
from azure.storage.blob import BlobServiceClient
from fnix.dev.azurite import Azurite

from bench import harness
from bench.harness import say
from bench.workload import HUB, T0, Batch, EventRows, Workload, build_workload, key, transactions, without_decision_time
from function_app import bootstrap as composition
from function_app.adapters.realtime.memory import SentFeedback
from function_app.config import Settings, load_settings
from function_app.domain.kernel.feedback import encode_feedback
from function_app.entrypoints.eventhub import answer_batch
from tests.events import eventhub_batch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latency.md"
PATHS = ("raw", "real")
LABELS = {
    "raw": "raw: the same entities as transactions of ≤100 per partition",
    "real": "real: answer_batch (contract function path)",
}
LOADS = (0.25, 0.5, 0.75)
MAX_BATCH = 100  # host.json extensions.eventHubs.maxEventBatchSize
FIRST_SEQUENCE = 1_000_000  # the sequence numbers build_workload gave the main events
TARGET = 2.0  # real p99 / raw p99 at 50 % load
Write = Callable[[int, int], int]  # writes events [lo, hi) as one batch; returns how many were accepted


@dataclass
class Lane:
    """One path on its own tables."""

    path: str
    settings: Settings
    counter: harness.RequestCounter
    write: Write = field(init=False)


@dataclass
class Step:
    """One path at one load level (or at its ceiling): what it was offered and what it measured."""

    path: str
    load: float | None  # fraction of the real ceiling; None = back-to-back full batches
    offered: float  # events/s offered (0 at the ceiling)
    latencies: list[float] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    seconds: float = 0.0
    client_cpu: float = 0.0
    azurite_cpu: float | None = 0.0
    table_requests: int = 0

    @property
    def events(self) -> int:
        return sum(self.batches)

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


# ---------------------------------------------------------------------------------------------- the trigger model


def offer(write: Write, first: int, count: int, rate: float, clock: Callable[[], float] = time.perf_counter,
          sleep: Callable[[float], None] = time.sleep) -> tuple[list[float], list[int]]:
    """Offers events [first, first + count) at `rate` events/s and runs them through `write` in the batches the
    Event Hubs trigger would form (one invocation at a time; a batch starts when the function is free and an event
    waits, and takes every waiting event up to MAX_BATCH). Returns each event's latency (enqueue to its batch's
    return, seconds) and the batch sizes. `rate` = inf offers everything at once: back-to-back full batches."""
    start = clock()
    due = [start + i / rate for i in range(count)] if rate != float("inf") else [start] * count
    latencies: list[float] = []
    sizes: list[int] = []
    taken = 0
    while taken < count:
        now = clock()
        if due[taken] > now:  # the function is idle until the next event is enqueued
            sleep(due[taken] - now)
            now = max(clock(), due[taken])
        size = min(bisect.bisect_right(due, now, lo=taken) - taken, MAX_BATCH)
        accepted = write(first + taken, first + taken + size)
        if accepted != size:
            raise SystemExit(f"a batch of {size} events had {accepted} accepted")
        done = clock()
        latencies += [done - due[i] for i in range(taken, taken + size)]
        sizes.append(size)
        taken += size
    return latencies, sizes


# ---------------------------------------------------------------------------------------------- the paths


class Bench:
    def __init__(self, azurite: Azurite, settings: Settings, warmup: Workload, main: Workload) -> None:
        self._azurite = azurite
        self._endpoints = azurite.endpoints
        self._settings = replace(settings, storage_connection=self._endpoints.connection_string)
        self._warmup, self._rows = warmup, main.rows
        self._bodies = [event.get_body() for batch in main.batches for event in batch.events]
        self._admin = TableServiceClient.from_connection_string(self._endpoints.connection_string)
        self._admin_blobs = BlobServiceClient.from_connection_string(self._endpoints.connection_string)
        self._lanes = 0

    def level(self, load: float | None, offered: float, events: int, order: Sequence[str]) -> list[Step]:
        """Both paths on fresh tables: half the events in `order`, the other half in reverse (A B B A)."""
        lanes = {path: self._lane(path) for path in order}
        steps = {path: Step(path, load, offered) for path in order}
        halves = [(0, events // 2), (events // 2, events)]
        try:
            for (lo, hi), paths in zip(halves, (list(order), list(reversed(order))), strict=True):
                for path in paths:
                    self._timed(lanes[path], steps[path], lo, hi - lo, offered or float("inf"))
            for lane in lanes.values():
                self._verify(lane, events)
        finally:
            for lane in lanes.values():
                self._drop(lane)
        return [steps[path] for path in PATHS]

    def profile_real(self, rate: float, events: int, top: int) -> str:
        """One extra real-path run at `rate` under cProfile, not part of the timings: where a batch's time goes."""
        lane = self._lane("real")
        profiler = cProfile.Profile()
        try:
            profiler.runcall(offer, lane.write, 0, events, rate)
        finally:
            self._drop(lane)
        return harness.profile_text(profiler, top)

    def _timed(self, lane: Lane, step: Step, first: int, count: int, rate: float) -> None:
        lane.counter.reset()
        azurite_before, cpu_before = harness.cpu_seconds(self._azurite.pid), time.process_time()
        started = time.perf_counter()
        latencies, batches = offer(lane.write, first, count, rate)
        step.seconds += time.perf_counter() - started
        step.client_cpu += time.process_time() - cpu_before
        azurite_after = harness.cpu_seconds(self._azurite.pid)
        if step.azurite_cpu is not None and azurite_before is not None and azurite_after is not None:
            step.azurite_cpu += azurite_after - azurite_before
        else:
            step.azurite_cpu = None
        step.latencies += latencies
        step.batches += batches
        step.table_requests += lane.counter.table

    def _lane(self, path: str) -> Lane:
        self._lanes += 1
        settings = replace(self._settings, namespace=f"l{self._lanes}{path}")
        lane = Lane(path, settings, harness.RequestCounter(self._endpoints))
        lane.write, warm = (self._real if path == "real" else self._raw)(lane)
        for batch in self._warmup.batches:  # same clients and tables, other contracts: connections and JITs warm
            warm(batch)
        return lane

    def _real(self, lane: Lane) -> tuple[Write, Callable[[Batch], object]]:
        exchange = composition.bootstrap(lane.settings, response_hook=lane.counter, feedback=SentFeedback())

        def write(lo: int, hi: int) -> int:
            batch = eventhub_batch(self._bodies[lo:hi], first_sequence=FIRST_SEQUENCE + lo,
                                   at=T0 + timedelta(milliseconds=lo))
            report = answer_batch(exchange, HUB, batch)  # sent to memory: each answer encoded as the hub adapter does
            statuses = Counter(json.loads(encode_feedback(fb))["data"]["status"] for fb in report.feedback)
            return statuses["ACCEPTED"]

        return write, lambda batch: answer_batch(exchange, HUB, batch.events)

    def _raw(self, lane: Lane) -> tuple[Write, Callable[[Batch], object]]:
        service = TableServiceClient.from_connection_string(self._endpoints.connection_string,
                                                           raw_response_hook=lane.counter)
        for table in (lane.settings.contracts_table, lane.settings.journal_table):
            service.create_table(table)
        tables = (service.get_table_client(lane.settings.contracts_table),
                  service.get_table_client(lane.settings.journal_table))

        def write(lo: int, hi: int) -> int:
            self._submit(tables, self._rows[lo:hi])
            return hi - lo

        return write, lambda batch: self._submit(tables, batch.rows)

    @staticmethod
    def _submit(tables: tuple[TableClient, TableClient], rows: Sequence[EventRows]) -> None:
        for table, operations in transactions(*tables, rows):
            table.submit_transaction(operations)

    def _verify(self, lane: Lane, events: int) -> None:
        """Every row the warm-up and the offered events must have written is there, and nothing else (keys; the
        real path's journal keys without the decision-time stamp positions start with)."""
        rows = self._warmup.rows + self._rows[:events]
        expected = [[e for r in rows for e in (r.record, r.inbox, r.claim)], [r.journal for r in rows]]
        for name, entities in zip((lane.settings.contracts_table, lane.settings.journal_table), expected, strict=True):
            table = self._admin.get_table_client(name)
            stored = {key(without_decision_time(e)) for e in table.list_entities(
                select=["PartitionKey", "RowKey"], results_per_page=1000)}
            want = {key(without_decision_time(e)) for e in entities}
            if len(want) != len(entities) or stored != want:
                raise SystemExit(f"{lane.path}: {name} holds {len(stored)} rows, expected {len(entities)}")

    def _drop(self, lane: Lane) -> None:
        """Frees Azurite's memory, so that later levels do not pay for earlier ones."""
        for table in (lane.settings.contracts_table, lane.settings.journal_table):
            self._admin.delete_table(table)
        container = self._admin_blobs.get_container_client(lane.settings.dead_letter_container)
        if container.exists():
            container.delete_container()


# ---------------------------------------------------------------------------------------------- report


def load_average() -> str:
    """`uptime`'s line, or the load averages alone where there is no `uptime`."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def render(ceilings: list[Step], levels: list[list[Step]], args: argparse.Namespace, command: str,
           settings: Settings, loads: tuple[str, str], profile: str | None) -> str:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.0f}"

    def per_event_ms(seconds: float | None, step: Step) -> str:
        return "n/a" if seconds is None else f"{seconds / step.events * 1000:.2f}"

    lines = [
        "# Dealer latency: the contract function path at a steady offered rate, on Azurite",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {harness.machine()}",
        f"- code: {harness.code_version()}",
        f"- load before: `{loads[0]}`",
        f"- load after: `{loads[1]}`",
        f"- workload: new-contract events, {settings.contract_partitions} contract partitions, one business date; "
        f"batches formed as the Event Hubs trigger forms them for one partition (maxEventBatchSize {MAX_BATCH}, "
        "minEventBatchSize 1: a batch starts when the function is free and an event waits); every level on fresh "
        f"tables per path after a warm-up of {args.warmup_batches} full batch(es), its events in two halves run "
        "A B B A",
        "- latency: from the event's enqueue time (when it was offered) to the return of its batch (its feedback)",
        "- verified after every level: all expected rows and no others in each path's tables; every real-path "
        "event ACCEPTED",
        "",
        "Ceilings: back-to-back full batches of 100.",
        "",
        "| path | events | events/s | client CPU ms/event | Azurite CPU ms/event | Table requests/event |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for step in ceilings:
        lines.append(f"| {LABELS[step.path]} | {step.events:,} | {step.rate:,.0f} "
                     f"| {per_event_ms(step.client_cpu, step)} | {per_event_ms(step.azurite_cpu, step)} "
                     f"| {step.table_requests / step.events:.3f} |")
    lines += [
        "",
        "Offered load: a fraction of the real path's ceiling, the same schedule for both paths.",
        "",
        "| load | offered events/s | path | events | batches (mean size) | achieved events/s | p50 ms | p95 ms "
        "| p99 ms | max ms | client CPU ms/event | Azurite CPU ms/event | Table requests/event |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in levels:
        for step in level:
            assert step.load is not None
            lines.append(
                f"| {step.load:.0%} | {step.offered:,.1f} | {step.path} | {step.events:,} "
                f"| {len(step.batches):,} ({statistics.mean(step.batches):.1f}) | {step.rate:,.1f} "
                f"| {ms(step.percentile(50))} | {ms(step.percentile(95))} | {ms(step.percentile(99))} "
                f"| {ms(max(step.latencies))} | {per_event_ms(step.client_cpu, step)} "
                f"| {per_event_ms(step.azurite_cpu, step)} | {step.table_requests / step.events:.3f} |"
            )
    lines += ["", "| measure | value | target | met |", "|---|---:|---:|:---:|"]
    for level in levels:
        raw, real = level
        assert real.load is not None
        ratio = real.percentile(99) / raw.percentile(99)
        judged = real.load == 0.5
        lines.append(f"| real p99 / raw p99 at {real.load:.0%} load | {ratio:.2f}× "
                     f"| {'≤ ' + str(TARGET) + '×' if judged else '—'} "
                     f"| {harness.met(ratio <= TARGET) if judged else '—'} |")
    lines += harness.command_block(command)
    if profile is not None:
        title = "Real path at 50 % load under cProfile (one extra run, not in the timings above):"
        lines += harness.titled_block(title, profile)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- main


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.latency",
                                     description="Dealer latency of the contract function path vs the raw writes.")
    parser.add_argument("--seconds", type=float, default=15.0, help="offered seconds per load level (default 15)")
    parser.add_argument("--ceiling-events", type=int, default=1000, help="events per ceiling run (default 1000)")
    parser.add_argument("--partitions", type=int, help="contract partitions (default: the app default)")
    parser.add_argument("--warmup-batches", type=int, default=2, help="untimed full batches per lane (default 2)")
    parser.add_argument("--profile", action="store_true", help="add a cProfile'd real run at 50 %% load")
    parser.add_argument("--output", type=Path, default=RESULTS, help="report file (default bench/results/latency.md)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.ceiling_events < 2 * MAX_BATCH or args.warmup_batches < 0:
        parser.error(f"need --seconds > 0, --ceiling-events ≥ {2 * MAX_BATCH} and --warmup-batches ≥ 0")
    if args.partitions is not None and not 1 <= args.partitions <= 100:
        parser.error("--partitions: from 1 to 100")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parse(argv)
    settings = load_settings({})  # the app's defaults, not this shell's environment
    if args.partitions is not None:
        settings = replace(settings, contract_partitions=args.partitions)
    before = load_average()
    with Azurite(ROOT, in_memory=True) as azurite:
        say(f"deriving the rows of {args.ceiling_events} events offline ...")
        warmup = build_workload(settings, "WRM", args.warmup_batches * MAX_BATCH, MAX_BATCH, 1,
                                T0 - timedelta(hours=1))
        ceiling_load = build_workload(settings, "VSC", args.ceiling_events, MAX_BATCH, FIRST_SEQUENCE, T0)
        bench = Bench(azurite, settings, warmup, ceiling_load)
        ceilings = bench.level(None, 0.0, args.ceiling_events, ("real", "raw"))
        ceiling = ceilings[PATHS.index("real")].rate
        say("ceilings: " + ", ".join(f"{s.path} {s.rate:,.0f} events/s" for s in ceilings))
        most = max(args.ceiling_events, round(max(LOADS) * ceiling * args.seconds))
        say(f"deriving the rows of {most} events offline ...")
        bench = Bench(azurite, settings, warmup, build_workload(settings, "VSC", most, MAX_BATCH, FIRST_SEQUENCE, T0))
        levels = []
        for index, load in enumerate(LOADS):
            rate = load * ceiling
            order = ("raw", "real") if index % 2 == 0 else ("real", "raw")
            levels.append(bench.level(load, rate, max(2, round(rate * args.seconds)), order))
            say(f"{load:.0%} ({rate:,.1f} events/s): " + ", ".join(
                f"{s.path} p50 {s.percentile(50) * 1000:,.0f} ms p99 {s.percentile(99) * 1000:,.0f} ms"
                for s in levels[-1]))
        profile = None
        if args.profile:
            say("profiling one more real run at 50 % load ...")
            profile = bench.profile_real(0.5 * ceiling, max(2, round(0.5 * ceiling * args.seconds)), top=25)
    after = load_average()
    report = render(ceilings, levels, args, harness.command("bench.latency", argv), settings, (before, after), profile)
    harness.publish(report, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
