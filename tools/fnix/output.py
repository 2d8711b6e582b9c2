"""Where `fnix` writes: results on stdout (a tab-separated table under a header line, or with `--json` one JSON
document), progress and diagnostics on stderr, so that `fnix … | grep`, `cut` and `jq` see results only."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

Row = Mapping[str, Any]


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as one JSON document on stdout")


def cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    return str(value).replace("\t", " ").replace("\n", " ")


def table(columns: Sequence[str], rows: Sequence[Row]) -> None:
    """A header line naming the columns, then one line per row; an empty listing is its header alone."""
    lines = ["\t".join(columns), *("\t".join(cell(row.get(c)) for c in columns) for row in rows)]
    sys.stdout.write("\n".join(lines) + "\n")


def document(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def listing(args: argparse.Namespace, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """A listing: a JSON array of objects with `--json`, otherwise a table."""
    if getattr(args, "json", False):
        document([dict(row) for row in rows])
    else:
        table(columns, rows)


def note(text: str) -> None:
    """A diagnostic: counts, hints, what the command did beside its result."""
    print(text, file=sys.stderr)
