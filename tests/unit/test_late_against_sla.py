"""LATE against the SLA itself: a fact no file holds is late once its feed's SLA has passed plus the longest gap of
the timer that cuts the feed's files, the only slack, and the break says which."""

from __future__ import annotations

from datetime import timedelta

from function_app.bootstrap import Exchange
from function_app.domain.reconciliation.model import BreakKind
from tests.events import contract
from tests.partners import DAY, NOON, Clock, config, decide, feed, memory_exchange

PARTNERS = config({"id": "adm-01", "name": "Admin One", "kind": "ADMINISTRATOR",
                   "feeds": [feed("fast", sla="PT5M"), feed("nightly")]})


def late(exchange: Exchange) -> dict[str, list[str]]:
    report = exchange.reconciliation.run(DAY)
    return {f.feed: [b.detail for b in f.breaks if b.kind is BreakKind.LATE] for f in report.feeds}


def test_a_micro_batch_fact_is_late_after_its_sla_plus_a_minute_a_daily_one_after_a_day_more() -> None:
    clock = Clock(NOON)  # the fact is decided now; no file is ever cut
    exchange = memory_exchange(PARTNERS, clock=clock)
    decide(exchange, "contracts", [contract("VSC7000000")])
    clock.now = NOON + timedelta(minutes=6)
    assert late(exchange) == {"fast": [], "nightly": []}, "within PT5M and the micro timer's minute"
    assert exchange.reconciliation.pending["adm-01/fast"] == 1
    clock.now = NOON + timedelta(minutes=6, seconds=1)
    [detail] = late(exchange)["fast"]
    assert detail.endswith("the limit is 0:06:00 (its SLA PT5M plus 0:01:00, the longest wait for the micro timer)")
    assert late(exchange)["nightly"] == []
    clock.now = NOON + timedelta(days=2, seconds=1)
    [detail] = late(exchange)["nightly"]
    assert detail.endswith("(its SLA P1D plus 1 day, 0:00:00, the longest wait for the daily timer)")
