"""REFUND_OVERDUE on the operator's page and in `fnix reconcile`'s table: the contract, the state rule and the days
overdue, under the kind's meaning from KIND_MEANINGS, and in the banner and the summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from html import escape

from function_app.adapters.reconciliation.page import render_html
from function_app.adapters.reconciliation.report import render_table
from function_app.domain.reconciliation.model import KIND_MEANINGS, BreakKind, ReconciliationReport
from function_app.domain.reconciliation.refunds_overdue import overdue_breaks
from tests.refunds_owed import DECIDED, owing
from tests.unit.test_reconciliation_report import agreeing_report, parse

NUMBER = "VSC8000001"


def overdue_report() -> ReconciliationReport:
    overdue = overdue_breaks([owing(NUMBER, rule="CA")], DECIDED + timedelta(days=42))
    return replace(agreeing_report(), business_date=date(2026, 4, 12), refunds_overdue=overdue)


def section(html: str, kind: BreakKind) -> str:
    start = html.index(f'id="kind-{kind.value.lower()}"')
    return html[start : html.index("</table>", start)]


def test_the_page_shows_each_refund_overdue_with_its_contract_rule_and_days() -> None:
    html = render_html(overdue_report())
    assert parse(html).problems == []
    shown = section(html, BreakKind.REFUND_OVERDUE)
    assert "Refund overdue" in shown and escape(KIND_MEANINGS[BreakKind.REFUND_OVERDUE].meaning, quote=True) in shown
    assert NUMBER in shown and "state rule CA" in shown and "12 days overdue" in shown


def test_the_banner_and_the_summary_count_the_refunds_overdue() -> None:
    text = "".join(parse(render_html(overdue_report())).text)
    assert "In the refunds owed." in text
    assert "Refunds overdue" in text
    assert "Refunds overdue" in "".join(parse(render_html(agreeing_report())).text)  # shown as none when none


def test_the_legend_explains_refund_overdue_even_when_none_is_found() -> None:
    assert KIND_MEANINGS[BreakKind.REFUND_OVERDUE].label in "".join(parse(render_html(agreeing_report())).text)


def test_the_terminal_table_lists_it_by_kind() -> None:
    table = render_table(overdue_report())
    [line] = [line for line in table.splitlines() if line.startswith("REFUND_OVERDUE")]
    assert NUMBER in line and "12 days overdue" in line
    assert table.rstrip().endswith("verdict: 1 break")
