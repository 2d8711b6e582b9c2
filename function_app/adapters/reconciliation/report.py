"""A reconciliation report three ways: a table for the terminal, JSON for machines, and a page for people.
Presentation, so it sits with the entrypoints that show it (the nightly timer, `fnix reconcile`), not in the domain.

The page is one self-contained file (inline CSS and SVG, system fonts, no scripts, nothing fetched) because
operations open it offline from blob storage. Every value in it comes from partner data, so every value is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from html import escape

from function_app.domain.reconciliation.model import Break, BreakKind, FeedReconciliation, ReconciliationReport, Side

KIND_LABELS = {
    BreakKind.MISSING: ("Missing", "In the journal or the exchange, absent from the file or the source of record."),
    BreakKind.DUPLICATE: ("Duplicate", "Delivered more than once."),
    BreakKind.AMOUNT_MISMATCH: ("Amount mismatch", "A record, a control total or a refund that differs."),
    BreakKind.LATE: ("Late", "Not delivered although the feed's SLA has passed."),
    BreakKind.STATUS_MISMATCH: ("Status mismatch", "The exchange and the source of record disagree on a status."),
}


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def verdict(report: ReconciliationReport) -> str:
    return "agrees" if report.agrees else _count(len(report.breaks), "break")


def _amount(text: str | None) -> Decimal | str | None:
    """Money as a number, so "10.0" and "10.00" agree; anything that is not a finite number stays text."""
    try:
        value = Decimal(text) if text is not None else None
    except InvalidOperation:
        return text
    return value if value is None or value.is_finite() else text


def totals_agree(feed: FeedReconciliation) -> bool:
    sides = (feed.journal, feed.files, feed.manifests)
    columns = {name for side in sides for name in side.totals}
    return all(len({_amount(side.totals.get(name)) for side in sides}) == 1 for name in columns)


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
    lines += ["", f"source of record: {'agrees' if not sor else _count(len(sor), 'break')}", ""]
    rows = [[b.kind.value, b.scope, b.key, b.contract_number or "-", b.detail] for b in report.breaks]
    lines += _grid(["kind", "scope", "key", "contract", "detail"], rows, frozenset()) if rows else ["no breaks"]
    lines += ["", f"verdict: {verdict(report)}"]
    return "\n".join(lines) + "\n"


# ---- HTML page -----------------------------------------------------------------------------------------------------

def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _long_date(report: ReconciliationReport) -> str:
    day = report.business_date
    return f"{day:%A} {day.day} {day:%B %Y}"


def render_html(report: ReconciliationReport) -> str:
    """The page operations open: the verdict first, then the chart, the breaks by kind, and each feed's sides."""
    title = f"Reconciliation {report.business_date.isoformat()}: {verdict(report)}"
    body = "\n".join([_masthead(report), _banner(report), _stats(report), _chart_section(report.feeds),
                      _breaks_section(report), _resolved_section(report.resolved), _feeds_section(report.feeds)])
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
            f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")


def _masthead(report: ReconciliationReport) -> str:
    return (f'<header class="masthead"><p class="eyebrow">F&amp;I partner exchange · Reconciliation</p>'
            f"<h1>{_e(_long_date(report))}</h1>"
            f'<p class="generated">Business date {_e(report.business_date.isoformat())} · generated '
            f"{_e(_when(report.generated_at))}</p></header>")


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


def _banner(report: ReconciliationReport) -> str:
    if report.agrees:
        return ('<section class="banner ok" role="status"><span class="mark" aria-hidden="true">✓</span>'
                "<div><strong>Agrees</strong><span>Every partner feed and the source of record match the journal."
                "</span></div></section>")
    broken = sum(1 for f in report.feeds if not f.agrees)
    where = [f"{broken:,} of {_count(len(report.feeds), 'partner feed')}"] if broken else []
    where += ["the source of record"] if report.source_of_record else []
    return ('<section class="banner bad" role="status"><span class="mark" aria-hidden="true">!</span>'
            f"<div><strong>{_e(verdict(report))}</strong><span>In {_e(' and '.join(where))}.</span></div></section>")


def _stats(report: ReconciliationReport) -> str:
    sor, agreeing = report.source_of_record, sum(1 for f in report.feeds if f.agrees)
    agree = f"{agreeing:,} {'agrees' if agreeing == 1 else 'agree'}"
    cards = [("Contracts checked", f"{report.contracts_checked:,}", "", ""),
             ("Partner feeds checked", f"{len(report.feeds):,}", "", agree),
             ("Source of record", _count(len(sor), "break") if sor else "agrees", "bad" if sor else "ok", ""),
             ("Resolved since last run", f"{len(report.resolved):,}", "", "")]
    items = "".join(f'<div class="stat"><dt>{_e(label)}</dt><dd class="{tone}">{_e(value)}</dd>'
                    + (f'<dd class="note">{_e(note)}</dd>' if note else "") + "</div>"
                    for label, value, tone, note in cards)
    return f'<dl class="stats">{items}</dl>'


def _chart_section(feeds: Sequence[FeedReconciliation]) -> str:
    chart = _chart(feeds) if feeds else '<p class="empty">No partner feeds were checked.</p>'
    return f'<section class="card"><h2>Volumes and breaks per partner feed</h2>{chart}</section>'


# ---- chart: grouped bars, journal vs file records, with each feed's break count above its group ---------------------

_CHART_HEIGHT, _LEFT, _RIGHT, _TOP, _BOTTOM, _SLOT = 390, 100, 24, 84, 60, 112


def _nice_ceiling(value: int) -> int:
    """The smallest round number at or above `value` that five gridlines divide evenly."""
    if value <= 10:
        return 5 if value <= 5 else 10
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    return next(m * magnitude // 10 for m in (10, 15, 20, 25, 30, 40, 50, 60, 80, 100) if m * magnitude // 10 >= value)


def _clip(text: str, room: float) -> str:
    limit = max(6, int(room // 9))  # characters of 14px text that fit the room
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chart(feeds: Sequence[FeedReconciliation]) -> str:
    width = max(1100, _LEFT + _RIGHT + _SLOT * len(feeds))
    slot = (width - _LEFT - _RIGHT) / len(feeds)
    tallest = max(max(f.journal.records, f.files.records) for f in feeds)
    top = _nice_ceiling(tallest + tallest // 10)  # headroom, so the tallest bar's label stays clear of the break row
    desc = " ".join(f"{f.partner}/{f.feed}: journal {f.journal.records:,} records, files {f.files.records:,} records, "
                    f"{_count(len(f.breaks), 'break')}." for f in feeds)
    parts = [f'<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 {width} '
             f'{_CHART_HEIGHT}" width="100%" style="min-width:{width}px">',
             '<title id="chart-title">Journal records and file records per partner feed, with breaks</title>',
             f'<desc id="chart-desc">{_e(desc)}</desc>',
             _legend(any(f.files.records != f.journal.records for f in feeds)), _axes(width, top)]
    parts += [_group(f, _LEFT + slot * i, slot, top) for i, f in enumerate(feeds)]
    return f'<div class="chart-frame">{"".join(parts)}</svg></div>'


def _y(value: int, top: int) -> float:
    return _CHART_HEIGHT - _BOTTOM - (_CHART_HEIGHT - _TOP - _BOTTOM) * value / top


def _legend(with_differs: bool) -> str:
    keys = [("journal", "journal records"), ("files", "file records")]
    items = "".join(f'<rect class="{cls}" x="{_LEFT + 170 * i}" y="14" width="14" height="14" rx="3"/>'
                    f'<text class="legend" x="{_LEFT + 170 * i + 22}" y="26">{label}</text>'
                    for i, (cls, label) in enumerate(keys))
    differs = (f'<text class="value off" x="{_LEFT + 340}" y="26">123</text><text class="legend" x="{_LEFT + 376}" '
               'y="26">file records that differ from the journal</text>') if with_differs else ""
    return f'<g class="legend-key">{items}{differs}</g>'


def _axes(width: int, top: int) -> str:
    lines = []
    for step in range(6):
        value = top * step // 5
        y = _y(value, top)
        lines.append(f'<line class="{"axis" if step == 0 else "grid"}" x1="{_LEFT}" x2="{width - _RIGHT}" '
                     f'y1="{y:.1f}" y2="{y:.1f}"/><text class="tick" x="{_LEFT - 10}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{value:,}</text>')
    middle = (_CHART_HEIGHT - _BOTTOM + _TOP) / 2
    label = (f'<text class="axis-label" transform="translate(18 {middle:.0f}) rotate(-90)" text-anchor="middle">'
             f'records</text><text class="axis-label" x="{_LEFT - 10}" y="{_TOP - 19}" text-anchor="end">breaks</text>')
    return f'<g class="axes">{"".join(lines)}{label}</g>'


def _group(feed: FeedReconciliation, x: float, slot: float, top: int) -> str:
    centre, bar = x + slot / 2, min(44.0, slot * 0.28)
    off = feed.files.records != feed.journal.records
    bars = _bar("journal", feed.journal.records, centre - 3 - bar, bar, top, "value", "end") + \
        _bar("files", feed.files.records, centre + 3, bar, top, "value off" if off else "value", "start")
    n = len(feed.breaks)
    pill_text = "agrees" if not n else _count(n, "break")
    pill_width = 12 + 7.5 * len(pill_text)
    pill = (f'<rect class="{"pill-ok" if not n else "pill-bad"}" x="{centre - pill_width / 2:.1f}" y="{_TOP - 34}" '
            f'width="{pill_width:.1f}" height="22" rx="11"/><text class="pill-text" x="{centre:.1f}" y="{_TOP - 19}" '
            f'text-anchor="middle">{_e(pill_text)}</text>')
    base = _CHART_HEIGHT - _BOTTOM
    labels = (f'<text class="partner" x="{centre:.1f}" y="{base + 24}" text-anchor="middle">'
              f'{_e(_clip(feed.partner, slot))}</text><text class="feed" x="{centre:.1f}" y="{base + 44}" '
              f'text-anchor="middle">{_e(_clip(feed.feed, slot))}</text>')
    name = f"{feed.partner}/{feed.feed}"
    return (f'<g class="feed-bars" data-feed="{_e(name)}"><title>{_e(name)}: journal {feed.journal.records:,}, '
            f"files {feed.files.records:,}, {_e(pill_text)}</title>{bars}{pill}{labels}</g>")


def _bar(cls: str, value: int, x: float, width: float, top: int, label: str, outward: str) -> str:
    """A bar with its value above; a value wider than the bar leans away from its neighbour instead of over it."""
    y, text = _y(value, top), f"{value:,}"
    height = max(_CHART_HEIGHT - _BOTTOM - y, 1.0)
    fits = 7.6 * len(text) <= width + 4  # 13px bold digits
    anchor = "middle" if fits else outward
    at = x + width / 2 if fits else x + (width if outward == "end" else 0)
    return (f'<rect class="{cls}" x="{x:.1f}" y="{y - (1 if not value else 0):.1f}" width="{width:.1f}" '
            f'height="{height:.1f}" rx="3"/><text class="{label}" x="{at:.1f}" y="{y - 6:.1f}" '
            f'text-anchor="{anchor}">{text}</text>')


# ---- breaks and feeds ----------------------------------------------------------------------------------------------

def _breaks_table(breaks: Sequence[Break]) -> str:
    rows = "".join(f"<tr><td>{_e(b.scope)}</td><td class=mono>{_e(b.key)}</td>"
                   f"<td class=mono>{_e(b.contract_number or '—')}</td><td>{_e(b.detail)}</td></tr>" for b in breaks)
    return ('<table class="breaks"><colgroup><col class="scope"><col class="key"><col class="contract"><col></colgroup>'
            '<thead><tr><th>Scope</th><th>Key</th><th>Contract</th><th>Detail</th></tr>'
            f"</thead><tbody>{rows}</tbody></table>")


def _breaks_section(report: ReconciliationReport) -> str:
    if report.agrees:
        return '<section class="card"><h2>Breaks</h2><p class="empty">None. Nothing to chase today.</p></section>'
    groups = []
    for kind in BreakKind:
        of_kind = [b for b in report.breaks if b.kind is kind]
        if of_kind:
            label, meaning = KIND_LABELS[kind]
            groups.append(f'<div class="kind" id="kind-{kind.value.lower()}"><h3>{_e(label)} '
                          f'<span class="count">{len(of_kind):,}</span></h3><p class="meaning">{_e(meaning)}</p>'
                          f"{_breaks_table(of_kind)}</div>")
    return f'<section class="card"><h2>Breaks by kind</h2>{"".join(groups)}</section>'


def _resolved_section(resolved: Sequence[Break]) -> str:
    if not resolved:
        return ""
    return (f'<section class="card"><h2>Resolved since last run <span class="count ok">{len(resolved):,}</span></h2>'
            f'<p class="meaning">Breaks an earlier run found that this run no longer finds.</p>'
            f"{_breaks_table(resolved)}</section>")


def _cell(side: Side, journal: Side, name: str | None) -> str:
    if name is None:
        return f'<td class="{"" if side.records == journal.records else "differs"}">{side.records:,}</td>'
    value, expected = side.totals.get(name), journal.totals.get(name)
    amount = _amount(value)
    shown = "—" if value is None else f"{amount:,}" if isinstance(amount, Decimal) else value
    return f'<td class="{"" if amount == _amount(expected) else "differs"}">{_e(shown)}</td>'


def _feed_card(feed: FeedReconciliation) -> str:
    sides = (feed.journal, feed.files, feed.manifests)
    names = sorted({name for side in sides for name in side.totals})
    rows = "".join(f"<tr>{label}{''.join(_cell(s, feed.journal, name) for s in sides)}</tr>"
                   for label, name in [("<th scope=row>Records</th>", None),
                                       *((f"<th scope=row class=column>{_e(n)}</th>", n) for n in names)])
    state = "agrees" if feed.agrees else _count(len(feed.breaks), "break")
    files = "".join(f"<li>{_e(name)}</li>" for name in feed.file_names) or "<li class=none>no files delivered</li>"
    return (f'<article class="feed"><h3>{_e(feed.partner)} <span class="sep">/</span> {_e(feed.feed)} '
            f'<span class="pill {"ok" if feed.agrees else "bad"}">{_e(state)}</span></h3>'
            '<table class="sides"><thead><tr><th></th><th>Journal</th><th>Files</th><th>Manifests</th></tr></thead>'
            f'<tbody>{rows}</tbody></table><p class="files-label">Files</p><ul class="files">{files}</ul></article>')


def _feeds_section(feeds: Sequence[FeedReconciliation]) -> str:
    if not feeds:
        return ""
    cards = "".join(_feed_card(f) for f in feeds)
    return (f'<section class="card"><h2>Partner feeds</h2><p class="meaning">Each side\'s records and money totals; '
            f'a highlighted value differs from the journal.</p><div class="feeds">{cards}</div></section>')


_CSS = """
:root{color-scheme:light;--ink:#18202b;--muted:#5d6776;--line:#e2e6ec;--wash:#f3f5f8;--paper:#fff;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
--ok:#17704a;--ok-wash:#e3f3ea;--bad:#b42318;--bad-wash:#fdebe9;--differs:#fff1cc;--journal:#1f4e8c;--files:#63a9cf}
*{box-sizing:border-box}
body{margin:0;background:var(--wash);color:var(--ink);font:15px/1.5 var(--sans);font-variant-numeric:tabular-nums}
main{max-width:1200px;margin:0 auto;padding:28px 32px 56px}
h1{font-size:30px;line-height:1.2;margin:2px 0 4px}
h2{font-size:19px;margin:0 0 14px}
h3{font-size:16px;margin:0 0 4px}
.eyebrow{margin:0;color:var(--muted);font-size:13px;font-weight:600;letter-spacing:.06em;text-transform:uppercase}
.generated{margin:0;color:var(--muted)}
.masthead{margin-bottom:18px}
.banner{display:flex;align-items:center;gap:16px;padding:16px 22px;border-radius:12px;margin-bottom:18px;
border:1px solid;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.banner strong{display:block;font-size:24px;line-height:1.2}
.banner.ok{background:var(--ok-wash);border-color:#a9dbbf;color:var(--ok)}
.banner.bad{background:var(--bad-wash);border-color:#f4b8b1;color:var(--bad)}
.banner span:not(.mark){color:var(--ink)}
.mark{flex:none;display:grid;place-items:center;width:42px;height:42px;border-radius:50%;color:#fff;font-size:24px;
font-weight:700}
.ok .mark{background:var(--ok)}
.bad .mark{background:var(--bad)}
.stats{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin:0 0 18px}
.stat{background:var(--paper);border:1px solid var(--line);border-radius:12px;padding:14px 18px}
.stat dt{color:var(--muted);font-size:13px;font-weight:600}
.stat dd{margin:2px 0 0;font-size:26px;font-weight:650}
.stat dd.bad{color:var(--bad)}
.stat dd.ok{color:var(--ok)}
.stat dd.note{font-size:13px;font-weight:400;color:var(--muted)}
.card{background:var(--paper);border:1px solid var(--line);border-radius:12px;padding:20px 24px;margin-bottom:18px}
.chart-frame{overflow-x:auto}
svg.chart{display:block;height:auto}
svg .journal{fill:var(--journal)}
svg .files{fill:var(--files)}
svg .grid{stroke:var(--line);stroke-width:1}
svg .axis{stroke:#9aa3af;stroke-width:1.5}
svg text{font-family:inherit;fill:var(--ink)}
svg .tick{font-size:13px;fill:var(--muted)}
svg .axis-label{font-size:13px;fill:var(--muted);font-weight:600}
svg .value{font-size:13px;font-weight:600}
svg .value.off{fill:var(--bad)}
svg .legend{font-size:14px}
svg .partner{font-size:14px;font-weight:650}
svg .feed{font-size:13px;fill:var(--muted)}
svg .pill-ok{fill:var(--ok)}
svg .pill-bad{fill:var(--bad)}
svg .pill-text{font-size:13px;font-weight:700;fill:#fff}
.meaning{margin:0 0 10px;color:var(--muted)}
.empty{margin:0;color:var(--muted)}
.kind+.kind{margin-top:22px}
.count{display:inline-block;min-width:24px;padding:0 8px;border-radius:12px;background:var(--bad-wash);
color:var(--bad);font-size:13px;text-align:center;vertical-align:2px}
.count.ok{background:var(--ok-wash);color:var(--ok)}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:12px;letter-spacing:.04em;text-transform:uppercase;color:var(--muted);border-bottom-width:2px}
table.breaks{table-layout:fixed}
table.breaks col.scope{width:19%}
table.breaks col.key{width:23%}
table.breaks col.contract{width:14%}
table.breaks td{overflow-wrap:anywhere;vertical-align:baseline}
.mono,.files,.column{font-family:var(--mono);font-size:13.5px;overflow-wrap:anywhere}
.feeds{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:16px}
.feed{border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.feed h3{display:flex;align-items:center;gap:6px;flex-wrap:wrap}
.sep{color:var(--muted);font-weight:400}
.pill{margin-left:auto;padding:1px 10px;border-radius:12px;font-size:12px;font-weight:700}
.pill.ok{background:var(--ok-wash);color:var(--ok)}
.pill.bad{background:var(--bad-wash);color:var(--bad)}
table.sides td{text-align:right;white-space:nowrap}
table.sides th,table.sides td{vertical-align:baseline}
table.sides thead th:not(:first-child){text-align:right}
table.sides th[scope=row]{font-weight:500;color:var(--muted)}
td.differs{background:var(--differs);font-weight:700}
.files-label{margin:10px 0 2px;font-size:12px;font-weight:600;letter-spacing:.04em;text-transform:uppercase;
color:var(--muted)}
.files{margin:0;padding-left:18px;color:var(--muted)}
.files .none{font-family:var(--sans);font-style:italic}
@media print{body{background:#fff;font-size:12px}main{max-width:none;padding:0}
.card,.stat,.feed{border-color:#ccc;break-inside:avoid}.card{padding:12px 0;border:0}
svg.chart{min-width:0!important;width:100%}.chart-frame{overflow:visible}
tr{break-inside:avoid}thead{display:table-header-group}
.stat dd{font-size:20px}td.differs,.pill,.count{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""
