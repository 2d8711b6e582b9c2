"""`fnix purge`: what the retention period lets go, previewed or deleted. Counts and dates only: nothing it prints
names a contract, a claim or a person."""

from __future__ import annotations

import argparse

from fnix import output
from fnix.commands import UsageError, open_exchange
from function_app.bootstrap import Exchange
from function_app.service_layer.retention.purge import PurgeSummary, RetentionPurge

DATES_KEPT = 1


class Steps:
    """Progress on stderr: one line each time a step (contracts read, journal dates deleted, ...) finishes."""

    def __init__(self) -> None:
        self._step, self._done = "", 0

    def __call__(self, step: str, done: int) -> None:
        if step != self._step:
            self.finish()
            self._step = step
        self._done += done

    def finish(self) -> None:
        if self._step:
            output.note(f"purge: {self._step}: {self._done:,}")
        self._step, self._done = "", 0


def purge(args: argparse.Namespace) -> int:
    if args.preview == args.execute:
        raise UsageError("give --preview to see what would go (it deletes nothing), then --run to delete it")
    with open_exchange() as exchange:
        service = _service(exchange)
        days = exchange.settings.retention.days_after_coverage
        steps = Steps()
        summary = service.run(steps) if args.execute else service.preview(steps)
        steps.finish()
    _print(args, summary)
    verb = "deleted" if args.execute else "would delete"
    output.note(f"purge: {verb} {summary.contracts} contract(s), {summary.journal_dates} journal date(s) "
                f"({summary.journal_facts} fact(s)) and {summary.claims} claim(s) past coverage end + {days} days"
                " (RETENTION_DAYS_AFTER_COVERAGE)")
    for day, why in sorted(summary.kept_dates.items()):
        output.note(f"purge: kept {day}: {why}")
    if args.preview and not summary.contracts and not summary.journal_dates:
        output.note("purge: nothing is past its retention period")
    return DATES_KEPT if summary.kept_dates else 0


def _service(exchange: Exchange) -> RetentionPurge:
    return RetentionPurge(exchange.contracts, exchange.journal, exchange.storage.claims_registry, exchange.sealer,
                          exchange.settings.retention, exchange.clock)


def _print(args: argparse.Namespace, summary: PurgeSummary) -> None:
    document = summary.to_json()
    if args.json:
        output.document(document)
        return
    kinds = [("contracts", summary.contracts, summary.oldest_coverage_end, summary.newest_coverage_end),
             ("journal dates", summary.journal_dates, summary.oldest_date, summary.newest_date),
             ("journal facts", summary.journal_facts, summary.oldest_date, summary.newest_date),
             ("claims", summary.claims, None, None)]
    output.table(["kind", "count", "oldest", "newest"],
                 [{"kind": kind, "count": count, "oldest": oldest, "newest": newest}
                  for kind, count, oldest, newest in kinds])


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "purge", help="contracts, journal dates and claims past coverage end plus the retention period")
    parser.add_argument("--preview", action="store_true",
                        help="count what would go, per kind, with its oldest and newest dates; deletes nothing")
    parser.add_argument("--run", dest="execute", action="store_true",
                        help="seal each journal date, then delete; safe to run again")
    output.add_json_option(parser)
    parser.set_defaults(run=purge)
