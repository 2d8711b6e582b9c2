"""A reconciliation report in words and numbers: its verdict, a table for the terminal and JSON for machines (the
page for people is `page.py`). Presentation, so it sits with what shows it (the nightly timer, `fnix reconcile`),
not in the domain."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from function_app.domain.reconciliation.model import FeedReconciliation, ReconciliationReport


def counted(n: int, noun: str) -> str:
    """`n` of a noun, in words: "1 break", "1,240 breaks"."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def verdict(report: ReconciliationReport) -> str:
    return "agrees" if report.agrees else counted(len(report.breaks), "break")


def amount(text: str | None) -> Decimal | str | None:
    """Money as a number, so "10.0" and "10.00" agree; anything that is not a finite number stays text."""
    try:
        value = Decimal(text) if text is not None else None
    except InvalidOperation:
        return text
    return value if value is None or value.is_finite() else text


def totals_agree(feed: FeedReconciliation) -> bool:
    sides = (feed.journal, feed.files, feed.manifests)
    columns = {name for side in sides for name in side.totals}
    return all(len({amount(side.totals.get(name)) for side in sides}) == 1 for name in columns)


def render_json(report: ReconciliationReport) -> str:
    """The report as stored beside the page and read by machines: stable key order, one trailing newline."""
    return json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n"


# ---- terminal table ------------------------------------------------------------------------------------------------

def _plain(text: str) -> str:
    """Partner text cannot move the cursor or recolour the operator's terminal: control characters are shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: frozenset[int]) -> list[str]:
    cells = [[_plain(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [_line(row, widths, numeric) for row in cells]


def _line(row: Sequence[str], widths: Sequence[int], numeric: frozenset[int]) -> str:
    cells = (c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
    return "  ".join(cells).rstrip()


def _feed_row(feed: FeedReconciliation) -> list[str]:
    return [feed.partner, feed.feed, f"{feed.journal.records:,}", f"{feed.files.records:,}",
            f"{feed.manifests.records:,}", "yes" if totals_agree(feed) else "no", f"{len(feed.breaks):,}"]


def render_table(report: ReconciliationReport) -> str:
    """For the terminal: a line per partner feed, the source of record, every break, and the verdict last."""
    lines = [f"reconciliation {report.business_date.isoformat()}  generated {_plain(report.generated_at)}  "
             f"{report.contracts_checked:,} contracts checked", ""]
    header = ["partner", "feed", "journal records", "file records", "manifest records", "totals agree", "breaks"]
    lines += _grid(header, [_feed_row(f) for f in report.feeds], frozenset({2, 3, 4, 6})) if report.feeds \
        else ["no partner feeds checked"]
    sor = report.source_of_record
    lines += ["", f"source of record: {'agrees' if not sor else counted(len(sor), 'break')}", ""]
    rows = [[b.kind.value, b.scope, b.key, b.contract_number or "-", b.detail] for b in report.breaks]
    lines += _grid(["kind", "scope", "key", "contract", "detail"], rows, frozenset()) if rows else ["no breaks"]
    lines += ["", f"verdict: {verdict(report)}"]
    return "\n".join(lines) + "\n"
