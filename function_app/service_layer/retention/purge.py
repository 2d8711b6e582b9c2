"""The purge of what the retention period lets go: contracts past their coverage end plus the period, the journal
dates that mention only them, and the claims accepted on them. It seals each journal date before deleting it, so
that the evidence container keeps the chain of every date the journal no longer holds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from function_app.domain.retention.period import Retention
from function_app.domain.retention.policy import PurgePlan, coverage_end, plan_purge
from function_app.service_layer.claims.ports import ClaimsRegistry
from function_app.service_layer.kernel.ports import ContractStore, Journal
from function_app.service_layer.kernel.seals import JournalSealer, SealOutcome

Progress = Callable[[str, int], None]  # a step's name and how many of its items were just done


def _quiet(step: str, done: int) -> None:
    return None


@dataclass(frozen=True)
class Holdings:
    """What the stores hold, as the plan needs it: coverage ends by contract, contracts and fact counts by date."""

    ends: dict[str, date | None]
    mentions: dict[date, frozenset[str]]
    facts: dict[date, int]


@dataclass
class PurgeSummary:
    """Counts and dates only: a summary names no contract, claim or person."""

    contracts: int = 0
    journal_dates: int = 0
    journal_facts: int = 0
    claims: int = 0
    oldest_date: date | None = None
    newest_date: date | None = None
    oldest_coverage_end: date | None = None
    newest_coverage_end: date | None = None
    kept_dates: dict[date, str] = field(default_factory=dict)  # a date that had to stay, and why

    def to_json(self) -> dict[str, object]:
        plain = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items()}
        plain["kept_dates"] = {day.isoformat(): why for day, why in sorted(self.kept_dates.items())}
        return plain


class RetentionPurge:
    def __init__(self, contracts: ContractStore, journal: Journal, claims: ClaimsRegistry, sealer: JournalSealer,
                 retention: Retention, clock: Callable[[], datetime]) -> None:
        self._contracts, self._journal, self._claims, self._sealer = contracts, journal, claims, sealer
        self._retention, self._clock = retention, clock

    def holdings(self, progress: Progress = _quiet) -> Holdings:
        ends = {record.contract_number: coverage_end(record) for record in self._contracts.every_record()}
        progress("contracts read", len(ends))
        mentions: dict[date, frozenset[str]] = {}
        facts: dict[date, int] = {}
        for day in self._journal.dates():
            numbers: set[str] = set()
            for count, fact in enumerate(self._journal.read(day), 1):
                numbers.add(fact.contract_number)
                facts[day] = count
            mentions[day] = frozenset(numbers)
            progress("journal dates read", 1)
        return Holdings(ends, mentions, facts)

    def preview(self, progress: Progress = _quiet) -> PurgeSummary:
        """What a run would delete now, writing nothing. A date whose seal fails at run time stays (with what it
        mentions), so a run may delete less than its preview."""
        held = self.holdings(progress)
        plan = self._plan(held)
        return self._summary(held, plan, len(self._claims.of_contracts(plan.contracts)), {})

    def run(self, progress: Progress = _quiet) -> PurgeSummary:
        """Seals every date it would delete, plans again without the dates that could not be sealed, then deletes:
        journal dates, then claims, then contracts, so that a crash leaves each record that a date or claim left
        behind still to be found. Safe to run again: what is gone is not looked for."""
        held = self.holdings(progress)
        refused = {day: why for day in self._plan(held).dates if (why := self._unsealed(day))}
        plan = self._plan(held, frozenset(refused))
        for day in plan.dates:
            self._journal.delete_date(day)
            progress("journal dates deleted", 1)
        claims = self._claims.of_contracts(plan.contracts)
        by_administrator: dict[str, list[str]] = defaultdict(list)
        for administrator, claim in claims:
            by_administrator[administrator].append(claim.claim_number)
        for administrator, numbers in sorted(by_administrator.items()):
            self._claims.delete(administrator, numbers)
            progress("claims deleted", len(numbers))
        numbers = sorted(plan.contracts)
        for start in range(0, len(numbers), 500):
            self._contracts.delete(numbers[start : start + 500])
            progress("contracts deleted", len(numbers[start : start + 500]))
        return self._summary(held, plan, len(claims), refused)

    def _plan(self, held: Holdings, keep: frozenset[date] = frozenset()) -> PurgePlan:
        return plan_purge(self._clock().date(), self._retention, held.ends, held.mentions, keep)

    def _unsealed(self, day: date) -> str | None:
        """Why the date cannot go (None: its seal stands for the chain the journal holds)."""
        try:
            result = self._sealer.seal(day)
        except Exception as exc:  # any failure keeps the date; the others still go
            return f"sealing failed ({type(exc).__name__}: {str(exc)[:200]}); the date stays, run the purge again"
        if result.outcome is SealOutcome.CONTRADICTED:
            return "the journal no longer gives the chain sealed for this date; reconcile it before it can go"
        return None

    def _summary(self, held: Holdings, plan: PurgePlan, claims: int, refused: dict[date, str]) -> PurgeSummary:
        ends = sorted(end for number in plan.contracts if (end := held.ends[number]) is not None)
        return PurgeSummary(
            contracts=len(plan.contracts), journal_dates=len(plan.dates),
            journal_facts=sum(held.facts.get(day, 0) for day in plan.dates), claims=claims,
            oldest_date=plan.dates[0] if plan.dates else None, newest_date=plan.dates[-1] if plan.dates else None,
            oldest_coverage_end=ends[0] if ends else None, newest_coverage_end=ends[-1] if ends else None,
            kept_dates=refused,
        )
