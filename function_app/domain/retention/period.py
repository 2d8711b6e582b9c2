"""How long the exchange keeps a contract after its coverage ended: a setting, read at start-up (config.py), so
this module stays free of anything heavier than the standard library (indexing the app imports it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_DAYS_AFTER_COVERAGE = 730  # the Safeguards Rule's two years after last use; law or business may ask more


@dataclass(frozen=True)
class Retention:
    days_after_coverage: int = DEFAULT_DAYS_AFTER_COVERAGE

    def cutoff(self, today: date) -> date:
        """Coverage that ended on or before this day, and dates before it, are past the period."""
        return today - timedelta(days=self.days_after_coverage)
