"""The reconciliation report as an operator reads it: the terminal table, the JSON and the self-contained page."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

from function_app.adapters.reconciliation.page import TEMPLATES, render_html
from function_app.adapters.reconciliation.report import render_json, render_table, totals_agree, verdict
from function_app.domain.reconciliation.model import Break, BreakKind, FeedReconciliation, ReconciliationReport, Side
from tests.worker.package import ROOT, deployment_files

DAY = date(2026, 3, 2)
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("x")'


def brk(kind: BreakKind, scope: str, key: str, contract: str | None, detail: str) -> Break:
    return Break(kind, DAY, scope, key, contract, detail)


def sample_report() -> ReconciliationReport:
    """Four feeds (one agrees), every kind of break, hostile partner text, and a break resolved since last run."""
    toyota = "oem-toyota/nightly"
    admin, micro = "adm-01/nightly", "adm-01/micro"
    feeds = (
        FeedReconciliation(
            "oem-toyota", "nightly",
            Side(1240, {"dealer_cost": "612400.00", "retail_price": "1482310.50"}),
            Side(1238, {"dealer_cost": "611300.00", "retail_price": "1479815.50"}),
            Side(1238, {"dealer_cost": "611300.00", "retail_price": "1479815.50"}),
            ("oem-toyota/nightly/2026-03-02/fni_20260302_001.csv",),
            (brk(BreakKind.MISSING, toyota, "VSC4000017", "VSC4000017", "in the journal, absent from the file"),
             brk(BreakKind.MISSING, toyota, "VSC4000018", "VSC4000018", "in the journal, absent from the file"),
             brk(BreakKind.AMOUNT_MISMATCH, toyota, "fni_20260302_001.csv#control", None,
                 "retail_price control total 1479815.50, records sum to 1479815.05")),
        ),
        FeedReconciliation(
            "adm-01", "nightly",
            Side(412, {"customer_refund": "10450.00"}), Side(414, {"customer_refund": "10450.0"}),
            Side(414, {"customer_refund": "10450.00"}),
            ("adm-01/nightly/2026-03-02/part-1.dat", "adm-01/nightly/2026-03-02/part-2.dat"),
            (brk(BreakKind.DUPLICATE, admin, "part-2.dat#7", "VSC4100007", f"delivered twice {SCRIPT}"),
             brk(BreakKind.DUPLICATE, admin, "part-2.dat#8", "VSC4100008", "delivered twice: part-1.dat#3")),
        ),
        FeedReconciliation(
            "adm-01", "micro", Side(37, {"customer_refund": "812.40"}), Side(0), Side(0), (),
            (brk(BreakKind.LATE, micro, "adm-01/micro/2026-03-02", None, "SLA PT15M passed at 2026-03-02T23:59Z"),),
        ),
        FeedReconciliation("lender-ally", "weekly", Side(96, {"retail_price": "140220.00"}),
                           Side(96, {"retail_price": "140220.00"}), Side(96, {"retail_price": "140220.00"}),
                           ("lender-ally/weekly/2026-03-02/ally.jsonl",), ()),
    )
    source = (brk(BreakKind.STATUS_MISMATCH, "source-of-record", "VSC4000003", "VSC4000003",
                  f"exchange CANCELLED, back office ACTIVE; note {FORMULA}"),)
    resolved = (brk(BreakKind.MISSING, toyota, "VSC3999990", "VSC3999990", "in the journal, absent from the file"),)
    return ReconciliationReport(DAY, "2026-03-03T06:00:00+00:00", feeds, source, 1786, resolved)


def agreeing_report() -> ReconciliationReport:
    report = sample_report()
    return replace(report, feeds=report.feeds[3:], source_of_record=(), resolved=())


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Parses a page and records what the assertions need: problems with nesting, every element, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.open: list[str] = []
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []  # of the body, as the reader sees it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if "body" in self.open:
            self.text.append(data)

    def with_class(self, tag: str, cls: str) -> list[dict[str, str]]:
        return [attrs for t, attrs in self.elements if t == tag and cls in attrs.get("class", "").split()]


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


# ---- table -----------------------------------------------------------------------------------------------------------

def test_the_table_has_a_line_per_feed_the_source_of_record_the_breaks_and_a_verdict() -> None:
    lines = render_table(sample_report()).splitlines()
    assert lines[0] == "reconciliation 2026-03-02  generated 2026-03-03T06:00:00+00:00  1,786 contracts checked"
    assert lines[2].split() == ["partner", "feed", "journal", "records", "file", "records", "manifest", "records",
                                "totals", "agree", "breaks"]
    assert [line.split() for line in lines[3:7]] == [
        ["oem-toyota", "nightly", "1,240", "1,238", "1,238", "no", "3"],
        ["adm-01", "nightly", "412", "414", "414", "yes", "2"],
        ["adm-01", "micro", "37", "0", "0", "no", "1"],
        ["lender-ally", "weekly", "96", "96", "96", "yes", "0"],
    ]
    assert lines[8] == "source of record: 1 break"
    assert lines[10].split() == ["kind", "scope", "key", "contract", "detail"]
    breaks = lines[11:18]
    assert [line.split()[:3] for line in breaks] == [
        ["MISSING", "oem-toyota/nightly", "VSC4000017"], ["MISSING", "oem-toyota/nightly", "VSC4000018"],
        ["AMOUNT_MISMATCH", "oem-toyota/nightly", "fni_20260302_001.csv#control"],
        ["DUPLICATE", "adm-01/nightly", "part-2.dat#7"], ["DUPLICATE", "adm-01/nightly", "part-2.dat#8"],
        ["LATE", "adm-01/micro", "adm-01/micro/2026-03-02"], ["STATUS_MISMATCH", "source-of-record", "VSC4000003"],
    ]
    assert breaks[2].split()[3] == "-"  # a break without a contract
    assert breaks[3].endswith(f"delivered twice {SCRIPT}")
    assert lines[-2:] == ["", "verdict: 7 breaks"]


def test_numbers_are_right_aligned_under_their_headings() -> None:
    lines = render_table(sample_report()).splitlines()
    header, rows = lines[2], lines[3:7]
    for heading in ("journal records", "file records", "manifest records", "breaks"):
        end = header.index(heading) + len(heading)
        assert all(row[end - 1].isdigit() and row[end : end + 1] in ("", " ") for row in rows), heading


def test_a_table_that_agrees_says_so() -> None:
    table = render_table(agreeing_report())
    assert "source of record: agrees" in table
    assert "no breaks" in table
    assert table.endswith("verdict: agrees\n")


def test_partner_text_cannot_drive_the_terminal() -> None:
    report = sample_report()
    feed = replace(report.feeds[0], breaks=(brk(BreakKind.MISSING, "x/y", "k", None, "red \x1b[31mALERT\x07"),))
    table = render_table(replace(report, feeds=(feed,)))
    assert "\x1b" not in table and "\x07" not in table
    assert "red \\x1b[31mALERT\\x07" in table


def test_money_totals_agree_by_value_not_by_spelling() -> None:
    report = sample_report()
    assert [totals_agree(f) for f in report.feeds] == [False, True, False, True]
    assert verdict(report) == "7 breaks"
    assert verdict(agreeing_report()) == "agrees"
    assert verdict(replace(report, feeds=(), source_of_record=report.source_of_record)) == "1 break"


# ---- JSON ------------------------------------------------------------------------------------------------------------

def test_json_round_trips_the_key_fields() -> None:
    report = sample_report()
    text = render_json(report)
    assert text.endswith("}\n")
    raw = json.loads(text)
    assert raw["business_date"] == "2026-03-02"
    assert (raw["agrees"], raw["break_count"], raw["contracts_checked"]) == (False, 7, 1786)
    assert [(f["partner"], f["feed"], f["agrees"]) for f in raw["feeds"]] == [
        ("oem-toyota", "nightly", False), ("adm-01", "nightly", False), ("adm-01", "micro", False),
        ("lender-ally", "weekly", True)]
    assert raw["feeds"][0]["journal"] == {"records": 1240,
                                          "totals": {"dealer_cost": "612400.00", "retail_price": "1482310.50"}}
    assert [Break.from_json(b) for f in raw["feeds"] for b in f["breaks"]] == list(report.breaks[:-1])
    assert tuple(Break.from_json(b) for b in raw["source_of_record"]) == report.source_of_record
    assert tuple(Break.from_json(b) for b in raw["resolved"]) == report.resolved
    assert json.loads(render_json(report)) == raw  # stable


# ---- HTML ------------------------------------------------------------------------------------------------------------

def test_the_page_is_well_formed() -> None:
    for report in (sample_report(), agreeing_report(), replace(sample_report(), feeds=())):
        page = parse(render_html(report))
        assert page.problems == []
        assert page.open == [], "every tag is closed"
        assert [t for t, _ in page.elements][:3] == ["html", "head", "meta"]


def test_the_page_is_self_contained_and_has_no_scripts() -> None:
    html = render_html(sample_report())
    page = parse(html)
    assert not [t for t, _ in page.elements if t in {"script", "link", "img", "iframe", "object", "embed"}]
    assert not [attrs for _, attrs in page.elements if {"src", "href"} & attrs.keys()]
    assert not [attrs for _, attrs in page.elements if any(k.startswith("on") for k in attrs)]
    assert "url(" not in html and "@import" not in html and "://" not in html


def test_hostile_text_is_escaped_everywhere() -> None:
    report = sample_report()
    hostile = '"><svg onload=alert(2)>&'
    feed = replace(report.feeds[0], partner=hostile, feed=SCRIPT, file_names=(hostile,))
    html = render_html(replace(report, feeds=(feed, *report.feeds[1:]), generated_at=SCRIPT))
    assert "<script" not in html.lower()
    assert "<svg onload" not in html and "onload=alert(2)>" not in html.replace("&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "=HYPERLINK(&quot;x&quot;)" in html
    page = parse(html)
    assert page.problems == [] and page.open == []
    assert SCRIPT in "".join(page.text)  # shown to the reader as text, never run
    assert page.with_class("g", "feed-bars")[0]["data-feed"] == f"{hostile}/{SCRIPT}"


def test_the_summary_comes_first_with_the_verdict_in_a_banner() -> None:
    page = parse(render_html(sample_report()))
    text = " ".join(" ".join(page.text).split())
    assert text.index("Monday 2 March 2026") < text.index("7 breaks") < text.index("Contracts checked 1,786")
    assert "Partner feeds checked 4 1 agree" in text
    assert "Source of record 1 break" in text and "Resolved since last run 1" in text
    assert page.with_class("section", "banner") == [{"class": "banner bad", "role": "status"}]
    assert text.index("Resolved since last run 1") < text.index("Volumes and breaks") < text.index("Breaks by kind") \
        < text.index("Partner feeds Each side")


def test_a_page_that_agrees_has_a_green_banner() -> None:
    page = parse(render_html(agreeing_report()))
    assert page.with_class("section", "banner")[0]["class"] == "banner ok"
    assert "Agrees" in page.text
    assert page.with_class("table", "breaks") == []


def test_the_chart_has_one_bar_group_per_feed_and_says_what_it_shows() -> None:
    report = sample_report()
    page = parse(render_html(report))
    (svg,) = [attrs for tag, attrs in page.elements if tag == "svg"]
    assert svg["role"] == "img" and svg["aria-labelledby"] == "chart-title chart-desc"
    tags = [t for t, _ in page.elements]
    assert {"title", "desc"} <= set(tags[tags.index("svg"):])
    groups = page.with_class("g", "feed-bars")
    assert [g["data-feed"] for g in groups] == [f"{f.partner}/{f.feed}" for f in report.feeds]
    assert len(page.with_class("rect", "journal")) == len(page.with_class("rect", "files")) == len(report.feeds) + 1
    text = " ".join(page.text)
    assert "oem-toyota/nightly: journal 1,240 records, files 1,238 records, 3 breaks." in text
    assert "records" in page.text and "agrees" in page.text and "3 breaks" in page.text


def test_breaks_are_grouped_by_kind_with_their_contracts() -> None:
    page = parse(render_html(sample_report()))
    kinds = [attrs["id"] for attrs in page.with_class("div", "kind")]
    assert kinds == ["kind-missing", "kind-duplicate", "kind-amount_mismatch", "kind-late", "kind-status_mismatch"]
    text = page.text
    for contract in ("VSC4000017", "VSC4000018", "VSC4100007", "VSC4100008", "VSC4000003", "VSC3999990"):
        assert contract in text
    assert len(page.with_class("table", "breaks")) == 6  # five kinds, and the resolved


def test_each_feed_shows_its_sides_and_marks_what_differs() -> None:
    html = render_html(sample_report())
    page = parse(html)
    assert len(page.with_class("article", "feed")) == 4
    # toyota: records and both totals in files and manifests; adm-01 nightly: records only (10450.0 is 10450.00);
    # micro: records and its refund total, absent from both
    assert len(page.with_class("td", "differs")) == 6 + 2 + 4
    assert "1,482,310.50" in page.text and "no files delivered" in page.text
    assert "adm-01/nightly/2026-03-02/part-2.dat" in page.text


def test_the_page_template_ships_with_the_app() -> None:
    """Azure gets the templates in its package (.funcignore), and a wheel or an install as package data."""
    templates = sorted(path.relative_to(ROOT) for path in TEMPLATES.iterdir())
    assert [path.name for path in templates] == ["reconciliation.css", "reconciliation.html.j2"]
    assert set(templates) <= set(deployment_files())
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    for path in templates:
        inside = Path(*path.parts[1:]).as_posix()
        assert any(fnmatch.fnmatchcase(inside, glob) for glob in globs[path.parts[0]]), f"{path} is not package data"
        assert files("function_app").joinpath(inside).is_file()
