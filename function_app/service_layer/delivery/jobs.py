"""Delivery jobs: one queue message per partner feed and business date, and which of them are due."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from function_app.domain.kernel.feed_mode import FeedMode
from function_app.domain.kernel.partners import Feed, Partner, PartnerConfig
from function_app.service_layer.delivery.ports import DeliveredFile, FileClaim


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
    held_back: int = 0  # subscribed facts decided after the delivery bound (a writer in flight): a later file has them
    planned: list[FileClaim] = field(default_factory=list)  # a dry run's files, none written


def due_jobs(config: PartnerConfig, mode: FeedMode, now: datetime, zone: ZoneInfo) -> list[DeliveryJob]:
    """Daily feeds get yesterday's business date; micro-batch feeds today's."""
    today = now.astimezone(zone).date()
    day = today - timedelta(days=1) if mode is FeedMode.DAILY else today
    return [DeliveryJob(p.id, f.name, day) for p in config.partners for f in p.feeds if f.mode is mode]


def feeds_of(config: PartnerConfig, partner: str | None = None, feed: str | None = None) -> list[tuple[Partner, Feed]]:
    """Every configured partner feed, or those of one partner, or one feed."""
    chosen = [(p, f) for p in config.partners for f in p.feeds]
    return [(p, f) for p, f in chosen if partner in (None, p.id) and feed in (None, f.name)]


def feed_of(config: PartnerConfig, partner: str, feed: str) -> tuple[Partner, Feed]:
    """KeyError naming the feed and partner when the configuration has no such feed."""
    matches = feeds_of(config, partner, feed)
    if not matches:
        raise KeyError(f"no feed {feed!r} for partner {partner!r} in the partner configuration")
    return matches[0]
