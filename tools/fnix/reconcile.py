"""`fnix reconcile`: the journal, the partner files and the source of record, for one business date."""

from __future__ import annotations

import argparse
import sys

from fnix.commands import UsageError, open_exchange, output_file, parse_day

BREAKS_FOUND = 1


def reconcile(args: argparse.Namespace) -> int:
    from function_app.domain.reconciliation_report import render_html, render_json, render_table

    day = parse_day(args.date, "--date")
    assert day is not None
    target = output_file(args.out, "--out")  # checked before the run, so a bad path costs nothing
    with open_exchange() as exchange:
        report = exchange.reconciliation.run(day)
    render = {"table": render_table, "json": render_json, "html": render_html}[args.format]
    text = render(report)
    if target is not None:
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--out {args.out}: cannot write there ({exc.strerror})") from exc
        print(f"report written to {target}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    verdict = "everything agrees" if report.agrees else f"{len(report.breaks)} break(s)"
    print(f"{day}: {verdict}; {len(report.resolved)} earlier break(s) resolved", file=sys.stderr)
    return 0 if report.agrees else BREAKS_FOUND


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("reconcile", help="journal vs partner files vs source of record for a business date")
    run.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    run.add_argument("--format", choices=["table", "json", "html"], default="table")
    run.add_argument("--out", metavar="PATH", help="write the report here instead of stdout")
    run.set_defaults(run=reconcile)
