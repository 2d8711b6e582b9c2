"""A small partner configuration and a day of journal facts for delivery tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings, load_settings
from function_app.domain.kernel.partners import PartnerConfig
from tests.events import cancellation, contract, messages

DAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # noon in Chicago

FIELDS = ["record_type", "contract_number", "product_type", "oem", "retail_price", "dealer_cost",
          "customer_last_name", "vin", "customer_refund"]


def feed(name: str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name, "facts": ["contracts", "cancellations"], "filter": {}, "format": "csv",
        "fields": FIELDS, "pii": "full", "sla": "P1D",
    }
    return {**base, **overrides}


def config(*partners: dict[str, Any]) -> PartnerConfig:
    return PartnerConfig.model_validate({"schema_version": 1, "partners": list(partners)})


DEFAULT_PARTNERS = config(
    {"id": "oem-toyota", "name": "Toyota", "kind": "OEM",
     "feeds": [feed("nightly", filter={"oems": ["TOYOTA"]}, pii="masked")]},
    {"id": "adm-01", "name": "Admin One", "kind": "ADMINISTRATOR",
     "feeds": [feed("nightly", format="fixed"), feed("micro", format="jsonl", sla="PT15M", cut_at_records=3)]},
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def memory_exchange(partners: PartnerConfig = DEFAULT_PARTNERS, clock: Clock | None = None,
                    settings: Settings | None = None) -> Exchange:
    return bootstrap(settings or load_settings({}), storage=memory_storage(), partners=partners,
                     clock=clock or Clock(NOON))


def contracts_of_the_day(count: int, *, prefix: str = "VSC7", oems: tuple[str, ...] = ("TOYOTA", "HONDA")) -> Iterator[
        dict[str, Any]]:
    for i in range(count):
        yield contract(f"{prefix}{i:06d}", oem=oems[i % len(oems)])


def decide(exchange: Exchange, hub: str, events: list[dict[str, Any]], start: int = 0) -> None:
    exchange.realtime.process(messages(hub, events, start=start, at=NOON - timedelta(hours=1)))


__all__ = ["DAY", "NOON", "Clock", "cancellation", "config", "contracts_of_the_day", "decide", "feed",
           "memory_exchange"]
