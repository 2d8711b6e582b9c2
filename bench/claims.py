"""Inbound claims files against their I/O floor, in one run on one Azurite.

Not a test: ``.venv/bin/python -m bench.claims [--rows N | --sizes 10000,100000] [--profile]``. For each size, in a
storage namespace of its own (fresh tables, fresh containers), a handful of contracts is seeded through the real
service (``exchange.realtime.process`` on contract events built like ``tests/events.py``'s), then a claims csv of N
rows and its manifest are uploaded to partner ``adm-01``'s container (seeding and upload are timed, not measured),
and three ways of answering that file are timed side by side:

(floor) the I/O floor: read the data file's bytes as one stream (the inbox's own ``BlobClaimsInbox.chunks``) and
        stage a results file of the real one's size as blocks of the real blocks' sizes, interleaved with the
        reading, then commit the block list. No parsing, no tables, nothing else.
        Run once before and once after the real path; their mean is the floor.
(writes floor) the writes CLAIMS-INBOUND requires, as directly as the SDKs allow: the file read as one stream and
        parsed with ``csv``, each accepted row's registry entity sent in full 100-entity transactions across chunks,
        the journal entities the Table journal stores (made offline) upserted and the results blocks staged. Run
        before and after the real path, on fresh tables; the target is real rows/s ≥ 0.7 × this floor's.
(real)  ``exchange.claims.scan("adm-01")`` on an exchange bootstrapped on Azurite: manifest, measure pass (sha256,
        record count, total), then chunks of ``CHUNK_ROWS`` rows: contract look-ups, registry insert (a look-up only
        when a number is taken), the chunk's facts as one journal pack, results block staged, checkpoint; then the
        results file committed, hashed and given its manifest.
(service) the same ``ClaimsIntake`` over the same bytes and contracts on the memory adapters (storage that answers
          instantly), with a journal that only counts its facts.

Per step: wall seconds, rows/s, client and Azurite CPU, Table and Blob requests (the SDKs' raw_response_hook), the
process's resident memory growth (``bench.delivery.MemoryWatch``), and for the real path the time of every staged
results block, so its rate per tenth of the file shows how it changes as the tables grow. Verified, or the run
stops: one file DONE; the results blob equals, byte for byte, the results rendered offline from what each row was
made to be (ACCEPTED, or rejected for a known reason); its manifest says N rows, the expected counts, the blob's
sha256 and bytes; the journal holds one CLAIM_SUBMITTED fact and the registry one claim per accepted row. The floor's
blob has the real results' size. ``--profile`` adds a cProfile'd real run (another namespace, not in the timings).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import hashlib
import io
import itertools
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableServiceClient, UpdateMode
from azure.storage.blob import BlobBlock, BlobServiceClient, ContainerClient, ContentSettings
from fnix.dev.azurite import Azurite, AzuriteEndpoints

from bench import harness
from bench.harness import say
from function_app import bootstrap as composition
from function_app.adapters.claims.azure import (
    REGISTRY_PARTITIONS,
    BlobClaimsInbox,
    claim_entity,
    registry_partitions,
)
from function_app.adapters.claims.memory import MemoryClaimsInbox, MemoryClaimsProgress, MemoryClaimsRegistry
from function_app.adapters.delivery.memory import MemoryPartnerFiles
from function_app.adapters.kernel.journal_table import PACK_COUNT, TableJournal, date_filter, fact_entity
from function_app.adapters.kernel.memory import MemoryContractStore
from function_app.adapters.kernel.table_storage import TRANSACTION_LIMIT
from function_app.bootstrap import Exchange
from function_app.config import Settings, load_settings
from function_app.domain.claims import results as claims_results
from function_app.domain.claims.rows import COLUMNS
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.service_layer.claims.ports import AcceptedClaim, FileStatus
from function_app.service_layer.claims.service import CHUNK_ROWS, ClaimsIntake, FileOutcome, results_name
from function_app.service_layer.kernel.ports import Journal, RenderedFact
from tests.events import contract, messages

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "claims.md"
PARTNER, ADMINISTRATOR = "adm-01", "ADM-01"
NAME = "inbound/claims/adm-01_claims_20260303_001.csv"
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # the exchange's clock: claim facts land on 2026-03-03 (Chicago)
TIME_RATIO, MEMORY_MIB, FLAT_MIB = 1.5, 200.0, 25.0  # targets: real/floor time, RSS growth, growth spread
WRITES_RATIO = 0.7  # target (issue 15): real rows/s at least this times the writes floor's
TARGET_ROWS = 1_000_000
MIB = 1024 * 1024
PATHS = ("floor", "writes", "real", "service")
LABELS = {"floor": "(floor) read file + stage results bytes",
          "writes": "(writes floor) csv parse + registry, journal, results writes",
          "real": "(real) exchange.claims.scan",
          "service": "(service) the same ClaimsIntake, storage in memory"}

# --------------------------------------------------------------------------------------------- the workload

CONTRACTS = tuple(f"VSC26010100{k:02d}" for k in range(1, 8))  # ADM-01's: every good row names one of these
OTHER_ADMIN = "VSC2601010099"  # administered by ADM-02: CONTRACT_NOT_FOUND for ADM-01
MISSING = "VSC9999999999"  # no such contract
EFFECTIVE, TERM_MONTHS, SALE_ODOMETER, TERM_MILES = date(2025, 1, 15), 60, 12_000, 60_000  # the spec's example
CAUSES = ("water pump", '"seal, rear main"', "alternator", "A/C compressor", "transmission valve body")
PERIOD = 200  # the row kinds repeat every PERIOD rows: 7 of 200 (3.5 %) are refused, each for a different reason
KINDS: dict[int, str] = {17: "bad_date", 43: "missing_column", 71: "amount", 97: "no_contract", 123: "other_admin",
                         149: "before_effective", 181: "past_odometer"}
EXPECTED: dict[str, tuple[str, str]] = {  # kind -> (status, reasons) in the results file
    "good": ("ACCEPTED", ""),
    "bad_date": ("REJECTED", "SCHEMA_INVALID"),
    "missing_column": ("REJECTED", "SCHEMA_INVALID"),
    "amount": ("REJECTED", "AMOUNT_INCONSISTENT"),
    "no_contract": ("REJECTED", "CONTRACT_NOT_FOUND"),
    "other_admin": ("REJECTED", "CONTRACT_NOT_FOUND"),
    "before_effective": ("REJECTED", "NOT_COVERED"),
    "past_odometer": ("REJECTED", "NOT_COVERED"),
}
HEADER = ",".join(COLUMNS) + "\n"
RESULTS_HEADER = ",".join(claims_results.RESULTS_HEADER) + "\n"


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def claim_line(i: int) -> tuple[str, str, int | None]:
    """Row i (from 1): its csv line, its kind, and its share of the manifest's total_amount in cents (None when
    the row does not split into the header's 11 cells, so the spec leaves it out of the total)."""
    kind = KINDS.get(i % PERIOD, "good")
    claim = f"CLM-{i:010d}"
    number = {"no_contract": MISSING, "other_admin": OTHER_ADMIN}.get(kind, CONTRACTS[i % len(CONTRACTS)])
    failure = EFFECTIVE + timedelta(days=17 + i * 37 % 1_700)  # up to 2029-10, inside the 60 months
    failure_text = {"bad_date": "2025-02-30", "before_effective": "2024-12-01"}.get(kind, failure.isoformat())
    odometer = SALE_ODOMETER + 80_000 if kind == "past_odometer" else SALE_ODOMETER + i * 7_919 % 59_000
    labor, parts = 5_000 + i * 131 % 90_000, i * 977 % 150_000
    tax = (labor + parts) * 8 // 100
    total = labor + parts + tax + (1 if kind == "amount" else 0)
    cells = [claim, number, f"RO-{i:08d}", failure_text, str(odometer), _cents(labor), _cents(parts), _cents(tax),
             _cents(total), f"FAC-{i % 97:03d}", CAUSES[i % len(CAUSES)]]
    if kind == "missing_column":
        del cells[-1]
    return ",".join(cells) + "\n", kind, None if kind == "missing_column" else total


@dataclass
class Workload:
    """One uploaded file and what its answer must be, rendered offline from the row kinds above."""

    rows: int
    data_path: Path
    data_bytes: int = 0
    data_sha256: str = ""
    total_cents: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    results_sha256: str = ""
    results_bytes: int = 0
    block_sizes: list[int] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.counts.get("ACCEPTED", 0)

    def manifest(self, off_by: int = 0) -> dict[str, Any]:
        return {"record_count": self.rows + off_by, "total_amount": _cents(self.total_cents),
                "sha256": self.data_sha256}


def build_workload(rows: int, folder: Path) -> Workload:
    """Writes the data file to `folder` and renders its expected results (bytes, sha256, one block per chunk)."""
    work = Workload(rows, folder / f"claims-{rows}.csv")
    data, results = hashlib.sha256(), hashlib.sha256()
    counts = dict.fromkeys(("ACCEPTED", "DUPLICATE", "REJECTED"), 0)
    block = len(RESULTS_HEADER)
    results.update(RESULTS_HEADER.encode())
    with work.data_path.open("wb") as out:
        head = HEADER.encode()
        out.write(head)
        data.update(head)
        work.data_bytes = len(head)
        buffer: list[str] = []
        for i in range(1, rows + 1):
            line, kind, total = claim_line(i)
            buffer.append(line)
            work.kinds[kind] = work.kinds.get(kind, 0) + 1
            work.total_cents += total or 0
            status, reasons = EXPECTED[kind]
            counts[status] += 1
            answer = f"{i},CLM-{i:010d},{status},{reasons}\n".encode()
            results.update(answer)
            block += len(answer)
            if i % CHUNK_ROWS == 0 or i == rows:
                work.block_sizes.append(block)
                block = 0
            if len(buffer) == 10_000 or i == rows:
                chunk = "".join(buffer).encode()
                out.write(chunk)
                data.update(chunk)
                work.data_bytes += len(chunk)
                buffer.clear()
    work.data_sha256, work.results_sha256 = data.hexdigest(), results.hexdigest()
    work.results_bytes, work.counts = sum(work.block_sizes), counts
    return work


# --------------------------------------------------------------------------------------------- measuring


# What each response answered, for the real path's breakdown (request kinds in the order they are reported).
KIND_LABELS = {
    "contracts": "contract look-ups (contracts query)",
    "registry-load": "registry load (claims query, ≤ 14 keys)",
    "registry-add": "registry add (claims batch of inserts)",
    "registry-one": "registry add, one at a time (conflict fallback)",
    "journal": "journal append (one packed entity per chunk)",
    "checkpoint": "checkpoint (claimfiles get/insert/update; the first get is charged pass 1's parsing)",
    "data": "data file read (4 MiB ranges; both passes)",
    "block": "results block staged",
    "container": "create_container before each block (409)",
    "blob-other": "other blob (list, manifest, commit, results re-read, manifest)",
    "table-other": "other table",
}


def _kind(request: Any, table_endpoint: str) -> str:
    url = str(request.url)
    if url.startswith(table_endpoint):
        info = getattr(request, "multipart_mixed_info", None)
        if info:  # a transaction: the changeset's first operation names the table
            changeset = info[0][0]
            inner = changeset.multipart_mixed_info[0] if changeset.multipart_mixed_info else []
            url = str(inner[0].url) if inner else url
        table = url[len(table_endpoint):].lstrip("/").split("?")[0].split("(")[0]
        if table.endswith("claimfiles"):
            return "checkpoint"
        if table.endswith("claims"):
            return "registry-add" if info else ("registry-load" if request.method == "GET" else "registry-one")
        if table.endswith("journal"):
            return "journal"
        return "contracts" if table.endswith("contracts") else "table-other"
    if "comp=block&" in url or url.endswith("comp=block"):
        return "block"
    if request.method == "PUT" and "restype=container" in url and "comp=" not in url:
        return "container"
    if request.method == "GET" and url.split("?")[0].endswith(".csv") and "/inbound/claims/" in url:
        return "data"
    return "blob-other"


class Requests:
    """The SDKs' raw_response_hook: every response counted by service and by kind, with the wall time since the
    previous response (or the step's start) charged to it, i.e. the request's round trip plus the client work that
    led up to it; and the time each results block was staged."""

    def __init__(self, endpoints: AzuriteEndpoints) -> None:
        self._table, self._blob = endpoints.table_endpoint, endpoints.blob_endpoint
        self.table = self.blob = 0
        self.blocks: list[float] = []  # perf_counter of each 'Put Block' answer
        self.events: list[tuple[str, float, int]] = []  # (kind, seconds since the previous response, blocks so far)
        self._last = time.perf_counter()

    def __call__(self, response: Any) -> None:
        now = time.perf_counter()
        request = response.http_request
        url = str(request.url)
        kind = _kind(request, self._table)
        if url.startswith(self._table):
            self.table += 1
        elif url.startswith(self._blob):
            self.blob += 1
        if kind == "block":
            self.blocks.append(now)
        self.events.append((kind, now - self._last, len(self.blocks)))
        self._last = now

    def reset(self, start: float) -> None:
        self.table = self.blob = 0
        self.blocks, self.events = [], []
        self._last = start


@dataclass
class Step(harness.Measured):
    read_seconds: float = 0.0  # floor: time spent waiting for the data file's bytes
    block_times: list[float] = field(default_factory=list)  # seconds from the step's start to each staged block
    events: list[tuple[str, float, int]] = field(default_factory=list)  # Requests.events of the step

    @property
    def rows(self) -> int:
        return self.items


@dataclass
class SizeResult:
    rows: int
    workload: Workload
    seeding_seconds: float
    upload_seconds: float
    steps: dict[str, list[Step]] = field(default_factory=dict)
    verify_seconds: float = 0.0

    def seconds(self, path: str) -> float:
        return statistics.mean(s.seconds for s in self.steps[path])

    def real(self) -> Step:
        return self.steps["real"][0]

    def tenths(self) -> list[float]:
        """The real path's rows/s over each tenth of the file's chunks (from block staging times)."""
        times, sizes = self.real().block_times, CHUNK_ROWS
        chunks = len(times)
        if chunks < 10:
            return []
        bounds = [round(chunks * k / 10) for k in range(11)]
        rates = []
        for low, high in itertools.pairwise(bounds):
            start = times[low - 1] if low else 0.0
            rates.append((high - low) * sizes / (times[high - 1] - start))
        return rates


class SinkJournal(Journal):
    """Counts the facts it is given (as the service built them) and keeps none: 1M facts would not fit."""

    def __init__(self) -> None:
        self.facts = 0

    def append(self, facts: Sequence[JournalFact]) -> None:
        self.facts += len(facts)

    def append_rendered(self, facts: Sequence[RenderedFact]) -> None:
        self.facts += len(facts)

    def read(self, business_date: date, after: str | None = None) -> Iterator[JournalFact]:
        return iter(())


class _PackRecorder:
    """Stands in for a TableClient under `TableJournal`: keeps the entities it is asked to upsert."""

    def __init__(self) -> None:
        self.entities: list[dict[str, Any]] = []

    def upsert_entity(self, entity: dict[str, Any], **_options: Any) -> None:
        self.entities.append(entity)


class PackingJournal(Journal):
    """The journal entities the Table journal would store, chunk by chunk (its own `append_run`, packs and all),
    made offline for the writes floor: the same entities, so the same sizes."""

    def __init__(self, shards: int) -> None:
        self._recorder = _PackRecorder()
        self._shards = shards
        self._journal = TableJournal(self._recorder, shards)  # type: ignore[arg-type]
        self.chunks: list[list[dict[str, Any]]] = []

    def append(self, facts: Sequence[JournalFact]) -> None:
        self.chunks.append([fact_entity(f, self._shards) for f in facts])

    def append_run(self, facts: Sequence[JournalFact]) -> None:
        self._recorder.entities = []
        self._journal.append_run(facts)
        self.chunks.append(self._recorder.entities)

    def append_rendered(self, facts: Sequence[RenderedFact]) -> None:
        self._recorder.entities = []
        self._journal.append_rendered(facts)
        self.chunks.append(self._recorder.entities)

    def read(self, business_date: date, after: str | None = None) -> Iterator[JournalFact]:
        return iter(())


@dataclass
class FloorWork:
    """What the writes floor writes, made offline from the service's own run in memory on the same bytes: the
    accepted claims by row (their registry entities are built in the timed step) and each chunk's journal entities."""

    claims: dict[int, AcceptedClaim]
    packs: list[list[dict[str, Any]]]


class Bench:
    def __init__(self, azurite: Azurite, base: Settings) -> None:
        self._azurite = azurite
        self._connection = azurite.endpoints.connection_string
        self._base = replace(base, storage_connection=self._connection)
        self.requests = Requests(azurite.endpoints)
        self._blobs = BlobServiceClient.from_connection_string(self._connection)  # seeding, verification: uncounted
        self._tables = TableServiceClient.from_connection_string(self._connection)
        counted = BlobServiceClient.from_connection_string(self._connection, raw_response_hook=self.requests)
        self._floor = counted.get_container_client("benchclaimsfloor")
        self._floor_source = counted
        with contextlib.suppress(ResourceExistsError):
            self._floor.create_container()
        self._counted_tables = TableServiceClient.from_connection_string(self._connection,
                                                                         raw_response_hook=self.requests)
        self._write_tables: list[tuple[Any, Any]] = []
        self._payload = b""
        self.fact_data_bytes = 0  # the 'data' of one CLAIM_SUBMITTED fact, as JSON
        self.journal_entities = 0  # entities in the journal's partition for the day (packs)
        self.journal_bytes = 0  # their compressed pack bytes
        self.verify_seconds = 0.0

    # ------------------------------------------------------------------ seeding (not measured)

    def exchange(self, namespace: str) -> Exchange:
        settings = replace(self._base, namespace=namespace)
        return composition.bootstrap(settings, response_hook=self.requests, clock=lambda: NOW)

    def seed_contracts(self, exchange: Exchange) -> float:
        """The contracts, through the real-time service, then read back: all there, with the right administrator."""
        started = time.perf_counter()
        events = [contract(n) for n in CONTRACTS] + [contract(OTHER_ADMIN, administrator="ADM-02")]
        exchange.realtime.process(messages("contracts", events))
        stored = exchange.contracts.load([*CONTRACTS, OTHER_ADMIN], {}).contracts
        for number in (*CONTRACTS, OTHER_ADMIN):
            record = stored[number].record if number in stored else None
            wanted = "ADM-02" if number == OTHER_ADMIN else ADMINISTRATOR
            submission = record.submission if record else None
            if submission is None or submission.administrator != wanted:
                raise SystemExit(f"seeding: contract {number} was not accepted as one of {wanted}'s")
            if (submission.effective != EFFECTIVE or submission.term_months != TERM_MONTHS
                    or submission.term_miles != TERM_MILES or submission.vehicle.odometer != SALE_ODOMETER):
                raise SystemExit(f"seeding: contract {number}'s coverage is not the one the rows are made for")
        return time.perf_counter() - started

    def partner_container(self, exchange: Exchange) -> ContainerClient:
        container = self._blobs.get_container_client(f"{exchange.settings.namespace}partner-{PARTNER}")
        with contextlib.suppress(ResourceExistsError):
            container.create_container()
        return container

    def upload(self, exchange: Exchange, work: Workload, off_by: int = 0) -> float:
        started = time.perf_counter()
        container = self.partner_container(exchange)
        with work.data_path.open("rb") as data:
            container.upload_blob(NAME, data, length=work.data_bytes, overwrite=True, max_concurrency=2,
                                  content_settings=ContentSettings(content_type="text/csv"))
        container.upload_blob(NAME + ".manifest.json", json.dumps(work.manifest(off_by)).encode(), overwrite=True)
        return time.perf_counter() - started

    # ------------------------------------------------------------------ the two paths

    @contextlib.contextmanager
    def _measured(self, step: Step) -> Iterator[float]:
        with harness.measure(step, self._azurite.pid) as started:
            self.requests.reset(started)
            yield started
        step.table_requests, step.blob_requests = self.requests.table, self.requests.blob
        step.block_times = [t - started for t in self.requests.blocks]
        step.events = self.requests.events
        self.requests.reset(time.perf_counter())  # what verification asks for is not the step's

    def real(self, exchange: Exchange, work: Workload) -> Step:
        step = Step("real", work.rows)
        intake = exchange.claims  # built before the clock starts: partner configuration, table clients
        with self._measured(step):
            outcomes = intake.scan(PARTNER)
        _check_outcome(outcomes, work)
        step.bytes = self.verify_stored(exchange, work)
        return step

    def service(self, exchange: Exchange, work: Workload) -> Step:
        """The same service on the same bytes and contracts, with storage that answers instantly: what parsing,
        checking and deciding every row costs in this process, with no request at all."""
        step = Step("service", work.rows)
        container = self.partner_container(exchange)
        data = container.get_blob_client(NAME).download_blob().readall()
        manifest = container.get_blob_client(NAME + ".manifest.json").download_blob().readall()
        contracts = MemoryContractStore()
        contracts.records.update(exchange.contracts.load([*CONTRACTS, OTHER_ADMIN], {}).contracts)
        files = MemoryPartnerFiles()
        files.put(PARTNER, NAME, data)
        files.put(PARTNER, NAME + ".manifest.json", manifest)
        inbox, registry, journal = MemoryClaimsInbox(files), MemoryClaimsRegistry(), SinkJournal()
        intake = ClaimsIntake(exchange.partners, inbox, registry, MemoryClaimsProgress(), contracts, journal,
                              exchange.settings.zone, clock=lambda: NOW)
        with self._measured(step):
            outcomes = intake.scan(PARTNER)
        _check_outcome(outcomes, work)
        del data
        answer = files.read(PARTNER, results_name(NAME))
        if (hashlib.sha256(answer).hexdigest(), len(answer)) != (work.results_sha256, work.results_bytes):
            raise SystemExit("service: its results differ from the offline rendering")
        if journal.facts != work.accepted or len(registry.claims) != work.accepted:
            raise SystemExit(f"service: {journal.facts} facts, {len(registry.claims)} claims; "
                             f"expected {work.accepted}")
        step.bytes = len(answer)
        return step

    def real_profiled(self, exchange: Exchange, work: Workload, top: int = 30) -> tuple[str, list[tuple[str, float]]]:
        intake = exchange.claims
        profiler = cProfile.Profile()
        outcomes = profiler.runcall(intake.scan, PARTNER)
        _check_outcome(outcomes, work)
        self.verify_stored(exchange, work)
        stats = pstats.Stats(profiler)
        out = io.StringIO()
        printed = pstats.Stats(profiler, stream=out)
        printed.sort_stats("tottime").print_stats(top)
        printed.sort_stats("cumulative").print_stats(top)
        text = out.getvalue().replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")
        return text, _breakdown(stats)

    def control(self, exchange: Exchange, work: Workload) -> Step:
        """The real scan of a file whose manifest claims one row too many: the whole measure pass (download, sha256,
        every row read for the count and total), then the file is refused and nothing of it applied."""
        step = Step("control", work.rows)
        intake = exchange.claims
        with self._measured(step):
            outcomes = intake.scan(PARTNER)
        refused = len(outcomes) == 1 and outcomes[0].status is FileStatus.REJECTED
        if not refused or "record_count" not in outcomes[0].note:
            raise SystemExit(f"control: expected the file REJECTED for its record_count, got {outcomes}")
        container = self.partner_container(exchange)
        answer = container.get_blob_client(results_name(NAME)).download_blob().readall()
        if answer != (RESULTS_HEADER + "0,,REJECTED,FILE_CONTROL_MISMATCH\n").encode():
            raise SystemExit(f"control: unexpected results file {answer[:200]!r}")
        tables = self._tables
        if any(True for _ in tables.get_table_client(exchange.settings.claims_table).list_entities()):
            raise SystemExit("control: a refused file left claims in the registry")
        self.requests.reset(time.perf_counter())
        step.bytes = len(answer)
        return step

    def floor(self, exchange: Exchange, work: Workload, name: str) -> Step:
        """The data file's bytes as one stream; the results' bytes staged as blocks of the real blocks' sizes as soon
        as the reading has 'produced' them (results bytes * data bytes read / data size), then committed."""
        step = Step("floor", work.rows)
        source = BlobClaimsInbox(self._floor_source, exchange.settings.namespace)  # the real path's reading
        blob = self._floor.get_blob_client(name)
        if len(self._payload) < max(work.block_sizes):
            self._payload = bytes(range(256)) * (max(work.block_sizes) // 256 + 1)
        payload = memoryview(self._payload)
        sizes, size = work.block_sizes, work.data_bytes
        with self._measured(step):
            read = staged = produced = 0
            blocks: list[BlobBlock] = []
            waiting = time.perf_counter()
            for chunk in source.chunks(PARTNER, NAME, source.version(PARTNER, NAME) or ""):
                step.read_seconds += time.perf_counter() - waiting
                read += len(chunk)
                while staged < len(sizes) and produced + sizes[staged] <= work.results_bytes * read // size:
                    produced += harness.stage_block(blob, blocks, payload[: sizes[staged]])
                    staged += 1
                waiting = time.perf_counter()
            for block_size in sizes[staged:]:
                produced += harness.stage_block(blob, blocks, payload[:block_size])
            blob.commit_block_list(blocks, content_settings=ContentSettings(content_type="text/csv; charset=utf-8"))
        stored = blob.get_blob_properties().size
        if read != work.data_bytes or stored != work.results_bytes:
            raise SystemExit(f"floor: read {read} bytes ({work.data_bytes} expected), staged {stored} "
                             f"({work.results_bytes} expected)")
        step.bytes = stored
        return step

    def prepare_writes(self, exchange: Exchange, work: Workload) -> FloorWork:
        """The service once more in memory (untimed), keeping its accepted claims and journal entities."""
        container = self.partner_container(exchange)
        files = MemoryPartnerFiles()
        for name in (NAME, NAME + ".manifest.json"):
            files.put(PARTNER, name, container.get_blob_client(name).download_blob().readall())
        contracts = MemoryContractStore()
        contracts.records.update(exchange.contracts.load([*CONTRACTS, OTHER_ADMIN], {}).contracts)
        registry, journal = MemoryClaimsRegistry(), PackingJournal(exchange.settings.journal_shards)
        intake = ClaimsIntake(exchange.partners, MemoryClaimsInbox(files), registry, MemoryClaimsProgress(), contracts,
                              journal, exchange.settings.zone, clock=lambda: NOW)
        _check_outcome(intake.scan(PARTNER), work)
        claims = {claim.origin.row: claim for claim in registry.claims.values()}
        if len(claims) != work.accepted or len(journal.chunks) != len(work.block_sizes):
            raise SystemExit(f"writes floor: {len(claims)} claims in {len(journal.chunks)} chunks prepared, "
                             f"expected {work.accepted} in {len(work.block_sizes)}")
        return FloorWork(claims, journal.chunks)

    def writes_floor(self, exchange: Exchange, work: Workload, prepared: FloorWork, name: str) -> Step:
        """The writes CLAIMS-INBOUND requires, as directly as the SDKs allow, on fresh tables: the data file read as
        one stream and parsed with `csv`; per chunk of CHUNK_ROWS rows, each accepted row's registry entity
        (`azure.claim_entity`) queued in its partition and sent in full 100-entity transactions across chunks, the
        chunk's journal entities upserted as the Table journal stores them, and the chunk's results block staged;
        then the rest of the registry sent and the block list committed. No rules, no decisions, no look-ups."""
        step = Step("writes", work.rows)
        source = BlobClaimsInbox(self._floor_source, exchange.settings.namespace)
        suffix = f"{len(self._write_tables)}"
        registry = self._counted_tables.create_table(f"{exchange.settings.namespace}floorclaims{suffix}")
        journal = self._counted_tables.create_table(f"{exchange.settings.namespace}floorjournal{suffix}")
        self._write_tables.append((registry, journal))
        blob = self._floor.get_blob_client(name)
        if len(self._payload) < max(work.block_sizes):
            self._payload = bytes(range(256)) * (max(work.block_sizes) // 256 + 1)
        payload = memoryview(self._payload)
        with self._measured(step):
            queued: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
            blocks: list[BlobBlock] = []
            row = chunk = entities = 0
            stream = _Stream(source.chunks(PARTNER, NAME, source.version(PARTNER, NAME) or ""))
            text = io.TextIOWrapper(io.BufferedReader(stream), encoding="utf-8", newline="")
            rows = csv.reader(text)
            next(rows)  # the header
            for _cells in rows:
                row += 1
                claim = prepared.claims.get(row)
                if claim is not None:
                    entity = claim_entity(ADMINISTRATOR, claim)
                    group = queued[entity["PartitionKey"]]
                    group.append(("create", entity))
                    if len(group) == TRANSACTION_LIMIT:
                        registry.submit_transaction(group)
                        entities += len(group)
                        group.clear()
                if row % CHUNK_ROWS == 0 or row == work.rows:
                    for pack in prepared.packs[chunk]:
                        journal.upsert_entity(pack, mode=UpdateMode.REPLACE)
                    harness.stage_block(blob, blocks, payload[: work.block_sizes[chunk]])
                    chunk += 1
            for group in queued.values():
                if group:
                    registry.submit_transaction(group)
                    entities += len(group)
            blob.commit_block_list(blocks, content_settings=ContentSettings(content_type="text/csv; charset=utf-8"))
        if row != work.rows or entities != work.accepted or chunk != len(work.block_sizes):
            raise SystemExit(f"writes floor: {row} rows, {entities} registry entities, {chunk} chunks; expected "
                             f"{work.rows}, {work.accepted}, {len(work.block_sizes)}")
        step.bytes = blob.get_blob_properties().size
        return step

    # ------------------------------------------------------------------ verification

    def verify_stored(self, exchange: Exchange, work: Workload) -> int:
        """The results blob and its manifest, the journal's claim facts and the registry; the blob's size."""
        started = time.perf_counter()
        try:
            return self._verify_stored(exchange, work)
        finally:
            self.verify_seconds = time.perf_counter() - started

    def _verify_stored(self, exchange: Exchange, work: Workload) -> int:
        problems: list[str] = []
        container = self.partner_container(exchange)
        name = results_name(NAME)
        digest, size, lines = hashlib.sha256(), 0, 0
        for chunk in container.get_blob_client(name).download_blob().chunks():
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
        if (digest.hexdigest(), size) != (work.results_sha256, work.results_bytes) or lines != work.rows + 1:
            problems.append(f"results blob ({size} bytes, {lines} lines) differs from the offline rendering "
                            f"({work.results_bytes} bytes, {work.rows + 1} lines)")
        manifest = json.loads(container.get_blob_client(name + ".manifest.json").download_blob().readall())
        if manifest["record_count"] != work.rows or manifest["counts"] != work.counts:
            problems.append(f"results manifest: record_count {manifest['record_count']}, counts {manifest['counts']}; "
                            f"expected {work.rows}, {work.counts}")
        if (manifest["sha256"], manifest["bytes"]) != (digest.hexdigest(), size):
            problems.append("results manifest: sha256/bytes are not the blob's")
        if manifest["source_sha256"] != work.data_sha256:
            problems.append("results manifest: source_sha256 is not the data file's")
        tables = self._tables
        day = NOW.astimezone(exchange.settings.zone).date()
        facts, sample = 0, None
        for fact in exchange.journal.read(day):  # as every reader of the journal sees it: packs unpacked
            if fact.kind is FactKind.CLAIM_SUBMITTED:
                facts += 1
                sample = sample or fact
        self.fact_data_bytes = len(json.dumps(sample.data, ensure_ascii=False).encode()) if sample else 0
        journal = tables.get_table_client(exchange.settings.journal_table)
        self.journal_entities, self.journal_bytes = 0, 0
        for entity in journal.query_entities(date_filter(day)):  # every shard partition of the date
            self.journal_entities += 1
            self.journal_bytes += sum(len(v) for k, v in entity.items() if k.startswith("pack_") and k != PACK_COUNT)
        registry = tables.get_table_client(exchange.settings.claims_table)
        claims = sum(1 for partition in registry_partitions()  # per partition: Azurite sorts what a query matches
                     for _ in registry.query_entities(f"PartitionKey eq '{partition}'", select=["RowKey"]))
        if facts != work.accepted or claims != work.accepted:
            problems.append(f"{facts} CLAIM_SUBMITTED facts and {claims} registry claims, expected {work.accepted}")
        if problems:
            raise SystemExit("real: " + "; ".join(problems))
        return size


class _Stream(io.RawIOBase):
    """A stream of chunks as a binary file, for io.TextIOWrapper and csv."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._left = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._left:
            self._left = next(self._chunks, b"")
        size = min(len(buffer), len(self._left))
        buffer[:size], self._left = self._left[:size], self._left[size:]
        return size


def _check_outcome(outcomes: Sequence[FileOutcome], work: Workload) -> None:
    if len(outcomes) != 1 or outcomes[0].status is not FileStatus.DONE or outcomes[0].counts != work.counts:
        raise SystemExit(f"real: expected one file DONE with counts {work.counts}, got {outcomes}")


# Where the real path's time goes, from the profile: (label, file suffix, function name). Cumulative times overlap
# (the registry, contracts and journal calls are inside _rows); the table says which.
PARTS = (
    ("measure (pass 1: hash + count + total)", "service_layer/claims/measure.py", "measure"),
    ("ClaimsIntake._rows (pass 2: everything per chunk)", "service_layer/claims/service.py", "_rows"),
    ("  TableContractStore.load (contract look-ups)", "adapters/kernel/contract_store.py", "load"),
    ("  TableClaimsRegistry.load (earlier claims)", "adapters/claims/azure.py", "load"),
    ("  TableClaimsRegistry.add (inserts)", "adapters/claims/azure.py", "add"),
    ("  TableJournal.append_rendered (facts, packs)", "adapters/kernel/journal_table.py", "append_rendered"),
    ("  BlobClaimsInbox.stage_results (block + create_container)", "adapters/claims/azure.py", "stage_results"),
    ("  TableClaimsProgress.put (checkpoint)", "adapters/claims/azure.py", "put"),
    ("  ClaimsReader._rows (parse rows; pass 1 and 2)", "domain/claims/claims_file.py", "_rows"),
    ("  decide_claim (rules)", "domain/claims/decisions.py", "decide_claim"),
    ("  rendered_claim_facts (journal facts rendered)", "service_layer/claims/facts.py", "rendered_claim_facts"),
    ("ClaimsIntake._finish (commit, re-read results, manifest)", "service_layer/claims/service.py", "_finish"),
    ("azure-core: building transaction bodies", "azure/core/pipeline/_base.py", "_prepare_multipart"),
    ("azure-core: parsing transaction responses (email parser)", "azure/core/utils/_pipeline_transport_rest_shared.py",
     "_parts_helper"),
    ("azure-data-tables: entity serialization", "azure/data/tables/_serialize.py", "_add_entity_properties"),
    ("journal_table.fact_entity (fact → entity, json.dumps)", "adapters/kernel/journal_table.py", "fact_entity"),
    ("socket recv_into (waiting for Azurite)", "~", "<method 'recv_into' of '_socket.socket' objects>"),
)


def _breakdown(stats: pstats.Stats) -> list[tuple[str, float]]:
    table: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    found: list[tuple[str, float]] = []
    for label, suffix, function in PARTS:
        seconds = 0.0
        for (filename, _line, name), (_cc, _nc, tottime, cumtime, _callers) in table.items():
            if name == function and filename.endswith(suffix):
                seconds += tottime if suffix == "~" else cumtime
        found.append((label, seconds))
    return found


# --------------------------------------------------------------------------------------------- running


@dataclass
class Run:
    sizes: list[SizeResult] = field(default_factory=list)
    seconds: float = 0.0
    memory_source: str = ""
    warm_seconds: float = 0.0
    profile_rows: int = 0
    profile_seconds: float = 0.0
    profile: str | None = None
    breakdown: list[tuple[str, float]] = field(default_factory=list)
    control: Step | None = None  # the full-size measure pass (manifest off by one)
    control_floors: list[Step] = field(default_factory=list)
    control_data_bytes: int = 0
    fact_data_bytes: int = 0
    journal_entities: int = 0
    journal_bytes: int = 0
    accepted: int = 0
    loads: list[tuple[float, float, float]] = field(default_factory=list)


def run(args: argparse.Namespace, folder: Path) -> Run:
    outcome = Run()
    outcome.loads.append(os.getloadavg())
    started = time.perf_counter()
    with Azurite(ROOT, in_memory=True) as azurite:
        bench = Bench(azurite, load_settings({}))
        say(f"warming up on {args.warmup_rows:,} rows (namespace bcwarm) ...")
        warm = time.perf_counter()
        work = build_workload(args.warmup_rows, folder)
        exchange = bench.exchange("bcwarm")
        bench.seed_contracts(exchange)
        bench.upload(exchange, work)
        outcome.memory_source = bench.real(exchange, work).memory_source
        bench.floor(exchange, work, "warm.csv")
        outcome.warm_seconds = time.perf_counter() - warm
        for size in args.sizes:
            say(f"{size:,} rows: building the file and its expected results ...")
            work = build_workload(size, folder)
            exchange = bench.exchange(f"bc{size}")
            seeding = bench.seed_contracts(exchange)
            upload = bench.upload(exchange, work)
            work.data_path.unlink()
            say(f"  {work.data_bytes / MIB:.1f} MiB uploaded in {upload:.1f} s; measuring ...")
            result = SizeResult(size, work, seeding, upload)
            prepared = bench.prepare_writes(exchange, work)
            for path in ("floor", "writes", "real", "writes", "floor", "service"):
                done = len(result.steps.get(path, []))
                step = (bench.real(exchange, work) if path == "real" else bench.service(exchange, work)
                        if path == "service"
                        else bench.writes_floor(exchange, work, prepared, f"writes-{size}-{done}.csv")
                        if path == "writes"
                        else bench.floor(exchange, work, f"floor-{size}-{done}.csv"))
                result.steps.setdefault(path, []).append(step)
                say(f"  {size:,} rows, {path:5}: {step.seconds:7.2f} s, {step.rate:8,.0f} rows/s, "
                    f"{step.table_requests} table / {step.blob_requests} blob requests, "
                    f"RSS +{step.growth_mib:.1f} MiB (peak {step.rss_peak_kib / 1024:.0f} MiB)")
            result.verify_seconds = bench.verify_seconds
            outcome.fact_data_bytes = bench.fact_data_bytes
            outcome.journal_entities, outcome.journal_bytes = bench.journal_entities, bench.journal_bytes
            outcome.accepted = work.accepted
            outcome.sizes.append(result)
        if args.control_rows:
            rows = args.control_rows
            say(f"{rows:,} rows, manifest off by one (namespace bcctl{rows}): building, uploading ...")
            work = build_workload(rows, folder)
            exchange = bench.exchange(f"bcctl{rows}")
            bench.seed_contracts(exchange)
            bench.upload(exchange, work, off_by=1)
            work.data_path.unlink()
            outcome.control_data_bytes = work.data_bytes
            for path in ("floor", "control", "floor"):
                if path == "control":
                    outcome.control = step = bench.control(exchange, work)
                else:
                    step = bench.floor(exchange, work, f"floor-ctl-{len(outcome.control_floors)}.csv")
                    outcome.control_floors.append(step)
                say(f"  {rows:,} rows, {path:7}: {step.seconds:7.2f} s, {step.rate:8,.0f} rows/s, "
                    f"RSS +{step.growth_mib:.1f} MiB (peak {step.rss_peak_kib / 1024:.0f} MiB)")
        if args.profile:
            rows = args.profile_rows or args.sizes[-1]
            say(f"one more real run of {rows:,} rows under cProfile (namespace bcprof{rows}) ...")
            work = build_workload(rows, folder)
            exchange = bench.exchange(f"bcprof{rows}")
            bench.seed_contracts(exchange)
            bench.upload(exchange, work)
            profiled = time.perf_counter()
            outcome.profile, outcome.breakdown = bench.real_profiled(exchange, work)
            outcome.profile_rows, outcome.profile_seconds = rows, time.perf_counter() - profiled
    outcome.seconds = time.perf_counter() - started
    outcome.loads.append(os.getloadavg())
    return outcome


# --------------------------------------------------------------------------------------------- report


def render(outcome: Run, args: argparse.Namespace, argv: Sequence[str]) -> str:
    first = outcome.sizes[0].workload
    refused = sum(v for k, v in first.kinds.items() if k != "good")
    kinds = ", ".join(f"{v:,} {k}" for k, v in sorted(first.kinds.items()) if k != "good")
    lines = [
        "# Inbound claims: one claims file answered vs the I/O floor, on Azurite",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {harness.machine()}",
        f"- code: {harness.code_version()}",
        "- load average (1, 5, 15 min) at the start and the end of the run: "
        + "; ".join(" ".join(f"{x:.2f}" for x in load) for load in outcome.loads),
        "- (writes floor) the writes CLAIMS-INBOUND requires, as directly as the SDKs allow, on fresh tables: the data "
        "file read as one stream and parsed with `csv`; each accepted row's registry entity (`claim_entity`, the "
        "adapter's own) queued in its partition and sent in full 100-entity transactions across chunks; per chunk "
        "the journal entities the Table journal stores (its own `append_run`, made offline from the service's run "
        "in memory) upserted and the results block staged; then the block list committed. It ran before and after "
        "the real path (fresh tables each time); its time is their mean",
        "- whole run (Azurite start, warm-up, seeding, uploads, all steps, verification"
        + (", profile" if outcome.profile else "") + f"): {outcome.seconds / 60:.1f} min",
        f"- workload: partner {PARTNER} (administrator {ADMINISTRATOR}), one file of "
        f"{' then '.join(f'{r.rows:,}' for r in outcome.sizes)} rows, each size in a storage namespace of its own "
        f"(fresh tables and containers); {len(CONTRACTS)} ADM-01 contracts and 1 ADM-02 contract seeded through "
        "`exchange.realtime.process`; unique claim numbers spread over the ADM-01 contracts, failure dates and "
        f"odometers inside coverage; {refused / first.rows:.1%} of rows refused, one kind each every {PERIOD} rows "
        f"(at {first.rows:,}: {kinds}); {first.data_bytes / first.rows:.0f} bytes per row; chunks of "
        f"{CHUNK_ROWS} rows (claims_intake.CHUNK_ROWS)",
        "- (floor) reads the data file once as a stream (the inbox's own `BlobClaimsInbox.chunks`: 4 MiB ranged reads) "
        "and stages the results file's bytes as blocks of the real blocks' sizes, interleaved, then commits; it ran "
        "before and after the real path, the floor time is their mean. (real) is `ClaimsIntake.scan` on the object "
        "`exchange.claims` returns (built just before the clock starts); the real path reads the data file twice "
        "by design (the manifest is checked against sha256, count and total before any row is applied)",
        "- verified for every real run: one file DONE; results blob = the offline rendering of what every row was "
        "made to be, byte for byte (sha256, size, N + 1 lines); results manifest record_count = N, counts = the "
        "expected, sha256/bytes = the blob's, source_sha256 = the data file's; one CLAIM_SUBMITTED journal fact and "
        "one registry claim per accepted row. For the service step: the same results bytes (sha256), one fact and one "
        "registry claim per accepted row. For every floor: all data bytes read, blob size = the real results'",
        f"- memory: resident set of this process, {outcome.memory_source}; 'growth' = peak during the step − RSS at "
        "its start (after gc.collect() and malloc_trim(0)); the ≤ 200 MiB target is judged on the growth",
        "- requests: every HTTP response the SDK clients of the step received (raw_response_hook); an entity-group "
        "transaction is one request",
        "",
        "| rows | path | s | rows/s | data MiB | results bytes | client CPU s | Azurite CPU s | Table req. "
        "| Table req./row | Blob req. | RSS start MiB | RSS peak MiB | RSS growth MiB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in outcome.sizes:
        for path in PATHS:
            for s in result.steps[path]:
                azurite = f"{s.azurite_cpu:.1f}" if s.azurite_cpu is not None else "n/a"
                lines.append(
                    f"| {result.rows:,} | {LABELS[path]} | {s.seconds:.2f} | {s.rate:,.0f} "
                    f"| {result.workload.data_bytes / MIB:.1f} | {s.bytes:,} | {s.client_cpu:.1f} | {azurite} "
                    f"| {s.table_requests:,} | {s.table_requests / s.rows:.3f} | {s.blob_requests:,} "
                    f"| {s.rss_start_kib / 1024:.0f} | {s.rss_peak_kib / 1024:.0f} | {s.growth_mib:.1f} |"
                )
    lines += ["", "| measure | value | target | met |", "|---|---:|---:|:---:|"]
    for result in outcome.sizes:
        real, floor = result.real(), result.seconds("floor")
        ratio = real.seconds / floor
        writes = result.seconds("writes")
        lines += [
            f"| {result.rows:,} rows: rows/s, real / writes floor | {real.rate:,.0f} / {result.rows / writes:,.0f} "
            "| — | — |",
            f"| {result.rows:,} rows: real rate / writes floor rate | {writes / real.seconds:.2f}× "
            f"| ≥ {WRITES_RATIO}× | {harness.met(writes / real.seconds >= WRITES_RATIO)} |",
            f"| {result.rows:,} rows: rows/s, real / floor | {real.rate:,.0f} / {result.rows / floor:,.0f} | — | — |",
            f"| {result.rows:,} rows: real / floor time (the old target, set against a floor that does no work per "
            f"row; replaced by the writes floor in issue 15) | {ratio:.1f}× | (≤ {TIME_RATIO}×) | — |",
            f"| {result.rows:,} rows: real RSS growth | {real.growth_mib:.1f} MiB | ≤ {MEMORY_MIB:.0f} MiB "
            f"| {harness.met(real.growth_mib <= MEMORY_MIB)} |",
            f"| {result.rows:,} rows: Table requests per row, real | {real.table_requests / result.rows:.3f} | — | — |",
            f"| {result.rows:,} rows: service (no storage) / floor time | {result.seconds('service') / floor:.1f}× "
            "| — | — |",
            f"| {result.rows:,} rows: client CPU per row, real / floor | {real.client_cpu / result.rows * 1e6:.0f} / "
            f"{statistics.mean(s.client_cpu for s in result.steps['floor']) / result.rows * 1e6:.0f} µs | — | — |",
        ]
    if len(outcome.sizes) > 1:
        growths = [r.real().growth_mib for r in outcome.sizes]
        spread = max(growths) - min(growths)
        lines.append(f"| real RSS growth from {outcome.sizes[0].rows:,} to {outcome.sizes[-1].rows:,} rows (flat) "
                     f"| {' → '.join(f'{g:.1f}' for g in growths)} MiB (spread {spread:.1f}) "
                     f"| spread ≤ {FLAT_MIB:.0f} MiB | {harness.met(spread <= FLAT_MIB)} |")
    control = outcome.control
    if control is not None:
        floor = statistics.mean(f.seconds for f in outcome.control_floors)
        lines += [
            f"| {control.rows:,} rows, measure pass only: real / floor time | {control.seconds / floor:.1f}× | — "
            "| — |",
            f"| {control.rows:,} rows, measure pass only: RSS growth | {control.growth_mib:.1f} MiB "
            f"| ≤ {MEMORY_MIB:.0f} MiB | {harness.met(control.growth_mib <= MEMORY_MIB)} |",
        ]
    largest = outcome.sizes[-1]
    lines.append(f"| rows in the largest file run | {largest.rows:,} | {TARGET_ROWS:,} "
                 f"| {harness.met(largest.rows >= TARGET_ROWS)} |")
    lines += ["", "The real path as the file goes on (from the time each results block was staged):", "",
              "| rows | measure pass + first chunk s | rows/s per tenth of the file's chunks | last chunk ms |",
              "|---:|---:|---|---:|"]
    for result in outcome.sizes:
        times = result.real().block_times
        if not times:
            continue
        last = (times[-1] - times[-2]) * 1000 if len(times) > 1 else float("nan")
        tenths = ", ".join(f"{r:,.0f}" for r in result.tenths()) or "—"
        lines.append(f"| {result.rows:,} | {times[0]:.2f} | {tenths} | {last:.0f} |")
    if control is not None:
        lines += ["", f"Full size, pass 1 only: {control.rows:,} rows ({outcome.control_data_bytes / MIB:.0f} MiB), "
                  "uploaded with a manifest that claims one row more. The real scan downloads, hashes and reads "
                  "every row for the count and total, then refuses the file (verified: REJECTED for record_count, "
                  "results file = the one FILE_CONTROL_MISMATCH line, registry empty). Floor as above, N rows' "
                  "results staged:", "",
                  "| path | s | rows/s | client CPU s | Table req. | Blob req. | RSS start MiB | RSS peak MiB "
                  "| RSS growth MiB |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for label, st in [("(real) scan, manifest off by one", control)] + [
                (LABELS["floor"], f) for f in outcome.control_floors]:
            lines.append(f"| {label} | {st.seconds:.2f} | {st.rate:,.0f} | {st.client_cpu:.1f} | {st.table_requests} "
                         f"| {st.blob_requests} | {st.rss_start_kib / 1024:.0f} | {st.rss_peak_kib / 1024:.0f} "
                         f"| {st.growth_mib:.1f} |")
    for result in outcome.sizes:
        lines += ["", *_kinds_table(result)]
    floor_reads = ", ".join(f"{r.rows:,} rows: {statistics.mean(s.read_seconds for s in r.steps['floor']):.2f} s"
                            for r in outcome.sizes)
    lines += ["", f"Floor, time spent waiting for the data file's bytes (one read; the real path reads twice): "
              f"{floor_reads}.", ""]
    lines += ["Not measured: contract seeding "
              + ", ".join(f"{r.seeding_seconds:.1f} s" for r in outcome.sizes) + "; upload "
              + ", ".join(f"{r.upload_seconds:.1f} s" for r in outcome.sizes) + "; verification "
              + ", ".join(f"{r.verify_seconds:.1f} s" for r in outcome.sizes)
              + f"; warm-up ({args.warmup_rows:,} rows, both paths) {outcome.warm_seconds:.1f} s.", "",
              f"Each accepted row's CLAIM_SUBMITTED fact carries {outcome.fact_data_bytes:,} bytes of `data` as JSON "
              "(the claim, the file name and a full copy of the contract's submission), against "
              f"{outcome.sizes[-1].workload.data_bytes / outcome.sizes[-1].rows:.0f} bytes for the row in the file; "
              f"the journal stores the {outcome.sizes[-1].rows:,}-row file's {outcome.accepted:,} facts as "
              f"{outcome.journal_entities:,} packs of {outcome.journal_bytes / MIB:.1f} MiB compressed in all "
              f"({outcome.journal_bytes / max(outcome.accepted, 1):.0f} bytes per fact)."]
    lines += ["", *_scale_notes(outcome)]
    if outcome.profile is not None:
        lines += ["", f"Real path under cProfile, {outcome.profile_rows:,} rows (one extra run in a namespace of its "
                  f"own, not in the timings; {outcome.profile_seconds:.0f} s with the profiler's overhead). Cumulative "
                  "seconds; indented lines are inside `_rows` (ClaimsReader._rows also runs in `measure`):", "",
                  "| part | s | share |", "|---|---:|---:|"]
        total = outcome.profile_seconds
        lines += [f"| {label} | {s:.1f} | {s / total:.0%} |" for label, s in outcome.breakdown]
        lines += ["", "```", outcome.profile.strip(), "```"]
    lines += harness.command_block(harness.command("bench.claims", argv))
    return "\n".join(lines) + "\n"


def _kinds_table(result: SizeResult) -> list[str]:
    """The real path's requests by kind: how many, the wall time charged to them, and how their cost changed from
    the first to the last tenth of the file's chunks."""
    step = result.real()
    chunks = max(len(step.block_times), 1)
    count: dict[str, int] = {}
    seconds: dict[str, float] = {}
    tenth: dict[tuple[str, int], list[float]] = {}
    for kind, gap, blocks in step.events:
        count[kind] = count.get(kind, 0) + 1
        seconds[kind] = seconds.get(kind, 0.0) + gap
        tenth.setdefault((kind, min(blocks * 10 // chunks, 9)), []).append(gap)
    lines = [f"Real path, {result.rows:,} rows, by request kind (each response is charged the wall time since the "
             "previous one: its round trip plus the client work that led to it, e.g. deciding a chunk's rows falls "
             "on the registry add, building its facts on the journal append):", "",
             "| request kind | requests | per row | s | share of the step | ms per request, first → last tenth |",
             "|---|---:|---:|---:|---:|---|"]
    for kind, label in KIND_LABELS.items():
        if kind not in count:
            continue
        first, last = tenth.get((kind, 0)), tenth.get((kind, 9))
        trend = (f"{statistics.mean(first) * 1000:.1f} → {statistics.mean(last) * 1000:.1f}" if first and last
                 else "—")
        lines.append(f"| {label} | {count[kind]:,} | {count[kind] / result.rows:.4f} | {seconds[kind]:.1f} "
                     f"| {seconds[kind] / step.seconds:.0%} | {trend} |")
    rest = step.seconds - sum(seconds.values())
    lines.append(f"| after the last response (return) | — | — | {rest:.1f} | {rest / step.seconds:.0%} | — |")
    return lines


def _scale_notes(outcome: Run) -> list[str]:
    """Why the real path is where it is, and what 1,000,000 rows would take when the run stopped short of them."""
    last = outcome.sizes[-1]
    times = last.real().block_times
    real, service = last.real(), last.steps["service"][0]
    floor_rate = last.rows / last.seconds("floor")
    lines = [
        f"Where the real path's time goes at {last.rows:,} rows: {real.client_cpu:.0f} s of this process's CPU "
        f"({real.client_cpu / last.rows * 1e6:.0f} µs per row) against {real.azurite_cpu or 0:.0f} s of Azurite's. "
        f"The (service) step is the same `ClaimsIntake` with storage that answers instantly (the memory adapters: "
        f"bytes, contracts and registry in memory, and a journal that counts): {service.seconds:.1f} s, "
        f"{service.client_cpu / last.rows * 1e6:.0f} µs of CPU per row for reading, checking, deciding and "
        f"answering each row and building its fact, {last.seconds('service') / last.seconds('floor'):.0f}× the "
        f"floor ({floor_rate:,.0f} rows/s, which does no work per row at all; the old target against it, "
        f"≤ {TIME_RATIO}×, was replaced by the writes floor). Against the writes floor, which sends the same "
        "registry entities in full transactions, the real path's extra CPU is its partly filled transactions "
        f"(about {CHUNK_ROWS / REGISTRY_PARTITIONS:.0f} entities each: a chunk's claims over "
        f"{REGISTRY_PARTITIONS} partitions, against 100), its "
        "checkpoints, its second pass over the file and the service's per-row work; most of both sides' CPU is the "
        "Table SDK building and parsing entity-group transactions. A chunk's journal facts are one packed entity "
        f"({outcome.journal_entities:,} entities for {outcome.accepted:,} facts here). The (service) step's memory "
        "is mostly its registry, a dict of every accepted claim: not the product's, and not judged.",
    ]
    if last.rows >= TARGET_ROWS or len(times) < 20:
        return lines
    chunks = [b - a for a, b in itertools.pairwise(times)]  # seconds per chunk, chunk 2 onwards
    xs = list(range(1, len(chunks) + 1))
    slope, intercept = statistics.linear_regression(xs, chunks)
    target = range(1, TARGET_ROWS // CHUNK_ROWS)
    linear = times[0] + sum(max(intercept + slope * k, 0.0) for k in target)
    lines += [
        "",
        f"**Not run at {TARGET_ROWS:,} rows.** At {last.rows:,} rows the real path took {real.seconds:.0f} s "
        f"({real.rate:,.0f} rows/s); its time per chunk of {CHUNK_ROWS} rows went from {chunks[0] * 1000:.0f} ms "
        f"to {chunks[-1] * 1000:.0f} ms (linear fit: {intercept * 1000:.0f} ms + {slope * 1000:.2f} ms per chunk "
        f"done), which extrapolates to ~{linear / 60:,.0f} min for {TARGET_ROWS:,} rows.",
    ]
    return lines


# --------------------------------------------------------------------------------------------- main


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.claims",
                                     description="Inbound claims file (ClaimsIntake.scan) vs its I/O floor on Azurite.")
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the claims file (default 100000)")
    parser.add_argument("--sizes", type=harness.sizes,
                        help="several file sizes in one run, ascending, e.g. 10000,100000; "
                        "each in a fresh storage namespace")
    parser.add_argument("--warmup-rows", type=int, default=2_000, help="rows of the warm-up file (default 2000)")
    parser.add_argument("--control-rows", type=int, default=TARGET_ROWS, help="rows of a file whose manifest is off "
                        "by one: the real scan runs its whole measure pass, then refuses it (default 1000000; 0 "
                        "skips)")
    parser.add_argument("--profile", action="store_true", help="add a cProfile'd real run (not in the timings)")
    parser.add_argument("--profile-rows", type=int, default=0, help="rows of the profiled run (default: the largest "
                        "size)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="report file (default bench/results/claims.md)")
    args = parser.parse_args(argv)
    args.sizes = args.sizes or [args.rows]
    if sorted(set(args.sizes)) != args.sizes or not all(1_000 <= s <= 2_000_000 for s in args.sizes):
        parser.error("sizes must ascend, each from 1000 to 2000000")
    if not 1 <= args.warmup_rows <= 100_000 or args.profile_rows < 0 or not 0 <= args.control_rows <= 2_000_000:
        parser.error("need --warmup-rows from 1 to 100000, --profile-rows ≥ 0, --control-rows from 0 to 2000000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parse(argv)
    with tempfile.TemporaryDirectory(prefix="bench-claims-") as folder:
        outcome = run(args, Path(folder))
    report = render(outcome, args, argv)
    harness.publish(report, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
