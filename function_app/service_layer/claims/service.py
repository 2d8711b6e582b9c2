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

The registry is the arbiter of claim numbers: a chunk's accepted claims are inserted without asking first, and
only a chunk whose insert finds a number taken is decided again against what the registry holds. A chunk that met
numbers already in the registry (duplicates, or its own claims when redone after a crash) has the next chunk ask
first; a chunk that met none lets the next one insert straight away again.

A chunk's facts are positioned by the time of the checkpoint before it (stored, so the same on a retry), not by
when the file was taken up: partner feeds settle positions a quarter of an hour behind the clock, and the later
chunks of a long file must not fall behind a watermark that has already moved on.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from function_app import telemetry
from function_app.domain.claims import inbound as rules
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.kernel.partners import Partner, PartnerConfig
from function_app.domain.realtime.contracts import ContractRecord
from function_app.service_layer.claims.ports import (
    AcceptedClaim,
    BlobChanged,
    BlobTooLarge,
    ClaimsInbox,
    ClaimsProgress,
    ClaimsRegistry,
    FileProgress,
    FileStatus,
)
from function_app.service_layer.kernel.ports import ContractStore, Journal

CHUNK_ROWS = 2000
MAX_BLOB_NAME = 1024  # Azure Storage's limit (Azurite does not enforce it)
MANIFEST_SUFFIX = ".manifest.json"
RESULTS_PREFIX = "outbound/claims-results/"


@dataclass
class FileOutcome:
    partner: str
    name: str
    status: FileStatus
    results: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    note: str = ""
    reason: str = ""  # the whole-file reason code of a file refused (REJECTED), e.g. FILE_CHANGED


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
    ) -> None:
        self._config = config
        self._inbox = inbox
        self._registry = registry
        self._progress = progress
        self._contracts = contracts
        self._journal = journal
        self._zone = zone
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
            manifest = self._inbox.read_small(partner.id, name + MANIFEST_SUFFIX, rules.MAX_MANIFEST_BYTES)
        except BlobTooLarge:
            manifest = b"\0" * (rules.MAX_MANIFEST_BYTES + 1)  # parse_manifest refuses it for its size
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
        document = rules.parse_manifest(manifest)
        try:
            sha256, count, total, header_error = self._measure(partner.id, name, version)
        except BlobChanged:
            return FileOutcome(partner.id, name, FileStatus.WAITING,
                               note="replaced while it was checked: looked at again next")
        started = self._clock().isoformat()
        progress = FileProgress(partner.id, name, sha256, version=version, started_at=started,
                                checkpoint_at=started, chunk_rows=CHUNK_ROWS)
        if isinstance(document, str):
            progress.refusal, progress.problems = rules.ClaimReason.MANIFEST_INVALID, [document]
        elif header_error is not None:
            progress.refusal, progress.problems = rules.ClaimReason.SCHEMA_INVALID, [header_error]
        else:
            mismatches = rules.check_manifest(document, record_count=count, total_amount=total, sha256=sha256)
            if mismatches:
                progress.refusal, progress.problems = rules.ClaimReason.FILE_CONTROL_MISMATCH, mismatches
        registration = self._progress.register(progress, identity=not progress.refusal)
        if registration.duplicate_of is not None:
            progress.refusal = rules.ClaimReason.DUPLICATE_FILE
            earlier = registration.duplicate_of
            progress.problems = [f"the same bytes (sha256 {sha256}) were received before as {earlier}"]
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
            return self._refuse(partner, progress, etag)
        return self._rows(partner, progress, etag, pause)

    def _changed(self, progress: FileProgress) -> None:
        applied = f"rows 1 to {progress.next_row - 1} were answered from the checked bytes" if progress.next_row > 1 \
            else "no row was applied"
        progress.refusal = rules.ClaimReason.FILE_CHANGED
        progress.problems = [f"the data file was replaced after its manifest was checked; {applied}"]

    def _measure(self, partner: str, name: str, version: str) -> tuple[str, int, Decimal, str | None]:
        """The file's sha256, its data-row count and the sum of its totals, read as one stream of one version."""
        digest = hashlib.sha256()

        def hashed() -> Iterator[bytes]:
            for chunk in self._inbox.chunks(partner, name, version):
                digest.update(chunk)
                yield chunk

        reader = rules.ClaimsReader()
        try:
            for _ in reader.read(split_lines(hashed())):
                pass
        except rules.ClaimsFileError as error:
            digest = hashlib.sha256()
            for _ in hashed():
                pass  # the digest covers the whole file, read again from the start
            return digest.hexdigest(), -1, Decimal("-1"), error.message
        return digest.hexdigest(), reader.record_count, reader.total_amount, None

    def _refuse(self, partner: Partner, progress: FileProgress, etag: str | None) -> FileOutcome:
        """The file is answered with its refusal: alone (nothing applied), or after the rows answered so far from
        the checked bytes (FILE_CHANGED). The results' manifest says why."""
        writer = rules.ResultsWriter()
        name = results_name(progress.name)
        header = writer.header() if progress.blocks == 0 else b""
        self._inbox.stage_results(partner.id, name, progress.blocks, header + writer.file_line([progress.refusal]))
        progress.blocks += 1
        progress.status, progress.results = FileStatus.REJECTED, name
        progress.counts = {status: progress.counts.get(status, 0) for status in ("ACCEPTED", "DUPLICATE", "REJECTED")}
        extra: dict[str, Any] = {"file_rejected": progress.refusal, "problems": progress.problems}
        if progress.refusal == rules.ClaimReason.FILE_CHANGED:
            extra["rows_answered"] = progress.next_row - 1
        self._finish(partner, progress, extra)
        self._progress.put(progress, etag)
        return FileOutcome(partner.id, progress.name, FileStatus.REJECTED, name, progress.counts,
                           "; ".join(progress.problems), reason=progress.refusal)

    def _rows(
        self, partner: Partner, progress: FileProgress, etag: str | None, pause: Callable[[], bool] | None
    ) -> FileOutcome:
        rows = rules.ClaimsReader().read(split_lines(self._inbox.chunks(partner.id, progress.name, progress.version)))
        pending = (item for item in rows if item.row >= progress.next_row)
        look_up = progress.next_row > 1  # a resumed file may meet its own claims again: ask first
        while True:
            try:
                chunk = list(itertools.islice(pending, progress.chunk_rows or CHUNK_ROWS))
            except BlobChanged:  # replaced part-way: the rows answered so far stand, nothing new is read
                self._changed(progress)
                return self._refuse(partner, progress, etag)
            if not chunk:
                break
            block, look_up = self._chunk(partner, progress, chunk, look_up)
            self._inbox.stage_results(partner.id, results_name(progress.name), progress.blocks, block)
            progress.blocks += 1
            progress.next_row = chunk[-1].row + 1
            progress.checkpoint_at = self._clock().isoformat()
            etag = self._progress.put(progress, etag)
            if etag is None:
                return FileOutcome(partner.id, progress.name, FileStatus.BUSY, note="another worker moved this file on")
            if pause is not None and pause():
                note = f"paused after row {progress.next_row - 1}; the next run goes on from row {progress.next_row}"
                return FileOutcome(partner.id, progress.name, FileStatus.PAUSED, counts=dict(progress.counts),
                                   note=note)
        if progress.blocks == 0:  # a file with a header and no rows still gets its (empty) answer
            self._inbox.stage_results(partner.id, results_name(progress.name), 0, rules.ResultsWriter().header())
            progress.blocks = 1
        progress.status, progress.results = FileStatus.DONE, results_name(progress.name)
        self._finish(partner, progress, {})
        self._progress.put(progress, etag)
        return FileOutcome(partner.id, progress.name, FileStatus.DONE, progress.results, progress.counts)

    def _chunk(
        self, partner: Partner, progress: FileProgress, chunk: list[rules.ClaimRow | rules.RowProblem], look_up: bool
    ) -> tuple[bytes, bool]:
        """Decides a chunk's rows, records its accepted claims and facts; returns its results block and whether
        it met claim numbers already in the registry (then the next chunk asks first)."""
        claims = [item for item in chunk if isinstance(item, rules.ClaimRow)]
        contracts = self._contracts.load(sorted({c.contract_number for c in claims}), {}).contracts
        met = False
        for _attempt in range(4):
            lines, accepted, counts, known = self._decide(partner, progress, chunk, contracts, look_up)
            met = met or known
            if not self._registry.add(_administrator(partner), accepted):
                break
            look_up = met = True  # a claim number was taken before: decide again against the registry
        else:
            raise RuntimeError(f"claims of {progress.name} kept being taken by other files; retry the file")
        pairs = accepted_rows(accepted, claims)
        self._journal.append_run([self._fact(progress, claim, row, contracts) for claim, row in pairs])
        for status, count in counts.items():
            progress.counts[status] = progress.counts.get(status, 0) + count
        header = rules.ResultsWriter().header() if progress.blocks == 0 else b""
        return header + b"".join(lines), met

    def _decide(
        self, partner: Partner, progress: FileProgress, chunk: list[rules.ClaimRow | rules.RowProblem],
        contracts: dict[str, Any], look_up: bool,
    ) -> tuple[list[bytes], list[AcceptedClaim], dict[str, int], bool]:
        claims = [item for item in chunk if isinstance(item, rules.ClaimRow)]
        known = self._registry.load(_administrator(partner), (c.claim_number for c in claims)) if look_up else {}
        earlier = {n: rules.ClaimRecord(n, c.content_hash, c.origin) for n, c in known.items()}
        writer = rules.ResultsWriter()
        lines: list[bytes] = []
        accepted: list[AcceptedClaim] = []
        for item in chunk:
            if isinstance(item, rules.RowProblem):
                lines.append(writer.problem_line(item))
                continue
            here = rules.ClaimOrigin(progress.sha256, item.row)
            before = earlier.get(item.claim_number)
            stored = contracts.get(item.contract_number)
            record: ContractRecord | None = stored.record if stored is not None else None
            decision = rules.decide_claim(item, record, _administrator(partner), before,
                                          same_origin=before is not None and before.origin == here)
            if decision.status == "ACCEPTED":
                digest = rules.content_hash(item)
                accepted.append(AcceptedClaim(item.claim_number, digest, here, item.contract_number))
                earlier[item.claim_number] = rules.ClaimRecord(item.claim_number, digest, here)
            lines.append(writer.decision_line(item, decision))
        return lines, accepted, writer.counts, bool(known)

    def _fact(
        self, progress: FileProgress, claim: AcceptedClaim, row: rules.ClaimRow, contracts: dict[str, Any]
    ) -> JournalFact:
        """CLAIM_SUBMITTED, positioned by the chunk's stamp (the checkpoint before it), file and row: the same on a
        retry, and a range of positions no other writer shares (the journal may store the chunk's facts as one)."""
        decided = datetime.fromisoformat(progress.checkpoint_at or progress.started_at)
        record: ContractRecord = contracts[claim.contract_number].record
        submission = record.contract_json() or {}
        stamp = decided.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return JournalFact(
            business_date=decided.astimezone(self._zone).date(),
            position=f"{stamp}-claims-{progress.partner}-{progress.sha256[:16]}-{row.row:010d}",
            kind=FactKind.CLAIM_SUBMITTED,
            contract_number=claim.contract_number,
            revision=record.revision,
            dealer_code=record.dealer_code,
            product_type=submission.get("product", {}).get("type", ""),
            oem=submission.get("oem"),
            administrator=submission.get("administrator", ""),
            event_id=str(claim.origin),
            source=f"urn:partner:{progress.partner}",
            data={"contract": submission, "claim": row.to_json() | {"status": "SUBMITTED"},
                  "file": progress.name},
        )

    def _finish(self, partner: Partner, progress: FileProgress, extra: dict[str, Any]) -> None:
        name = results_name(progress.name)
        sha256, size = self._inbox.commit_results(partner.id, name, progress.blocks)
        manifest = {
            "partner": partner.id, "file": name, "source_file": progress.name, "source_sha256": progress.sha256,
            "record_count": sum(progress.counts.values()), "counts": dict(sorted(progress.counts.items())),
            "sha256": sha256, "bytes": size, "created_at": progress.started_at, **extra,
        }
        self._inbox.write_manifest(partner.id, name + ".manifest.json", manifest)
        telemetry.log.info("claims file %s answered: %s", progress.name, progress.counts,
                           extra={"fni.partner": partner.id, "fni.file": progress.name})


def accepted_rows(
    accepted: list[AcceptedClaim], rows: list[rules.ClaimRow]
) -> Iterator[tuple[AcceptedClaim, rules.ClaimRow]]:
    by_origin_row = {claim.origin.row: claim for claim in accepted}
    for row in rows:
        if row.row in by_origin_row:
            yield by_origin_row[row.row], row


def split_lines(chunks: Iterator[bytes], limit: int = rules.MAX_LINE_BYTES) -> Iterator[bytes]:
    """Lines of a stream of chunks, line ends kept for the reader to strip. A line longer than `limit` is cut
    to `limit + 1` bytes (the reader rejects it as too long) so that a hostile file cannot exhaust memory."""
    buffer = bytearray()
    overlong = False
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            if not overlong:
                buffer += chunk[start : end + 1]
            yield bytes(buffer[: limit + 1]) if len(buffer) > limit + 1 else bytes(buffer)
            buffer.clear()
            overlong = False
            start = end + 1
        if not overlong:
            buffer += chunk[start:]
            if len(buffer) > limit + 1:
                del buffer[limit + 1 :]
                overlong = True
    if buffer:
        yield bytes(buffer)


def _administrator(partner: Partner) -> str:
    if partner.administrator_code is None:
        raise ValueError(f"partner {partner.id} takes no claims files (no administrator_code)")
    return partner.administrator_code
