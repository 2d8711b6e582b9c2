"""`fnix reconcile`: the journal, the partner files and the source of record, for one business date."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from function_app.entrypoints.cli_commands import UsageError, open_exchange, parse_day

BREAKS_FOUND = 1


def reconcile(args: argparse.Namespace) -> int:
    from function_app.domain.reconciliation_report import render_html, render_json, render_table

    day = parse_day(args.date, "--date")
    assert day is not None
    with open_exchange() as exchange:
        report = exchange.reconciliation.run(day)
    render = {"table": render_table, "json": render_json, "html": render_html}[args.format]
    text = render(report)
    if args.out:
        target = Path(args.out)
        if target.is_dir():
            raise UsageError(f"--out {args.out} is a directory; give a file name")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
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
