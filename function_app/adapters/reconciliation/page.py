"""The reconciliation page operations open: the verdict first, then the chart, the breaks by kind, and each feed's
sides. It is one self-contained file (inline CSS and SVG, system fonts, no scripts, nothing fetched) because
operations open it offline from blob storage. Every value in it comes from partner data, so the template
(templates/reconciliation.html.j2) escapes every value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from html import escape
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

from function_app.adapters.reconciliation.chart import chart
from function_app.adapters.reconciliation.report import amount, counted, verdict
from function_app.domain.reconciliation.model import Break, BreakKind, FeedReconciliation, ReconciliationReport, Side

TEMPLATES = Path(__file__).with_name("templates")

@dataclass(frozen=True)
class Stat:
    label: str
    value: str
    tone: str = ""  # "ok" or "bad" to colour the value
    note: str = ""


@dataclass(frozen=True)
class KindOfBreak:
    kind: BreakKind
    breaks: tuple[Break, ...]

    @property
    def label(self) -> str:
        return self.kind.label

    @property
    def meaning(self) -> str:
        return self.kind.meaning


@dataclass(frozen=True)
class Cell:
    shown: str
    differs: bool  # from the journal's


@dataclass(frozen=True)
class SidesRow:
    label: str
    column: bool  # a money column, whose name is shown as code
    cells: tuple[Cell, ...]  # journal, files, manifests


@dataclass(frozen=True)
class FeedCard:
    feed: FeedReconciliation
    state: str
    rows: tuple[SidesRow, ...]


def render_html(report: ReconciliationReport) -> str:
    """The page as one string: the verdict first, then the chart, the breaks by kind, and each feed's sides."""
    return _template().render(
        report=report,
        verdict=verdict(report),
        long_date=f"{report.business_date:%A} {report.business_date.day} {report.business_date:%B %Y}",
        generated=_when(report.generated_at),
        where=" and ".join(_where(report)),
        stats=_stats(report),
        chart=chart(report.feeds) if report.feeds else None,
        kinds=_kinds(report.breaks),
        legend=list(BreakKind),
        feeds=[_feed_card(feed) for feed in report.feeds],
    )


@cache
def _template() -> Template:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              finalize=_escaped)
    environment.filters["px"] = lambda value: f"{value:.1f}"
    environment.filters["thousands"] = lambda value: f"{value:,}"
    return environment.get_template("reconciliation.html.j2")


def _escaped(value: object) -> Markup:
    # html.escape's entities (&quot;, &#x27;), as the page has always written them; markupsafe's are &#34; and &#39;
    return value if isinstance(value, Markup) else Markup(escape(str(value), quote=True))


def _when(text: str) -> str:
    """An ISO timestamp as a person reads it, in UTC; anything else as it was given."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    utc = moment.astimezone(UTC)
    return f"{utc.day} {utc:%B %Y}, {utc:%H:%M} UTC"


def _where(report: ReconciliationReport) -> list[str]:
    """Where the breaks are, for the banner."""
    broken = sum(1 for f in report.feeds if not f.agrees)
    where = [f"{broken:,} of {counted(len(report.feeds), 'partner feed')}"] if broken else []
    where += ["the source of record"] if report.source_of_record else []
    return where + (["the refunds owed"] if report.refunds_overdue else [])


def _kinds(breaks: tuple[Break, ...]) -> list[KindOfBreak]:
    """The breaks grouped by kind, in the order the kinds are declared; a kind without breaks is left out."""
    grouped = [KindOfBreak(kind, tuple(b for b in breaks if b.kind is kind)) for kind in BreakKind]
    return [group for group in grouped if group.breaks]


def _stats(report: ReconciliationReport) -> list[Stat]:
    sor, agreeing, overdue = report.source_of_record, sum(1 for f in report.feeds if f.agrees), report.refunds_overdue
    return [Stat("Contracts checked", f"{report.contracts_checked:,}"),
            Stat("Partner feeds checked", f"{len(report.feeds):,}",
                 note=f"{agreeing:,} {'agrees' if agreeing == 1 else 'agree'}"),
            Stat("Source of record", counted(len(sor), "break") if sor else "agrees", "bad" if sor else "ok"),
            Stat("Refunds overdue", f"{len(overdue):,}" if overdue else "none", "bad" if overdue else "ok",
                 note="unpaid past their state rule's deadline, any date"),
            Stat("Resolved since last run", f"{len(report.resolved):,}")]


def _feed_card(feed: FeedReconciliation) -> FeedCard:
    sides = (feed.journal, feed.files, feed.manifests)
    records = SidesRow("Records", False, tuple(Cell(f"{s.records:,}", s.records != feed.journal.records)
                                                for s in sides))
    names = sorted({name for side in sides for name in side.totals})
    money = (SidesRow(name, True, tuple(_money(s, feed.journal, name) for s in sides)) for name in names)
    return FeedCard(feed, "agrees" if feed.agrees else counted(len(feed.breaks), "break"), (records, *money))


def _money(side: Side, journal: Side, name: str) -> Cell:
    value = side.totals.get(name)
    figure = amount(value)
    shown = "—" if value is None else f"{figure:,}" if isinstance(figure, Decimal) else value
    return Cell(shown, figure != amount(journal.totals.get(name)))
