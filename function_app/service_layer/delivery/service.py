"""Partner delivery: each subscribed fact of the journal reaches each partner feed in exactly one file.

A file is first claimed (its name and the exact journal ranges it covers are written into the feed's state
under a version token), then written (data blob, then manifest), then completed (watermarks advanced and the
delivery recorded, in one write). A crash leaves the claim; the next run, by any worker, writes the very same
bytes again and completes it. Two workers handed the same job meet at the version token: one claim wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from function_app import telemetry
from function_app.domain.delivery.fields import FIELDS
from function_app.domain.delivery.formats import EXTENSIONS, FileWriter, writer_for
from function_app.domain.delivery.layout import layout_blob_name, layout_document
from function_app.domain.delivery.records import PiiLevel, record_maker
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.kernel.partners import Feed, Partner, PartnerConfig
from function_app.service_layer.delivery.ports import (
    DeliveredFile,
    DeliveryStateStore,
    FeedState,
    FileClaim,
    PartnerFileStore,
    Published,
)
from function_app.service_layer.kernel.ports import Journal

SCHEMA_VERSION = 1
Progress = Callable[[int], None]


@dataclass(frozen=True)
class DeliveryJob:
    """One queue message: build the next file of one partner feed for one business date."""

    partner: str
    feed: str
    business_date: date

    def to_json(self) -> dict[str, str]:
        return {"partner": self.partner, "feed": self.feed, "business_date": self.business_date.isoformat()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DeliveryJob:
        return cls(str(raw["partner"]), str(raw["feed"]), date.fromisoformat(str(raw["business_date"])))


@dataclass
class DeliveryResult:
    job: DeliveryJob
    files: list[DeliveredFile] = field(default_factory=list)
    note: str = ""
    held_back: int = 0  # subscribed facts decided within the settle window: they wait for the next file
    planned: list[FileClaim] = field(default_factory=list)  # a dry run's files, none written


class ResendRefused(Exception):
    """The journal no longer gives the delivered bytes: nothing is written, a person looks at why."""


@dataclass(frozen=True)
class ResendResult:
    file: DeliveredFile
    data: str  # WRITTEN (missing or different bytes replaced) or UNCHANGED (the very bytes were there)
    manifest: str


def blob_name(partner: str, feed: Feed, business_date: date, sequence: int) -> str:
    day = business_date
    base = f"{partner}_{feed.name}_{day:%Y%m%d}_{sequence:03d}.{EXTENSIONS[feed.format]}"
    return f"outbound/{feed.name}/{day:%Y}/{day:%m}/{day:%d}/{base}"


def decided_at_position(position: str) -> datetime:
    """A position begins with the UTC time its fact was decided (see `position_bound`)."""
    return datetime.strptime(position[:22], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)


def position_bound(moment: datetime) -> str:
    """The greatest position a fact decided at or before `moment` can have (positions start with the stamp)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "~"


class DeliveryService:
    def __init__(
        self,
        config: PartnerConfig,
        journal: Journal,
        files: PartnerFileStore,
        states: DeliveryStateStore,
        zone: ZoneInfo,
        *,
        settle: timedelta = timedelta(minutes=15),
        lookback_days: int = 7,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._config = config
        self._journal = journal
        self._files = files
        self._states = states
        self._zone = zone
        self._settle = settle
        self._lookback = lookback_days
        self._clock = clock
        self._layouts: set[tuple[str, str]] = set()  # feeds whose layout this instance has published or checked

    def due(self, mode: str, now: datetime) -> list[DeliveryJob]:
        """Daily feeds get yesterday's business date; micro-batch feeds today's."""
        today = now.astimezone(self._zone).date()
        day = today - timedelta(days=1) if mode == "daily" else today
        return [
            DeliveryJob(p.id, f.name, day) for p in self._config.partners for f in p.feeds if f.mode == mode
        ]

    def feeds(self, partner: str | None = None, feed: str | None = None) -> list[tuple[Partner, Feed]]:
        chosen = [(p, f) for p in self._config.partners for f in p.feeds]
        return [(p, f) for p, f in chosen if partner in (None, p.id) and feed in (None, f.name)]

    def deliver(
        self,
        job: DeliveryJob,
        *,
        cut_now: bool = False,
        progress: Progress | None = None,
        settle: timedelta | None = None,
        dry_run: bool = False,
    ) -> DeliveryResult:
        """Builds the next file of the job's feed, if one is due. `settle` overrides the margin left for facts
        still being written (zero is safe only when nothing else writes, as in the demo). A dry run plans the
        file and counts, and writes nothing."""
        if dry_run:
            return self._dry_run(job, cut_now, self._settle if settle is None else settle)
        partner, feed = self._feed(job)
        result = DeliveryResult(job, note=self._publish_layout(partner, feed))
        state, etag = self._states.read(partner.id, feed.name)
        if state.pending is not None:
            result.note += "completed a file an earlier run had started; "
            done = self._complete(partner, feed, state, etag, progress)
            if done is None:
                result.note += "another worker completed it"
                return result
            result.files.append(done)
            state, etag = self._states.read(partner.id, feed.name)
        now = self._clock()
        settle = self._settle if settle is None else settle
        result.held_back = self._held_back(job, feed, state, now, settle)
        claim = self._plan(job, feed, state, now, cut_now, settle)
        if claim is None:
            result.note += "nothing new to deliver" if not result.files else ""
            return result
        sequences = {**state.sequences, claim.business_date.isoformat(): claim.sequence}
        claimed = replace(state, pending=claim, sequences=sequences)
        token = self._states.write(partner.id, feed.name, claimed, etag)
        if token is None:
            result.note += "another worker claimed this feed first"
            return result
        done = self._complete(partner, feed, claimed, token, progress)
        if done is not None:
            result.files.append(done)
        return result

    def _dry_run(self, job: DeliveryJob, cut_now: bool, settle: timedelta) -> DeliveryResult:
        _, feed = self._feed(job)
        state, _ = self._states.read(job.partner, job.feed)
        now = self._clock()
        result = DeliveryResult(job, held_back=self._held_back(job, feed, state, now, settle))
        if state.pending is not None:
            result.planned.append(state.pending)
            result.note = "would complete a file an earlier run had started; "
            state = replace(state, pending=None, last_cut_at=state.pending.claimed_at,
                            watermarks={**state.watermarks, **{d: u for d, (_, u) in state.pending.ranges.items()}},
                            sequences={**state.sequences, state.pending.business_date.isoformat():
                                       state.pending.sequence})
        claim = self._plan(job, feed, state, now, cut_now, settle)
        if claim is not None:
            result.planned.append(claim)
        elif not result.planned:
            result.note += "nothing new to deliver"
        return result

    def resend(self, partner: str, name: str) -> ResendResult:
        """Rebuilds a delivered file from the journal ranges recorded for it, byte-identical (its recorded sha256),
        and its manifest; writes each only where the blob is missing or differs. KeyError: no such delivered file."""
        found = [f for f in self._states.files(partner) if f.blob_name == name]
        if not found:
            raise KeyError(f"no delivered file {name!r} for partner {partner!r}")
        delivered = found[-1]
        _, feed = self._feed(DeliveryJob(partner, delivered.feed, delivered.business_date))
        claim = FileClaim(delivered.business_date, delivered.sequence, name, delivered.ranges, delivered.created_at)
        writer = writer_for(feed.format, partner, feed.name, claim.business_date, claim.sequence, list(feed.fields))
        lineage: dict[str, list[str]] = {}
        data = b"".join(_chunks(writer, self._selected(feed, claim, lineage, None)))
        digest = hashlib.sha256(data).hexdigest()
        if digest != delivered.sha256 or len(data) != delivered.bytes:
            raise ResendRefused(f"{name}: the journal now gives {len(data)} bytes with sha256 {digest}, not the "
                                f"{delivered.bytes} bytes with sha256 {delivered.sha256} that were delivered; "
                                "nothing written (run `fnix reconcile` for its date)")
        data_outcome = "UNCHANGED"
        if self._existing(partner, name) != data:
            self._files.write_data(partner, name, [data])
            data_outcome = "WRITTEN"
        manifest = _manifest(feed, delivered, lineage)
        manifest_outcome = "UNCHANGED"
        if _document(self._existing(partner, name + ".manifest.json")) != manifest:
            self._files.write_manifest(partner, name + ".manifest.json", manifest)
            manifest_outcome = "WRITTEN"
        return ResendResult(delivered, data_outcome, manifest_outcome)

    def _existing(self, partner: str, name: str) -> bytes | None:
        try:
            return self._files.read(partner, name)
        except KeyError:
            return None

    def backlog(self, partner: str, feed: str, today: date) -> tuple[int, datetime | None]:
        """Read-only, for an operator's status: the feed's subscribed facts of the looked-at dates that no file holds
        yet, and when the oldest of them was decided."""

        _, chosen = self._feed(DeliveryJob(partner, feed, today))
        state, _ = self._states.read(partner, feed)
        waiting, oldest = 0, None
        for k in range(self._lookback, -1, -1):
            day = (today - timedelta(days=k)).isoformat()
            for fact in self._journal.read(date.fromisoformat(day), state.watermarks.get(day) or None):
                if _subscribed(chosen, fact):
                    waiting += 1
                    oldest = fact.position if oldest is None else min(oldest, fact.position)
        return waiting, None if oldest is None else decided_at_position(oldest)

    def planned_records(self, job: DeliveryJob, claim: FileClaim) -> int:
        """How many records a planned file would hold (read from the journal, nothing written)."""
        _, feed = self._feed(job)
        return sum(_subscribed(feed, fact) for fact in self._facts(claim.ranges))

    def _held_back(self, job: DeliveryJob, feed: Feed, state: FeedState, now: datetime, settle: timedelta) -> int:
        """Subscribed facts of the looked-at dates decided within the settle window, so not in this run's file."""
        bound = position_bound(now - settle)
        held = 0
        for k in range(self._lookback, -1, -1):
            day = job.business_date - timedelta(days=k)
            after = max(state.watermarks.get(day.isoformat(), ""), bound)
            held += sum(_subscribed(feed, fact) for fact in self._journal.read(day, after))
        return held

    def _publish_layout(self, partner: Partner, feed: Feed) -> str:
        """A fixed-width feed's layout.json, beside its files before the first of them; never over another."""
        if feed.format != "fixed" or (partner.id, feed.name) in self._layouts:
            return ""
        name = layout_blob_name(feed.name)
        document = layout_document(partner.id, feed.name, [FIELDS[field] for field in feed.fields])
        if self._files.publish(partner.id, name, document) is Published.DIFFERS:
            note = f"{name} differs from the feed's layout and was left as it is (a new layout needs a new feed name); "
            telemetry.log.warning("%s/%s: %s", partner.id, feed.name, note)
            return note
        self._layouts.add((partner.id, feed.name))
        return ""

    def _feed(self, job: DeliveryJob) -> tuple[Partner, Feed]:
        matches = self.feeds(job.partner, job.feed)
        if not matches:
            raise KeyError(f"no feed {job.feed!r} for partner {job.partner!r} in the partner configuration")
        return matches[0]

    def _plan(
        self, job: DeliveryJob, feed: Feed, state: FeedState, now: datetime, cut_now: bool, settle: timedelta
    ) -> FileClaim | None:
        bound = position_bound(now - settle)
        days = [job.business_date - timedelta(days=k) for k in range(self._lookback, -1, -1)]
        ranges = {d.isoformat(): (state.watermarks.get(d.isoformat(), ""), bound) for d in days}
        first_of_day = state.sequences.get(job.business_date.isoformat()) is None
        if feed.mode == "daily":
            if not first_of_day and not self._waiting(feed, ranges, 1):
                return None
        elif (not cut_now and not self._micro_due(feed, state, ranges, now)) or not self._waiting(feed, ranges, 1):
            return None
        sequence = state.sequences.get(job.business_date.isoformat(), 0) + 1
        name = blob_name(job.partner, feed, job.business_date, sequence)
        return FileClaim(job.business_date, sequence, name, ranges, now)

    def _micro_due(self, feed: Feed, state: FeedState, ranges: dict[str, tuple[str, str]], now: datetime) -> bool:
        """Often enough to meet the SLA, or early when enough records wait (the size trigger)."""
        if state.last_cut_at is None or now - state.last_cut_at >= feed.sla_timedelta / 2:
            return True
        return self._waiting(feed, ranges, feed.cut_at_records)

    def _waiting(self, feed: Feed, ranges: dict[str, tuple[str, str]], enough: int) -> bool:
        found = 0
        for fact in self._facts(ranges):
            found += _subscribed(feed, fact)
            if found >= enough:
                return True
        return False

    def _facts(self, ranges: dict[str, tuple[str, str]]) -> Iterator[JournalFact]:
        for day, (after, upto) in sorted(ranges.items()):
            for fact in self._journal.read(date.fromisoformat(day), after or None):
                if fact.position > upto:
                    break
                yield fact

    def _complete(
        self, partner: Partner, feed: Feed, state: FeedState, etag: str | None, progress: Progress | None
    ) -> DeliveredFile | None:
        claim = state.pending
        assert claim is not None
        writer = writer_for(feed.format, partner.id, feed.name, claim.business_date, claim.sequence, list(feed.fields))
        lineage: dict[str, list[str]] = {}
        chunks = _chunks(writer, self._selected(feed, claim, lineage, progress))
        written = self._files.write_data(partner.id, claim.blob_name, chunks)
        overflowed, where = writer.overflows
        if overflowed:
            telemetry.log.warning("%s: %d value(s) did not fit their fixed-width field, written as '*': %s",
                                  claim.blob_name, overflowed, "; ".join(where[:10]))
        delivered = DeliveredFile(
            partner=partner.id,
            feed=feed.name,
            business_date=claim.business_date,
            sequence=claim.sequence,
            blob_name=claim.blob_name,
            record_count=writer.record_count,
            bytes=written.bytes,
            sha256=written.sha256,
            control_totals=dict(writer.control_totals),
            created_at=claim.claimed_at,
            ranges=dict(claim.ranges),
        )
        self._files.write_manifest(partner.id, claim.blob_name + ".manifest.json", _manifest(feed, delivered, lineage))
        completed = replace(
            state,
            pending=None,
            watermarks={**state.watermarks, **{day: upto for day, (_, upto) in claim.ranges.items()}},
            last_cut_at=claim.claimed_at,
        )
        if self._states.write(partner.id, feed.name, completed, etag, delivered) is None:
            return None
        _observe_file(delivered, lineage)
        return delivered

    def _selected(
        self, feed: Feed, claim: FileClaim, lineage: dict[str, list[str]], progress: Progress | None
    ) -> Iterator[tuple[Any, ...]]:
        make = record_maker(list(feed.fields), PiiLevel(feed.pii))
        kinds = feed.fact_kinds
        for fact in self._facts(claim.ranges):
            if fact.kind.value not in kinds or not feed.filter.matches(fact):
                continue
            span = lineage.setdefault(fact.business_date.isoformat(), [fact.position, fact.position])
            span[1] = fact.position
            if progress is not None:
                progress(1)
            yield make(fact)


def _observe_file(delivered: DeliveredFile, lineage: dict[str, list[str]]) -> None:
    spans = sorted(lineage.values())
    attributes = {
        "fni.partner": delivered.partner, "fni.feed": delivered.feed, "fni.file": delivered.blob_name,
        "fni.business_date": delivered.business_date.isoformat(), "fni.records": delivered.record_count,
        "fni.first_position": spans[0][0] if spans else None, "fni.last_position": spans[-1][1] if spans else None,
        "fni.sha256": delivered.sha256,
    }
    with telemetry.span("fni.deliver_file", **attributes):
        labels = {"partner": delivered.partner, "feed": delivered.feed}
        telemetry.files_delivered.add(1, labels)
        telemetry.bytes_delivered.add(delivered.bytes, labels)
        telemetry.log.info("delivered %s (%d records)", delivered.blob_name, delivered.record_count,
                           extra={k: v for k, v in attributes.items() if v is not None})


def _document(data: bytes | None) -> Any:
    try:
        return None if data is None else json.loads(data)
    except ValueError:
        return None


def _subscribed(feed: Feed, fact: JournalFact) -> bool:
    return fact.kind.value in feed.fact_kinds and feed.filter.matches(fact)


def _chunks(writer: FileWriter, records: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    yield writer.header()
    yield from writer.rows(records)
    yield writer.trailer()


def _manifest(feed: Feed, delivered: DeliveredFile, lineage: dict[str, list[str]]) -> dict[str, Any]:
    spans = sorted(lineage.items())
    return {
        "partner": delivered.partner,
        "feed": delivered.feed,
        "business_date": delivered.business_date.isoformat(),
        "sequence": delivered.sequence,
        "file": delivered.blob_name,
        "format": feed.format,
        "record_count": delivered.record_count,
        "control_totals": delivered.control_totals,
        "sha256": delivered.sha256,
        "bytes": delivered.bytes,
        "created_at": delivered.created_at.isoformat(),
        "schema_version": SCHEMA_VERSION,
        "lineage": {
            "first_position": spans[0][1][0] if spans else None,
            "last_position": spans[-1][1][1] if spans else None,
            "by_business_date": {day: {"first": span[0], "last": span[1]} for day, span in spans},
        },
    }
