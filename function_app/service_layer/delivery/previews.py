"""What an operator may look at without writing anything: a dry run's files, a feed's backlog, held-back facts."""

from __future__ import annotations

from datetime import date, datetime

from function_app.domain.kernel.partners import Feed, PartnerConfig
from function_app.service_layer.delivery.feed_facts import FeedFacts, position_bound
from function_app.service_layer.delivery.jobs import DeliveryJob, DeliveryResult, feed_of
from function_app.service_layer.delivery.planning import FilePlanner
from function_app.service_layer.delivery.ports import DeliveryStateStore, FeedState, FileClaim


class DeliveryPreviews:
    def __init__(self, config: PartnerConfig, states: DeliveryStateStore, facts: FeedFacts, planner: FilePlanner):
        self._config = config
        self._states = states
        self._facts = facts
        self._planner = planner

    def dry_run(self, job: DeliveryJob, cut_now: bool, upto: datetime, now: datetime) -> DeliveryResult:
        """The files a delivery would write now (a pending one first), with counts; nothing written."""
        _, feed = feed_of(self._config, job.partner, job.feed)
        state, _ = self._states.read(job.partner, job.feed)
        result = DeliveryResult(job, held_back=self.held_back(job, feed, state, upto))
        if state.pending is not None:
            result.planned.append(state.pending)
            result.note = "would complete a file an earlier run had started; "
            state = state.completed()
        claim = self._planner.plan(job.partner, feed, job.business_date, state, now, cut_now, upto)
        if claim is not None:
            result.planned.append(claim)
        elif not result.planned:
            result.note += "nothing new to deliver"
        return result

    def held_back(self, job: DeliveryJob, feed: Feed, state: FeedState, upto: datetime) -> int:
        """Subscribed facts of the looked-at dates decided after the delivery bound `upto` (a writer still in
        flight, or the clock allowance), so not in this run's file."""
        return self._facts.held_back(job.business_date, feed, state, position_bound(upto))

    def backlog(self, partner: str, feed: str, today: date) -> tuple[int, datetime | None]:
        """For an operator's status: the feed's subscribed facts of the looked-at dates that no file holds yet, and
        when the oldest of them was decided."""
        _, chosen = feed_of(self._config, partner, feed)
        state, _ = self._states.read(partner, feed)
        return self._facts.backlog(chosen, state, today)

    def planned_records(self, job: DeliveryJob, claim: FileClaim) -> int:
        """How many records a planned file would hold (read from the journal, nothing written)."""
        _, feed = feed_of(self._config, job.partner, job.feed)
        return self._facts.count(feed, claim.ranges)
