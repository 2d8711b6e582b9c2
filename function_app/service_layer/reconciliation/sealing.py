"""Sealing a business date before it is reconciled: once settled, the date's chain is written where the exchange
cannot change it again, and the reconciliation that follows checks the journal against it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from function_app.service_layer.kernel.seals import JournalSealer, SealResult


def settled(business_date: date, zone: ZoneInfo, settle: timedelta, now: datetime) -> bool:
    """Whether the date has ended in the business zone, and the margin for facts still being written has passed."""
    ends = datetime.combine(business_date + timedelta(days=1), time(0), tzinfo=zone)
    return now >= ends + settle


def seal_if_settled(
    sealer: JournalSealer, business_date: date, zone: ZoneInfo, settle: timedelta, now: datetime
) -> SealResult | None:
    """The date's seal (written now, or found and compared), or None when the date is not settled yet: a seal made
    while its facts still arrive would call every later one inserted. A CONTRADICTED outcome is not raised: the
    reconciliation names each fact the seal contradicts."""
    return sealer.seal(business_date) if settled(business_date, zone, settle, now) else None
