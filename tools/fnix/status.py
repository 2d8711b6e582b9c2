"""`fnix status`: is the exchange healthy, in one command. Read-only.

Needs a person (exit 1): a poison message, a feed whose oldest undelivered fact is past its SLA, an open
reconciliation break of the last week, a held cancellation past its hold that the timer has not rejected.
Reported only: waiting jobs, the last file of each feed, today's dead letters (rejections are outcomes), holds
that expire within the next 12 hours."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from fnix import output
from fnix.commands import HUBS, open_exchange
from fnix.output import add_json_option
from function_app.bootstrap import Exchange
from function_app.domain.kernel.feed_mode import FeedMode

NEEDS_A_PERSON = 1
NEAR_EXPIRY = timedelta(hours=12)
TIMER_GRACE = timedelta(hours=1)  # the expiry timer runs every 15 minutes and retries; later than this, it is stuck
BREAK_DAYS = 7


def status(args: argparse.Namespace) -> int:
    with open_exchange() as exchange:
        now = exchange.clock()
        report = {
            "generated_at": now.isoformat(),
            "queues": _queues(exchange),
            "feeds": _feeds(exchange, now),
            "dead_letters_today": _dead_letters(exchange, now),
            "open_breaks": _breaks(exchange, now),
            "holds": _holds(exchange, now),
        }
    attention = _needs_attention(report)
    report["needs_attention"] = attention
    if args.json:
        output.document(report)
    else:
        _print(report)
    output.note("needs a person: " + "; ".join(attention) if attention else "nothing needs a person")
    return NEEDS_A_PERSON if attention else 0


def _queues(exchange: Exchange) -> list[dict[str, Any]]:
    from function_app.entrypoints.claims import FILES_QUEUE
    from function_app.entrypoints.delivery import JOBS_QUEUE

    names = (JOBS_QUEUE, JOBS_QUEUE + "-poison", FILES_QUEUE, FILES_QUEUE + "-poison")
    counted = {name: len(list(exchange.job_queues.peek(name))) for name in names}
    return [{"queue": name, "messages": n, "at_least": n == 32, "poison": name.endswith("-poison")}
            for name, n in counted.items()]


def _feeds(exchange: Exchange, now: datetime) -> list[dict[str, Any]]:
    service = exchange.delivery
    today = now.astimezone(exchange.settings.zone).date()
    rows = []
    for partner, feed in service.feeds():
        files = exchange.deliveries.files(partner.id, feed.name)
        last = files[-1] if files else None
        waiting, oldest = service.backlog(partner.id, feed.name, today)
        settings = exchange.settings
        limit = feed.sla_timedelta + (settings.micro_period if feed.mode is FeedMode.MICRO else settings.nightly_period)
        overdue = oldest is not None and now - oldest > limit
        rows.append({
            "partner": partner.id, "feed": feed.name, "sla": feed.sla,
            "last_file": last.blob_name if last else None,
            "last_file_at": last.created_at.isoformat() if last else None,
            "waiting": waiting, "oldest_waiting_since": oldest.isoformat() if oldest else None,
            "sla_met": not overdue,
        })
    return rows


def _dead_letters(exchange: Exchange, now: datetime) -> list[dict[str, Any]]:
    today = now.astimezone(exchange.settings.zone).date().isoformat()
    counts: Counter[tuple[str, str]] = Counter()
    for hub in HUBS:
        for name in exchange.dead_letters.names(f"{hub}/{today}/"):
            letter = exchange.dead_letters.get(name)
            for code in sorted({r.code.value for r in letter.reasons}) or ["-"]:
                counts[(hub, code)] += 1
    return [{"hub": hub, "reason": code, "letters": n} for (hub, code), n in sorted(counts.items())]


def _breaks(exchange: Exchange, now: datetime) -> list[dict[str, Any]]:
    today = now.astimezone(exchange.settings.zone).date()
    found = []
    for back in range(BREAK_DAYS, -1, -1):
        day = today - timedelta(days=back)
        found += [{"business_date": day.isoformat(), "kind": b.kind.value, "scope": b.scope, "key": b.key}
                  for b in exchange.breaks.open_breaks(day)]
    return found


def _holds(exchange: Exchange, now: datetime) -> dict[str, int]:
    hold = exchange.settings.hold
    overdue = len(exchange.contracts.held_before(now - hold - TIMER_GRACE))
    expiring = len(exchange.contracts.held_before(now - hold + NEAR_EXPIRY))
    return {"expiring_within_12h": expiring - overdue, "past_hold_not_rejected": overdue}


def _needs_attention(report: dict[str, Any]) -> list[str]:
    found = [f"{q['messages']} message(s) in {q['queue']}" for q in report["queues"] if q["poison"] and q["messages"]]
    found += [f"{f['partner']}/{f['feed']} past its SLA ({f['waiting']} fact(s) waiting since "
              f"{f['oldest_waiting_since']})" for f in report["feeds"] if not f["sla_met"]]
    if report["open_breaks"]:
        found.append(f"{len(report['open_breaks'])} open reconciliation break(s)")
    if report["holds"]["past_hold_not_rejected"]:
        found.append(f"{report['holds']['past_hold_not_rejected']} held cancellation(s) past the hold period: "
                     "is the expiry timer running? (`fnix holds expire` does its work)")
    return found


def _print(report: dict[str, Any]) -> None:
    sections: list[tuple[str, list[str], list[dict[str, Any]]]] = [
        ("queues", ["queue", "messages"], report["queues"]),
        ("feeds", ["partner", "feed", "sla", "last_file", "last_file_at", "waiting", "sla_met"], report["feeds"]),
        ("dead letters today", ["hub", "reason", "letters"], report["dead_letters_today"]),
        ("open reconciliation breaks", ["business_date", "kind", "scope", "key"], report["open_breaks"]),
        ("held cancellations", ["expiring_within_12h", "past_hold_not_rejected"], [report["holds"]]),
    ]
    for title, columns, rows in sections:
        sys.stdout.write(f"# {title}\n")
        output.table(columns, rows)
        sys.stdout.write("\n")
    verdict = "; ".join(report["needs_attention"]) or "nothing"
    sys.stdout.write(f"needs a person: {verdict}\n")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("status", help="is the exchange healthy: queues, feeds, dead letters, breaks, holds; "
                              "exit 1 when something needs a person")
    add_json_option(run)
    run.set_defaults(run=status)
