"""Partner delivery: each subscribed fact of the journal reaches each partner feed in exactly one file.

A file is first claimed (its name and the exact journal ranges it covers are written into the feed's state
under a version token), then written (data blob, then manifest), then completed (watermarks advanced and the
delivery recorded, in one write). A crash leaves the claim; the next run, by any worker, writes the very same
bytes again and completes it. Two workers handed the same job meet at the version token: one claim wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from function_app import telemetry
from function_app.domain.delivery.fields import FIELDS
from function_app.domain.delivery.layout import layout_blob_name, layout_document
from function_app.domain.delivery.manifest import Span
from function_app.domain.kernel.feed_mode import FeedMode
from function_app.domain.kernel.partners import Feed, Partner, PartnerConfig
from function_app.service_layer.delivery.building import FileBuilder, Progress, manifest_of
from function_app.service_layer.delivery.feed_facts import FeedFacts
from function_app.service_layer.delivery.jobs import DeliveryJob, DeliveryResult, due_jobs, feed_of, feeds_of
from function_app.service_layer.delivery.planning import FilePlanner
from function_app.service_layer.delivery.ports import (
    BlobTaken,
    DeliveredFile,
    DeliveryStateStore,
    FeedState,
    FileClaim,
    PartnerFileStore,
    Published,
)
from function_app.service_layer.delivery.previews import DeliveryPreviews
from function_app.service_layer.delivery.resend import Resender, ResendResult
from function_app.service_layer.kernel.in_flight import InFlightWriters, delivery_bound
from function_app.service_layer.kernel.ports import Journal


class DeliveryService:
    def __init__(
        self,
        config: PartnerConfig,
        journal: Journal,
        files: PartnerFileStore,
        states: DeliveryStateStore,
        zone: ZoneInfo,
        *,
        settle: timedelta = timedelta(seconds=5),
        in_flight: InFlightWriters | None = None,
        lookback_days: int = 7,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._config = config
        self._files = files
        self._states = states
        self._zone = zone
        self._settle = settle  # the clock allowance below the delivery bound (see in_flight.delivery_bound)
        self._in_flight = in_flight
        self._clock = clock
        facts = FeedFacts(journal, lookback_days)
        self._facts = facts
        self._planner = FilePlanner(facts)
        self._builder = FileBuilder(facts)
        self._previews = DeliveryPreviews(config, states, facts, self._planner)
        self._resender = Resender(config, files, states, self._builder)
        self._layouts: set[tuple[str, str]] = set()  # feeds whose layout this instance has published or checked

    def due(self, mode: FeedMode, now: datetime) -> list[DeliveryJob]:
        return due_jobs(self._config, mode, now, self._zone)

    def feeds(self, partner: str | None = None, feed: str | None = None) -> list[tuple[Partner, Feed]]:
        return feeds_of(self._config, partner, feed)

    def resend(self, partner: str, name: str) -> ResendResult:
        return self._resender.resend(partner, name)

    def backlog(self, partner: str, feed: str, today: date) -> tuple[int, datetime | None]:
        return self._previews.backlog(partner, feed, today)

    def planned_records(self, job: DeliveryJob, claim: FileClaim) -> int:
        return self._previews.planned_records(job, claim)

    def deliver(
        self,
        job: DeliveryJob,
        *,
        cut_now: bool = False,
        progress: Progress | None = None,
        settle: timedelta | None = None,
        dry_run: bool = False,
    ) -> DeliveryResult:
        """Builds the next file of the job's feed, if one is due. It covers facts decided up to the oldest
        writer still in flight (or now), less `settle`: the allowance for other instances' clocks, by default
        DELIVERY_CLOCK_SKEW_SECONDS; an operator may pass more. A dry run plans the file and counts, and writes
        nothing."""
        settle = self._settle if settle is None else settle
        if dry_run:
            now = self._clock()
            return self._previews.dry_run(job, cut_now, delivery_bound(self._in_flight, now, settle), now)
        partner, feed = feed_of(self._config, job.partner, job.feed)
        result = DeliveryResult(job, note=self._publish_layout(partner, feed))
        try:
            return self._deliver(job, partner, feed, result, cut_now, progress, settle)
        except BlobTaken as taken:  # a file there that this claim did not write: stop, and tell operations
            telemetry.blobs_taken.add(1, {"partner": partner.id, "feed": feed.name})
            telemetry.log.error("%s/%s: delivery stopped, %s already holds other bytes; nothing was overwritten "
                                "(reconciliation names the blob; remove it once understood, then deliver again)",
                                partner.id, feed.name, taken)
            result.note += f"stopped: {taken} already holds other bytes, left as they are"
            return result

    def _deliver(
        self, job: DeliveryJob, partner: Partner, feed: Feed, result: DeliveryResult, cut_now: bool,
        progress: Progress | None, settle: timedelta,
    ) -> DeliveryResult:
        state, etag = self._states.read(partner.id, feed.name)
        if state.pending is not None:
            result.note += "completed a file an earlier run had started; "
            done = self._complete(partner, feed, state, etag, progress)
            if done is None:
                result.note += "another worker completed it"
                return result
            result.files.append(done)
            state, etag = self._states.read(partner.id, feed.name)
        now = self._clock()  # read before the writers in flight are: see delivery_bound
        upto = delivery_bound(self._in_flight, now, settle)
        result.held_back = self._previews.held_back(job, feed, state, upto)
        claim = self._planner.plan(job.partner, feed, job.business_date, state, now, cut_now, upto)
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

    def _complete(
        self, partner: Partner, feed: Feed, state: FeedState, etag: str | None, progress: Progress | None
    ) -> DeliveredFile | None:
        """Writes the claimed file (data, then manifest) and records it with the state that covers it."""
        claim = state.pending
        assert claim is not None
        build = self._builder.build(partner.id, feed, claim, progress)
        written = self._files.write_data(partner.id, claim.blob_name, build.chunks, create=True)
        writer = build.writer
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
        manifest = manifest_of(feed, delivered, build)
        self._files.write_manifest(partner.id, claim.blob_name + ".manifest.json", manifest, create=True)
        if self._states.write(partner.id, feed.name, state.completed(build.chain.ends), etag, delivered) is None:
            return None
        _observe_file(delivered, build.lineage)
        return delivered


def _observe_file(delivered: DeliveredFile, lineage: dict[str, Span]) -> None:
    spans = sorted((span.first, span.last) for span in lineage.values())
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
