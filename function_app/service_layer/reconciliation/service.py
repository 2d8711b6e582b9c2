"""Reconciliation of one business date: the journal, the partner files and the source of record agree, or the
report names each break; breaks are kept, and resolved when a later run no longer finds them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from function_app import telemetry
from function_app.domain.claims.origin import ClaimRecord
from function_app.domain.kernel.catalogue import Catalogue
from function_app.domain.kernel.feed_mode import FeedMode
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.kernel.partners import Feed, Partner, PartnerConfig
from function_app.domain.kernel.state_rules import NO_STATE_RULES, StateRules
from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.reconciliation.delivered_files import DeliveredFileView
from function_app.domain.reconciliation.delivery_records import FileFigures, record_differences
from function_app.domain.reconciliation.fact_back_office import claims_named
from function_app.domain.reconciliation.fact_records import compare_facts
from function_app.domain.reconciliation.feed_comparison import compare_feed
from function_app.domain.reconciliation.file_contents import first_difference
from function_app.domain.reconciliation.journal_chain import QuotedChain, chain_breaks, quoted_chain
from function_app.domain.reconciliation.journal_facts import decided_at
from function_app.domain.reconciliation.manifests import Manifest
from function_app.domain.reconciliation.model import Break, BreakKind, FeedReconciliation, ReconciliationReport
from function_app.domain.reconciliation.refunds_overdue import overdue_breaks
from function_app.domain.reconciliation.runs import distinct, resolve
from function_app.domain.reconciliation.source_of_record import compare_source_of_record
from function_app.service_layer.claims.ports import ClaimsProgress, ClaimsRegistry
from function_app.service_layer.delivery.ports import DeliveredFile, DeliveryStateStore, PartnerFileStore
from function_app.service_layer.kernel.in_flight import WRITER_LIFETIME
from function_app.service_layer.kernel.ports import ContractStore, Journal
from function_app.service_layer.kernel.seals import SealStore
from function_app.service_layer.reconciliation.outbound import OutboundInventory
from function_app.service_layer.reconciliation.ports import BreakStore
from function_app.service_layer.reconciliation.rendering import FileRenderer, RenderedFile

SOURCE_OF_RECORD_GRACE = timedelta(hours=24)
LOAD_CHUNK = 100
UTC_ZONE = ZoneInfo("UTC")  # the business time zone when none is given (bootstrap gives BUSINESS_TIMEZONE)


class ReconciliationService:
    def __init__(
        self,
        config: PartnerConfig,
        journal: Journal,
        contracts: ContractStore,
        deliveries: DeliveryStateStore,
        files: PartnerFileStore,
        breaks: BreakStore,
        catalogue: Catalogue,
        *,
        clock_skew: timedelta,
        micro_period: timedelta = timedelta(minutes=1),
        nightly_period: timedelta = timedelta(days=1),
        claims: ClaimsProgress | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        seals: SealStore | None = None,
        registry: ClaimsRegistry | None = None,
        state_rules: StateRules = NO_STATE_RULES,
        zone: ZoneInfo = UTC_ZONE,
    ) -> None:
        self._config = config
        self._journal = journal
        self._contracts = contracts
        self._deliveries = deliveries
        self._files = files
        self._breaks = breaks
        self._catalogue = catalogue
        self._state_rules = state_rules  # a refund is checked against the one due under the same rules
        self._clock_skew = clock_skew
        self._periods = {FeedMode.MICRO: micro_period, FeedMode.DAILY: nightly_period}  # a file waits for its timer
        self._clock = clock
        self._seals = seals
        self._registry = registry  # the claims accepted: what a CLAIM_SUBMITTED fact is checked against
        self._zone = zone  # the business time zone: today's date there says which refunds are overdue
        self._days: dict[str, list[JournalFact]] = {}  # journal dates read in this run
        self._renderer = FileRenderer(journal, self._day)
        self._outbound = OutboundInventory(deliveries, files, claims, self._renderer.claimed)
        self._rendered: dict[str, RenderedFile] = {}  # this run's files of its date, rendered from the journal
        self._manifests: dict[tuple[str, str], bytes | None] = {}  # read once a run: the file check, then the chain's
        self.pending: dict[str, int] = {}  # per "<partner>/<feed>": facts of the last run's date not delivered yet
        # and still within their SLA, so neither a break nor delivered (the operator's view says so)

    def run(self, business_date: date) -> ReconciliationReport:
        now = self._clock()
        self._days, self._rendered, self._manifests = {}, {}, {}
        self.pending = {}
        with telemetry.span("fni.reconcile", **{"fni.business_date": business_date.isoformat()}):
            facts = self._day(business_date.isoformat())
            unaccounted = [b for p in self._config.partners for b in self._outbound.breaks(p, business_date)]
            feeds = tuple(
                self._with(self._feed(p, f, business_date, facts, now, unaccounted), unaccounted)
                for p in self._config.partners for f in p.feeds
            )
            outbound = tuple(b for b in unaccounted if b.scope not in {f"{f.partner}/{f.feed}" for f in feeds})
            decided = [f for f in facts if f.kind in (FactKind.CONTRACT_ACCEPTED, FactKind.CONTRACT_CANCELLED)]
            records = self._records({f.contract_number for f in facts})  # every fact is checked against its record
            accepted = [(f, records[f.contract_number]) for f in decided if f.contract_number in records]
            source = compare_source_of_record(
                business_date=business_date, accepted=accepted, now=now, grace=SOURCE_OF_RECORD_GRACE,
                catalogue=self._catalogue, state_rules=self._state_rules,
            ) + compare_facts(business_date=business_date, facts=facts, records=records, claims=self._claims(facts))
            chain = tuple(self._journal_chain(business_date))
            found = [b for feed in feeds for b in feed.breaks] + list(source) + list(outbound) + list(chain)
            resolved = resolve(self._breaks.open_breaks(business_date), found)
            self._breaks.record(business_date, found, resolved, now)
            overdue, settled = self._refunds_overdue(now)
            for item in [*found, *overdue]:
                telemetry.reconciliation_breaks.add(1, {"kind": item.kind.value, "scope": item.scope})
        return ReconciliationReport(
            business_date, now.isoformat(), feeds, source, len({f.contract_number for f in facts}),
            resolved + settled, outbound, chain, overdue,
        )

    def _refunds_overdue(self, now: datetime) -> tuple[tuple[Break, ...], tuple[Break, ...]]:
        """Every refund still owed, whatever its cancellation's date, as of today's business date: the breaks found,
        and those of earlier runs resolved (paid since, on time or late)."""
        overdue = overdue_breaks(self._contracts.refunds_owed(), now.astimezone(self._zone).date())
        settled = resolve(self._breaks.open_standing(), overdue)
        self._breaks.record_standing(overdue, settled, now)
        return overdue, settled

    def _feed(
        self, partner: Partner, feed: Feed, business_date: date, facts: Sequence[JournalFact], now: datetime,
        unaccounted: Sequence[Break],
    ) -> FeedReconciliation:
        day = business_date.isoformat()
        subscribed = [f for f in facts if _subscribed(feed, f)]
        delivered = [
            d for d in self._deliveries.files(partner.id, feed.name)
            if d.business_date == business_date or any(d.covers(day, f.position) for f in subscribed)
        ]
        views = [self._view(partner.id, feed, d, day, subscribed, business_date) for d in delivered]
        covered = {f.position for view in views for f in view.expected_facts}
        # behind the feed's watermark with no record covering them: a file without its record accounts for them (a
        # break of its own), else no file holds them (MISSING); either way they are not waiting for delivery
        watermark = self._deliveries.read(partner.id, feed.name)[0].watermarks.get(day, "")
        behind = {f.position for f in subscribed if f.position not in covered and f.position <= watermark}
        scope = f"{partner.id}/{feed.name}"
        orphaned = any(b.scope == scope and b.kind is BreakKind.DELIVERY_RECORD_MISMATCH for b in unaccounted)
        slack = self._periods[feed.mode]
        late_after = feed.sla_timedelta + slack
        why = f"its SLA {feed.sla} plus {slack}, the longest wait for the {feed.mode.value} timer"
        waiting = [f for f in subscribed if f.position not in covered and f.position not in behind]
        self.pending[scope] = sum(1 for f in waiting if now - decided_at(f) <= late_after)
        compared = compare_feed(
            partner=partner.id, feed=feed, business_date=business_date,
            facts=[f for f in subscribed if f.position in covered or (f.position in behind and not orphaned)],
            undelivered=waiting, files=views, now=now, late_after=late_after, late_why=why,
        )
        return replace(compared, breaks=distinct([*compared.breaks, *self._file_breaks(scope, delivered,
                                                                                        business_date)]))

    def _file_breaks(self, scope: str, delivered: Sequence[DeliveredFile], business_date: date) -> Iterable[Break]:
        """Each file of the date byte for byte against its rendering, and its delivery record against it."""
        for record in delivered:
            rendered = self._rendered.get(record.blob_name)
            if rendered is None:
                continue
            data = self._read(record.partner, record.blob_name)
            how = None if data is None else first_difference(rendered.data, data, rendered.manifest["format"])
            if how is not None:
                detail = f"{record.blob_name} is not what its journal facts render to: {how}"
                yield Break(BreakKind.CONTENT_MISMATCH, business_date, scope, record.blob_name, None, detail)
            kept = FileFigures(record.sha256, record.bytes, record.record_count, record.control_totals)
            differences = record_differences(kept, rendered.figures)
            if differences:
                detail = f"the delivery record of {record.blob_name} is not the file: {'; '.join(differences)}"
                yield Break(BreakKind.DELIVERY_RECORD_MISMATCH, business_date, scope, record.blob_name, None, detail)

    @staticmethod
    def _with(feed: FeedReconciliation, unaccounted: Sequence[Break]) -> FeedReconciliation:
        """The feed with the blobs of its folder that the exchange did not write."""
        own = [b for b in unaccounted if b.scope == f"{feed.partner}/{feed.feed}"]
        return replace(feed, breaks=distinct([*feed.breaks, *own])) if own else feed

    def _view(
        self, partner: str, feed: Feed, delivered: DeliveredFile, day: str, subscribed: Sequence[JournalFact],
        business_date: date,
    ) -> DeliveredFileView:
        """The file, and what it should hold: this date's facts in its ranges, and those of the other dates."""
        others = tuple(
            f for other in sorted(delivered.ranges) if other != day
            for f in self._day(other) if delivered.covers(other, f.position) and _subscribed(feed, f)
        )
        recorded = None
        if delivered.business_date == business_date:  # files of other dates are compared on their own date
            rendered = self._rendered[delivered.blob_name] = self._renderer.render(feed, delivered)
            recorded = rendered.manifest
        return DeliveredFileView(
            name=delivered.blob_name,
            data=self._read(partner, delivered.blob_name),
            manifest=_manifest(self._manifest(partner, delivered.blob_name), recorded),
            expected_facts=tuple(f for f in subscribed if delivered.covers(day, f.position)),
            other_facts=others,
        )

    # ---- the journal's chain against its seal and the journal_chain of the date's manifests --------------------------

    def _journal_chain(self, business_date: date) -> list[Break]:
        seal = self._seals.get(business_date) if self._seals is not None else None
        quoted = [q for p in self._config.partners for f in p.feeds for q in self._quoted(p.id, f, business_date)]
        return chain_breaks(business_date, self._day(business_date.isoformat()), seal, quoted,
                           self._clock_skew + WRITER_LIFETIME)

    def _quoted(self, partner: str, feed: Feed, business_date: date) -> Iterable[QuotedChain]:
        day = business_date.isoformat()
        for delivered in self._deliveries.files(partner, feed.name):
            if delivered.business_date == business_date:
                name = delivered.blob_name
                quoted = quoted_chain(f"{partner}:{name}", self._manifest(partner, name), day,
                                      delivered.ranges.get(day, ("", ""))[1])
                if quoted is not None:
                    yield quoted

    def _day(self, day: str) -> list[JournalFact]:
        if day not in self._days:
            self._days[day] = list(self._journal.read(date.fromisoformat(day)))
        return self._days[day]

    def _manifest(self, partner: str, data_file: str) -> bytes | None:
        key = (partner, data_file)
        if key not in self._manifests:
            self._manifests[key] = self._read(partner, data_file + ".manifest.json")
        return self._manifests[key]

    def _read(self, partner: str, name: str) -> bytes | None:
        try:
            return self._files.read(partner, name)
        except KeyError:
            return None

    def _claims(self, facts: Sequence[JournalFact]) -> dict[tuple[str, str], ClaimRecord] | None:
        if self._registry is None:
            return None
        return {(administrator, number): ClaimRecord(number, claim.content_hash, claim.origin)
                for administrator, numbers in claims_named(facts).items()
                for number, claim in self._registry.load(administrator, numbers).items()}

    def _records(self, numbers: Iterable[str]) -> dict[str, ContractRecord]:
        ordered = sorted(numbers)
        found: dict[str, ContractRecord] = {}
        for start in range(0, len(ordered), LOAD_CHUNK):
            snapshot = self._contracts.load(ordered[start : start + LOAD_CHUNK], {})
            found.update({number: stored.record for number, stored in snapshot.contracts.items()})
        return found


def _subscribed(feed: Feed, fact: JournalFact) -> bool:
    return fact.kind.value in feed.fact_kinds and feed.filter.matches(fact)


def _manifest(data: bytes | None, recorded: Mapping[str, object] | None) -> Manifest | None:
    """The manifest blob read at the storage edge, compared with the recorded one when there is one; None when it
    is gone or not a JSON object."""
    if data is None:
        return None
    try:
        document = json.loads(data)
    except ValueError:
        return None
    return Manifest.from_json(document, recorded) if isinstance(document, dict) else None
