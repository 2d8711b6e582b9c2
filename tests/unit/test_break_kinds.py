"""Breaks that say what broke, and nothing personal: money differences quote amounts, other columns are named
without their values, a file that does not parse is one break; every kind is documented, in the README and on
the report page, from one source."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from html import escape

import pytest

from function_app.adapters.reconciliation.page import render_html
from function_app.adapters.reconciliation.report import render_json
from function_app.domain.delivery.ascii import to_ascii
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.reconciliation.disclosure import shown, unreadable
from function_app.domain.reconciliation.model import (
    KIND_MEANINGS,
    Break,
    BreakKind,
    FeedReconciliation,
    ReconciliationReport,
    Side,
    merged,
)
from tests.unit.test_docs_tables import body_rows
from tests.unit.test_readme import README
from tests.unit.test_reconciliation import (
    FORMATS,
    PARTNER,
    blob,
    delivered_day,
    files_of,
    kinds,
    only_file,
    reconcile,
    record_line,
)

DAY = date(2026, 3, 2)


def test_the_readme_documents_every_kind_of_break_as_the_domain_means_it() -> None:
    documented = {row[0].strip("`"): row[1] for row in body_rows(README, "| kind | meaning |")}
    assert documented == {kind.value: KIND_MEANINGS[kind].meaning for kind in BreakKind}


def test_the_report_page_has_a_legend_of_every_kind() -> None:
    page = render_html(ReconciliationReport(DAY, "2026-03-03T08:00:00+00:00", (), (), 0))
    legend = page.split("What each kind of break means", 1)[1]
    for kind in BreakKind:
        assert f'id="legend-{kind.value.lower()}"' in legend
        assert escape(kind.label) in legend and escape(kind.meaning, quote=True) in legend


def brk(kind: BreakKind, key: str, detail: str, scope: str = "adm-01/csv") -> Break:
    return Break(kind, DAY, scope, key, key, detail)


def test_one_break_per_identity_with_the_details_of_each_fact() -> None:
    accepted = brk(BreakKind.MISSING, "VSC7000001", "VSC7000001 (CONTRACT_ACCEPTED at p1) is not in f")
    cancelled = brk(BreakKind.MISSING, "VSC7000001", "VSC7000001 (CONTRACT_CANCELLED at p2) is not in f")
    late = brk(BreakKind.LATE, "VSC7000001", "late")
    assert merged([accepted, cancelled, late, accepted]) == (
        brk(BreakKind.MISSING, "VSC7000001", f"{accepted.detail}; {cancelled.detail}"), late)
    feed = FeedReconciliation(PARTNER, "csv", Side(2), Side(0), Side(0), (), (accepted, cancelled, late))
    report = ReconciliationReport(DAY, "now", (feed,), (), 1)
    assert len(report.breaks) == len({b.identity for b in report.breaks}) == 2


def test_a_resolved_break_keeps_no_detail_in_the_report() -> None:
    resolved = brk(BreakKind.AMOUNT_MISMATCH, "VSC7000004", "customer_refund '1675.71' in the journal, '1775.71'")
    report = ReconciliationReport(DAY, "now", (), (), 0, (resolved,))
    assert report.resolved == (brk(BreakKind.AMOUNT_MISMATCH, "VSC7000004", ""),)
    assert "1775.71" not in render_json(report) and "1775.71" not in render_html(report)


def test_a_record_shown_withholds_all_but_its_contract_and_amounts() -> None:
    fields = ["contract_number", "customer_last_name", "vin", "sale_date", "retail_price", "lienholder_name"]
    text = shown(fields, ("VSC7000001", "Núñez", "4T1BF1FK3GU123456", "2025-01-15", "2495.00", ""))
    assert text == ("(contract_number 'VSC7000001', customer_last_name (withheld), vin (withheld), "
                    "sale_date (withheld), retail_price '2495.00', lienholder_name (empty))")


@pytest.mark.parametrize(("message", "said"), [
    ("line 1: the header lists ['CONTRACT_ACCEPTED', 'Núñez', \"O'Neil\"], the feed's fields are ['vin']",
     "line 1: the header lists […, …, …], the feed's fields are […]"),
    ("record 3: retail_price 'Núñez' is not an amount", "record 3: retail_price … is not an amount"),
    ("line 4: 300 characters, the feed's lines have 301", "line 4: 300 characters, the feed's lines have 301"),
])
def test_why_a_file_does_not_parse_is_said_without_what_it_holds(message: str, said: str) -> None:
    assert unreadable(ValueError(message), b"x") == said
    assert unreadable(ValueError(message), "\ufeffx".encode()) == f"it begins with a byte order mark ({said})"


def personal(facts: Iterable[JournalFact], contract: str) -> tuple[str, str]:
    """The contract's customer last name and VIN, as the journal holds them."""
    data = next(f for f in facts if f.contract_number == contract).data["contract"]
    return data["customer"]["last_name"], data["vehicle"]["vin"]


@pytest.mark.parametrize("name", FORMATS)
def test_a_vin_and_a_name_changed_name_the_record_and_columns_not_the_values(name: str) -> None:
    exchange, _ = delivered_day()
    file = only_file(exchange, name)
    data = blob(exchange, file)
    assert data is not None
    last_name, vin = personal(exchange.journal.read(DAY), "VSC7000004")
    last_name = to_ascii(last_name) if name == "fixed" else last_name
    line = record_line(name, data, "VSC7000004", "CONTRACT_CANCELLED")
    new_vin, new_name = vin[:-1] + ("0" if vin[-1] != "0" else "1"), "Q" + last_name[1:]
    edited = line.replace(vin, new_vin).replace(last_name, new_name).replace("1675.71", "1775.71")
    files_of(exchange).blobs[(PARTNER, file)] = data.replace(line.encode(), edited.encode())
    result = reconcile(exchange, name)
    [record] = [b for b in result.breaks if b.kind is BreakKind.RECORD_MISMATCH]
    assert (record.key, record.contract_number) == ("VSC7000004", "VSC7000004")
    assert re.search(rf"differs in {re.escape(file)} record \d+ in customer_last_name, vin \(values not shown\)$",
                     record.detail)
    [amount] = [b for b in result.breaks if b.kind is BreakKind.AMOUNT_MISMATCH and b.key == "VSC7000004"]
    assert "customer_refund '1675.71' in the journal, '1775.71' in the file" in amount.detail
    assert not [value for b in result.breaks for value in (vin, new_vin, last_name, new_name) if value in b.detail]


def unparsable(name: str, data: bytes, how: str) -> bytes:
    lines = data.split(b"\n")
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "blank line":
        return b"\n".join([*lines[:2], b"", *lines[2:]])
    return b"\n".join([*lines[:2], lines[2][: len(lines[2]) // 2], *lines[3:]])  # a record cut short


@pytest.mark.parametrize(("name", "how"), [
    ("csv", "bom"), ("fixed", "bom"), ("jsonl", "bom"), ("csv", "blank line"), ("fixed", "blank line"),
    ("csv", "cut line"), ("fixed", "cut line"), ("jsonl", "cut line"),
])
def test_a_file_that_does_not_parse_is_one_break_for_the_file(name: str, how: str) -> None:
    exchange, _ = delivered_day()
    file = only_file(exchange, name)
    data = blob(exchange, file)
    assert data is not None
    files_of(exchange).blobs[(PARTNER, file)] = unparsable(name, data, how)
    result = reconcile(exchange, name)
    assert BreakKind.MISSING not in kinds(result), "its records are not missing: they cannot be read"
    [unread] = [b for b in result.breaks if b.kind is BreakKind.UNREADABLE_FILE]
    assert (unread.key, unread.contract_number) == (file, None)
    assert unread.detail.startswith(f"{file} cannot be read as {name}: ")
    assert ("byte order mark" in unread.detail) is (how == "bom")
    last_name, vin = personal(exchange.journal.read(DAY), "VSC7000000")
    assert vin not in unread.detail and last_name not in unread.detail and "Núñez" not in unread.detail
