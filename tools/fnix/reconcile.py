"""`fnix reconcile`: the journal, the partner files and the source of record, for one business date.

The operator's view adds what the report leaves unsaid: facts not delivered yet but still within their feed's SLA
are neither a break nor delivered, so a run with such facts never reads "agrees"; it says how many wait, per feed.
A settled date is sealed first, like the nightly timer does, so the journal is checked against a seal the exchange
cannot rewrite; a date still taking facts is reconciled unsealed (a seal then would call every later fact forged)."""

from __future__ import annotations

import argparse
import json
import sys

from fnix import output
from fnix.commands import UsageError, open_exchange, output_file, parse_day

BREAKS_FOUND = 1


def reconcile(args: argparse.Namespace) -> int:
    from function_app.adapters.reconciliation.page import render_html
    from function_app.adapters.reconciliation.report import render_json, render_table
    from function_app.service_layer.reconciliation.sealing import seal_if_settled

    day = parse_day(args.date, "--date")
    assert day is not None
    if args.json:
        if args.format == "html":
            raise UsageError("--json and --format html ask for two formats; give one")
        args.format = "json"
    target = output_file(args.out, "--out")  # checked before the run, so a bad path costs nothing
    with open_exchange() as exchange:
        settings = exchange.settings
        sealed = seal_if_settled(exchange.sealer, day, settings.zone, settings.clock_skew, exchange.clock(),
                                 exchange.storage.in_flight)
        output.note(f"journal {day}: {_sealed(sealed.outcome.value if sealed else None)}")
        service = exchange.reconciliation
        report = service.run(day)
        pending = {scope: n for scope, n in service.pending.items() if n}
    waiting = sum(pending.values())
    if args.format == "json":
        document = json.loads(render_json(report))
        for feed in document["feeds"]:
            feed["pending_within_sla"] = pending.get(f"{feed['partner']}/{feed['feed']}", 0)
        document["pending_within_sla"] = waiting
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    elif args.format == "table":
        text = _plainly(render_table(report), pending, waiting)
    else:
        text = render_html(report)
    if target is not None:
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--out {args.out}: cannot write there ({exc.strerror})") from exc
        output.note(f"report written to {target}")
    else:
        sys.stdout.write(text)
    output.note(f"{day}: {_verdict(report.agrees, len(report.breaks), waiting)}; "
                f"{len(report.resolved)} earlier break(s) resolved")
    return 0 if report.agrees else BREAKS_FOUND


def _sealed(outcome: str | None) -> str:
    return {
        None: "not settled yet, not sealed",
        "SEALED": "sealed now",
        "ALREADY_SEALED": "sealed before, and the journal still gives that chain",
        "CONTRADICTED": "sealed before, and the journal no longer gives that chain (see the JOURNAL_CHAIN breaks)",
    }[outcome]


def _verdict(agrees: bool, breaks: int, waiting: int) -> str:
    found = f"{breaks} break(s)" if not agrees else "no breaks"
    if waiting:
        return f"{found}; {waiting} fact(s) not delivered yet, within their feed's SLA (not yet reconciled)"
    return "everything agrees" if agrees else found


def _plainly(table: str, pending: dict[str, int], waiting: int) -> str:
    """The report's table, with the facts still waiting for their file listed per feed and in the verdict."""
    if not waiting:
        return table
    lines = table.rstrip("\n").split("\n")
    verdict_at = max(i for i, line in enumerate(lines) if line.startswith("verdict: "))
    section = ["not delivered yet, within the feed's SLA (not breaks, not reconciled yet):",
               *(f"  {scope}\t{count}" for scope, count in sorted(pending.items())), ""]
    breaks = "no breaks" if lines[verdict_at] == "verdict: agrees" else lines[verdict_at].removeprefix("verdict: ")
    lines[verdict_at:] = [*section, f"verdict: {breaks}; {waiting} fact(s) not delivered yet"]
    return "\n".join(lines) + "\n"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("reconcile", help="journal vs partner files vs source of record for a business date")
    run.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    run.add_argument("--format", choices=["table", "json", "html"], default="table")
    run.add_argument("--out", metavar="PATH", help="write the report here instead of stdout")
    run.add_argument("--json", action="store_true", help="the same as --format json")
    run.set_defaults(run=reconcile)
