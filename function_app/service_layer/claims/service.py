"""Inbound claims files: each uploaded file is checked against its manifest, then every row is validated and
answered in a results file beside it; accepted claims become journal facts. Once per file, whatever happens.

A file is known by partner and name, and bound to the version (ETag) whose bytes were checked against the
manifest: rows are read from that version only, and a file replaced after its check (or while paused) is
refused from there (FILE_CHANGED). Its content (partner + sha256) is claimed in the same write that registers
it, so the same bytes under another name are a DUPLICATE_FILE. A manifest that is not at most 64 KiB of JSON
is MANIFEST_INVALID for that file alone. Rows are handled in chunks; after each chunk the accepted claims
(with their origin, file and row), their journal facts and the chunk's block of the results file are written,
then the checkpoint. A retry resumes at the checkpoint; a chunk redone after a crash finds its own claims in
the registry (same origin: accepted again) and writes the same facts and the same block, so the results file
and the journal come out the same as if nothing had happened.

A chunk's claims are inserted into the registry without asking first (see chunks.py). A chunk that met numbers
already in the registry (duplicates, or its own claims when redone after a crash) has the next chunk ask first; a
chunk that met none lets the next one insert straight away again.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from function_app import telemetry
from function_app.domain.claims.claims_file import ClaimsReader
from function_app.domain.claims.csv_lines import split_lines
from function_app.domain.claims.manifest import MAX_MANIFEST_BYTES, check_manifest, parse_manifest
from function_app.domain.claims.reasons import ClaimReason
from function_app.domain.claims.results import ResultsManifest, ResultsWriter
from function_app.domain.kernel.feedback import Status
from function_app.domain.kernel.partners import Partner, PartnerConfig
from function_app.service_layer.claims.chunks import ChunkAnswerer
from function_app.service_layer.claims.measure import measure
from function_app.service_layer.claims.ports import (
    BlobChanged,
    BlobTooLarge,
    ClaimsInbox,
    ClaimsProgress,
    ClaimsRegistry,
    FileProgress,
    FileStatus,
)
from function_app.service_layer.kernel.in_flight import InFlightWriters, register
from function_app.service_layer.kernel.ports import ContractStore, Journal

CHUNK_ROWS = 2000
MAX_BLOB_NAME = 1024  # Azure Storage's limit (Azurite does not enforce it)
MANIFEST_SUFFIX = ".manifest.json"
RESULTS_PREFIX = "outbound/claims-results/"
_COUNTED = tuple(status.value for status in (Status.ACCEPTED, Status.DUPLICATE, Status.REJECTED))  # all three


@dataclass
class FileOutcome:
    partner: str
    name: str
    status: FileStatus
    results: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # by status text
    note: str = ""
    reason: ClaimReason | None = None  # why a file was refused (REJECTED), e.g. FILE_CHANGED


def results_name(name: str) -> str:
    base = name.rsplit("/", 1)[-1].removesuffix(".csv")
    return f"{RESULTS_PREFIX}{base}.results.csv"


class ClaimsIntake:
    def __init__(
        self,
        config: PartnerConfig,
        inbox: ClaimsInbox,
        registry: ClaimsRegistry,
        progress: ClaimsProgress,
        contracts: ContractStore,
        journal: Journal,
        zone: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        in_flight: InFlightWriters | None = None,
    ) -> None:
        self._in_flight = in_flight  # a file being read is a writer in flight from its checkpoint's stamp on
        self._config = config
        self._inbox = inbox
        self._progress = progress
        self._chunks = ChunkAnswerer(registry, contracts, journal, zone)
        self._clock = clock

    def scan(
        self, partner_id: str | None = None, only: str | None = None, pause: Callable[[], bool] | None = None
    ) -> list[FileOutcome]:
        """Every claims partner's uploads (or one partner's, or one file's), oldest name first. `pause` is asked
        after each checkpoint; once it says yes, the file in hand is left PAUSED and the rest are not started."""
        partners = [p for p in self._config.partners if p.administrator_code and partner_id in (None, p.id)]
        if partner_id is not None and not partners:
            raise KeyError(f"partner {partner_id!r} takes no claims files (no administrator_code in the configuration)")
        outcomes = []
        for partner in partners:
            for name in self._inbox.data_files(partner.id):
                if only is None or only == name:
                    outcomes.append(self.process(partner, name, pause))
                    if outcomes[-1].status is FileStatus.PAUSED:
                        return outcomes
        return outcomes

    def process(self, partner: Partner, name: str, pause: Callable[[], bool] | None = None) -> FileOutcome:
        if len(results_name(name) + MANIFEST_SUFFIX) > MAX_BLOB_NAME or len(name + MANIFEST_SUFFIX) > MAX_BLOB_NAME:
            note = (f"the name is too long for its manifest and results (blob names are at most {MAX_BLOB_NAME} "
                    "characters): upload it under the spec's name")
            return FileOutcome(partner.id, name, FileStatus.IGNORED, note=note)
        progress, etag = self._progress.get(partner.id, name)
        if progress is not None:
            return self._resume(partner, progress, etag, pause)
        try:
            manifest = self._inbox.read_small(partner.id, name + MANIFEST_SUFFIX, MAX_MANIFEST_BYTES)
        except BlobTooLarge:
            manifest = b"\0" * (MAX_MANIFEST_BYTES + 1)  # parse_manifest refuses it for its size
        except BlobChanged:
            return FileOutcome(partner.id, name, FileStatus.WAITING, note="the manifest changed while it was read")
        if manifest is None:
            note = "no manifest yet: the file is processed once it is there"
            return FileOutcome(partner.id, name, FileStatus.WAITING, note=note)
        with telemetry.span("fni.claims_file", **{"fni.partner": partner.id, "fni.file": name}):
            return self._begin(partner, name, manifest, pause)

    def _begin(self, partner: Partner, name: str, manifest: bytes, pause: Callable[[], bool] | None) -> FileOutcome:
        """The file's first look: its bytes measured at one version and checked against the manifest, then the
        file registered (with its content's identity when it is to be applied) and either refused or read."""
        version = self._inbox.version(partner.id, name)
        if version is None:
            return FileOutcome(partner.id, name, FileStatus.WAITING, note="the data file is gone")
        document = parse_manifest(manifest)
        try:
            measured = measure(self._inbox, partner.id, name, version)
        except BlobChanged:
            return FileOutcome(partner.id, name, FileStatus.WAITING,
                               note="replaced while it was checked: looked at again next")
        started = self._clock().isoformat()
        progress = FileProgress(partner.id, name, measured.sha256, version=version, started_at=started,
                                checkpoint_at=started, chunk_rows=CHUNK_ROWS)
        if isinstance(document, str):
            progress.refusal, progress.problems = ClaimReason.MANIFEST_INVALID, [document]
        elif measured.header_error is not None:
            progress.refusal, progress.problems = ClaimReason.SCHEMA_INVALID, [measured.header_error]
        else:
            mismatches = check_manifest(document, record_count=measured.record_count,
                                        total_amount=measured.total_amount, sha256=measured.sha256)
            if mismatches:
                progress.refusal, progress.problems = ClaimReason.FILE_CONTROL_MISMATCH, mismatches
        registration = self._progress.register(progress, identity=not progress.refusal)
        if registration.duplicate_of is not None:
            progress.refusal = ClaimReason.DUPLICATE_FILE
            earlier = registration.duplicate_of
            progress.problems = [f"the same bytes (sha256 {measured.sha256}) were received before as {earlier}"]
            registration = self._progress.register(progress, identity=False)
        if registration.token is None:
            return FileOutcome(partner.id, name, FileStatus.BUSY, note="another worker started this file")
        return self._resume(partner, progress, registration.token, pause)

    def _resume(
        self, partner: Partner, progress: FileProgress, etag: str | None, pause: Callable[[], bool] | None
    ) -> FileOutcome:
        """A registered file: answered before, refused, or read on from its checkpoint if it is still the very
        version that was checked. Another version is never read: the file is refused from there (FILE_CHANGED)."""
        changed = self._inbox.version(partner.id, progress.name) != progress.version
        if progress.status in (FileStatus.DONE, FileStatus.REJECTED):
            note = ("processed before; the file has since been replaced, and the new bytes are not applied "
                    "(upload them under a new name)" if changed else "processed before")
            return FileOutcome(partner.id, progress.name, FileStatus.SKIPPED, progress.results, progress.counts, note,
                               reason=progress.refusal)
        if not progress.refusal and changed:
            self._changed(progress)
        if progress.refusal:
            return self._refuse(partner, progress, progress.refusal, etag)
        writer = f"claims-{partner.id}-{progress.sha256[:16]}"  # one per file: paused, it holds until resumed
        stamp = datetime.fromisoformat(progress.checkpoint_at or progress.started_at)  # the next chunk's
        register(self._in_flight, writer, self._clock, stamp)
        outcome = self._rows(partner, progress, etag, pause)
        if outcome.status in (FileStatus.DONE, FileStatus.REJECTED) and self._in_flight is not None:  # not BUSY
            self._in_flight.release(writer)
        return outcome

    def _changed(self, progress: FileProgress) -> None:
        applied = f"rows 1 to {progress.next_row - 1} were answered from the checked bytes" if progress.next_row > 1 \
            else "no row was applied"
        progress.refusal = ClaimReason.FILE_CHANGED
        progress.problems = [f"the data file was replaced after its manifest was checked; {applied}"]

    def _refuse(self, partner: Partner, progress: FileProgress, refusal: ClaimReason, etag: str | None) -> FileOutcome:
        """The file is answered with its refusal: alone (nothing applied), or after the rows answered so far from
        the checked bytes (FILE_CHANGED). The results' manifest says why."""
        writer = ResultsWriter()
        name = results_name(progress.name)
        header = writer.header() if progress.blocks == 0 else b""
        self._inbox.stage_results(partner.id, name, progress.blocks, header + writer.file_line([refusal]))
        progress.blocks += 1
        progress.status, progress.results = FileStatus.REJECTED, name
        progress.counts = {status: progress.counts.get(status, 0) for status in _COUNTED}
        self._finish(partner, progress)
        self._progress.put(progress, etag)
        return FileOutcome(partner.id, progress.name, FileStatus.REJECTED, name, progress.counts,
                           "; ".join(progress.problems), reason=refusal)

    def _rows(
        self, partner: Partner, progress: FileProgress, etag: str | None, pause: Callable[[], bool] | None
    ) -> FileOutcome:
        rows = ClaimsReader().read(split_lines(self._inbox.chunks(partner.id, progress.name, progress.version)))
        first = progress.next_row  # a resumed file goes on from its checkpoint (rows come in order)
        pending = itertools.dropwhile(lambda item: item.row < first, rows)
        look_up = progress.next_row > 1  # a resumed file may meet its own claims again: ask first
        while True:
            try:
                chunk = list(itertools.islice(pending, progress.chunk_rows or CHUNK_ROWS))
            except BlobChanged:  # replaced part-way: the rows answered so far stand, nothing new is read
                self._changed(progress)
                return self._refuse(partner, progress, ClaimReason.FILE_CHANGED, etag)
            if not chunk:
                break
            answer = self._chunks.answer(partner, progress, chunk, look_up)
            look_up = answer.met_registered
            self._inbox.stage_results(partner.id, results_name(progress.name), progress.blocks, answer.block)
            progress.blocks += 1
            progress.next_row = chunk[-1].row + 1
            progress.checkpoint_at = self._clock().isoformat()
            etag = self._progress.put(progress, etag)
            if etag is None:
                return FileOutcome(partner.id, progress.name, FileStatus.BUSY, note="another worker moved this file on")
            register(self._in_flight, f"claims-{partner.id}-{progress.sha256[:16]}", self._clock,
                     datetime.fromisoformat(progress.checkpoint_at))  # the next chunk's stamp, taken above
            if pause is not None and pause():
                note = f"paused after row {progress.next_row - 1}; the next run goes on from row {progress.next_row}"
                return FileOutcome(partner.id, progress.name, FileStatus.PAUSED, counts=dict(progress.counts),
                                   note=note)
        if progress.blocks == 0:  # a file with a header and no rows still gets its (empty) answer
            self._inbox.stage_results(partner.id, results_name(progress.name), 0, ResultsWriter().header())
            progress.blocks = 1
        progress.status, progress.results = FileStatus.DONE, results_name(progress.name)
        self._finish(partner, progress)
        self._progress.put(progress, etag)
        return FileOutcome(partner.id, progress.name, FileStatus.DONE, progress.results, progress.counts)

    def _finish(self, partner: Partner, progress: FileProgress) -> None:
        name = results_name(progress.name)
        sha256, size = self._inbox.commit_results(partner.id, name, progress.blocks)
        changed = progress.refusal is ClaimReason.FILE_CHANGED
        manifest = ResultsManifest(
            partner.id, name, progress.name, progress.sha256, dict(progress.counts), sha256, size, progress.started_at,
            file_rejected=progress.refusal, problems=tuple(progress.problems),
            rows_answered=progress.next_row - 1 if changed else None,
        )
        self._inbox.write_manifest(partner.id, name + MANIFEST_SUFFIX, manifest)
        telemetry.log.info("claims file %s answered: %s", progress.name, progress.counts,
                           extra={"fni.partner": partner.id, "fni.file": progress.name})
