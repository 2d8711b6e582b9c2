"""Sealing a business date before it is reconciled: once settled, the date's chain is written where the exchange
cannot change it again, and the reconciliation that follows checks the journal against it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from function_app.service_layer.kernel.in_flight import InFlightWriters, delivery_bound
from function_app.service_layer.kernel.seals import JournalSealer, SealResult


def settled(business_date: date, zone: ZoneInfo, skew: timedelta, now: datetime,
            in_flight: InFlightWriters | None = None) -> bool:
    """Whether the date has ended in the business zone and the delivery bound has passed its end: no writer still
    in flight stamped before it (`in_flight`; without it, nothing else is writing), less the clock allowance."""
    ends = datetime.combine(business_date + timedelta(days=1), time(0), tzinfo=zone)
    return delivery_bound(in_flight, now, skew) >= ends


def seal_if_settled(
    sealer: JournalSealer, business_date: date, zone: ZoneInfo, skew: timedelta, now: datetime,
    in_flight: InFlightWriters | None = None,
) -> SealResult | None:
    """The date's seal (written now, or found and compared), or None when the date is not settled yet: a seal made
    while its facts still arrive would call every later one inserted. A CONTRADICTED outcome is not raised: the
    reconciliation names each fact the seal contradicts."""
    return sealer.seal(business_date) if settled(business_date, zone, skew, now, in_flight) else None
