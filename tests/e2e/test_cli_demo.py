"""`fnix demo` (what `./dev demo` runs) on Azurite, read as a newcomer reads it: the desk's section shows a quote
and the refund of the cancellation that follows it agreeing, a state rule capping a fee, a lender's repossession
that the night's file of the lender then holds, and a refund overdue that reconciliation reports and, once the
back office reports it paid, resolves; the day's own reconciliation stays about its files."""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from fnix.cli import main
from fnix.demo import run_tag
from fnix.demo_desk import FIGURES
from fnix.dev.azurite import Azurite

from function_app.bootstrap import bootstrap, exchange
from function_app.config import Settings, load_settings
from function_app.domain.reconciliation.model import BreakKind
from tests.conftest import fresh_namespace

SEED = 11
TAG = run_tag(SEED)
DEALER, STATE, LENDER = f"VSC-{TAG}-DESK1", f"VSC-{TAG}-DESK2", f"GAP-{TAG}-DESK3"
ROW = re.compile(r"^ +(quote \(API\)|refund \(feedback\)) +(.+)$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, azurite: Azurite) -> tuple[str, Settings]:
    """One demo run for the module's tests (it takes a while), as `on_azurite` runs the CLI: its stdout, and the
    settings of the storage it used."""
    settings = replace(load_settings({}), storage_connection=azurite.endpoints.connection_string,
                       namespace=fresh_namespace())
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("AzureWebJobsStorage", settings.storage_connection or "")
        monkeypatch.setenv("STORAGE_NAMESPACE", settings.namespace)
        exchange.cache_clear()
        try:
            with (folder / "stdout.txt").open("w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
                code = main(["demo", "--contracts", "20", "--seed", str(SEED), "--out", str(folder / "out")])
        finally:
            exchange.cache_clear()
    assert code == 0
    return (folder / "stdout.txt").read_text(encoding="utf-8"), settings


def desk(output: str) -> str:
    assert "\nAt the desk:" in output
    section = output.split("\nAt the desk:", 1)[1].split("\nThe night's partner files", 1)[0]
    assert "\nThe night's partner files" in output.split("\nAt the desk:", 1)[1]  # the desk before the delivery
    return section


def scene(output: str, number: int) -> str:
    return desk(output).split(f"\n  {number}. ", 1)[1].split(f"\n  {number + 1}. ", 1)[0]


def rows_of(text: str) -> dict[str, list[str]]:
    return {m[1]: m[2].split() for line in text.splitlines() if (m := ROW.match(line))}


@pytest.mark.parametrize(("number", "contract", "payee", "rule"), [
    (1, DEALER, "CUSTOMER", "-"), (2, STATE, "CUSTOMER", "CA"), (3, LENDER, "LIENHOLDER", "-")])
def test_each_quote_over_http_is_the_refund_its_cancellation_got(demo: tuple[str, Settings], number: int,
                                                                   contract: str, payee: str, rule: str) -> None:
    output, settings = demo
    text = scene(output, number)
    assert contract in text
    rows = rows_of(text)
    quoted, refunded = rows["quote (API)"], rows["refund (feedback)"]
    assert quoted == refunded
    assert (quoted[-2], quoted[-1]) == (payee, rule)
    assert "quote and refund agree to the cent, every figure" in text and "DISAGREE" not in text
    stored = bootstrap(settings).contracts.load([contract], {}).contracts[contract].record
    assert stored.cancellation is not None
    figures = stored.cancellation.refund.to_json()
    assert ["-" if figures[name] is None else str(figures[name]) for name in FIGURES] == refunded


def test_the_state_rule_lowers_the_catalogue_s_fee(demo: tuple[str, Settings]) -> None:
    text = scene(demo[0], 2)
    assert "max_fee 25.00, max_fee_percent 10, refund_due_days 30" in text
    catalogue = next(line for line in text.splitlines() if "the catalogue alone, no state rules" in line).split()
    ruled = next(line for line in text.splitlines() if "the quote, under the state rules" in line).split()
    assert catalogue[-4:] == ["1651.40", "50.00", "1601.40", "-"]
    assert ruled[-4:] == ["1651.40", "25.00", "1626.40", "CA"]


def test_the_lender_s_repossession_is_in_the_lender_s_file_of_the_night(demo: tuple[str, Settings]) -> None:
    output, settings = demo
    built = bootstrap(settings)
    day = datetime.now(settings.zone).date()
    [record] = [r for r in built.deliveries.files("lender-fpcu", "nightly-cancellations") if r.business_date == day]
    lines = built.partner_files.read("lender-fpcu", record.blob_name).decode("utf-8").splitlines()
    header = lines[0].split(",")
    [row] = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:] if LENDER in line]
    assert (row["cancel_reason"], row["cancelled_by"], row["cancelled_by_code"], row["payee"]) == (
        "REPOSSESSION", "LENDER", "FPCU", "LIENHOLDER")
    shown = output.split("The desk's repossession in lender-fpcu's file ", 1)[1]
    assert shown.startswith(record.blob_name) and f"{day},{LENDER},D10442,GAP" in shown


def test_a_refund_overdue_is_reported_then_resolved_once_paid(demo: tuple[str, Settings]) -> None:
    output, settings = demo
    text = scene(output, 4)
    day = datetime.now(settings.zone).date()
    due = day + timedelta(days=30)
    assert f"REFUND_OVERDUE  {STATE}: the refund of its cancellation (state rule CA) was due by {due}" in text
    assert f"refund_paid_date {(due + timedelta(days=1) - date(1970, 1, 1)).days}" in text
    assert f"resolved REFUND_OVERDUE {STATE}; 0 overdue break(s) left for it" in text
    built = bootstrap(settings)
    stored = built.contracts.load([STATE], {}).contracts[STATE].record
    assert stored.source_of_record.refund_paid_date == due + timedelta(days=1)
    owed = {r.contract_number for r in built.contracts.refunds_owed()}
    assert not owed & {DEALER, STATE, LENDER}  # whatever the demo's date, the desk leaves no refund owed
    assert not [b for b in built.breaks.open_standing() if b.kind is BreakKind.REFUND_OVERDUE]


def test_the_day_s_own_reconciliation_reports_no_refund_overdue(demo: tuple[str, Settings]) -> None:
    output = demo[0]
    after_desk = output.split("\nThe night's partner files", 1)[1]
    assert BreakKind.REFUND_OVERDUE.value not in after_desk
    assert "after putting the files back: 0 break(s)" in after_desk
