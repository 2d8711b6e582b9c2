"""Cancellation refunds: the worked examples of REFUNDS.md, hand-computed edge cases, and properties."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from function_app.domain.kernel.catalogue import (
    DEFAULT_CATALOGUE,
    Catalogue,
    ProductTerms,
    ProductType,
    RefundMethod,
    catalogue_from_overrides,
)
from function_app.domain.kernel.feedback import Payee
from function_app.domain.kernel.money import money_str, parse_money, round_cents
from function_app.domain.realtime.refunds import (
    CANCEL_REASONS,
    CancellationFacts,
    RefundQuote,
    RefundTerms,
    add_months,
    quote_refund,
)

VSC = RefundTerms(
    product_type=ProductType.VSC,
    retail=Decimal("2495.00"),
    cost=Decimal("1100.00"),
    term_months=60,
    term_miles=60_000,
    sale_date=date(2025, 1, 15),
    effective_date=date(2025, 1, 15),
    sale_odometer=12_000,
    has_lienholder=False,
)
MID_TERM = CancellationFacts(date(2026, 3, 2), 30_500, "CUSTOMER_REQUEST")
FREE_LOOK = CancellationFacts(date(2025, 3, 1), 13_000, "CUSTOMER_REQUEST")

GAP = RefundTerms(
    product_type=ProductType.GAP,
    retail=Decimal("600.00"),
    cost=Decimal("240.00"),
    term_months=12,
    term_miles=None,
    sale_date=date(2025, 1, 15),
    effective_date=date(2025, 1, 15),
    sale_odometer=5_000,
    has_lienholder=True,
)
GAP_WITHOUT_FREE_LOOK: Catalogue = {
    **DEFAULT_CATALOGUE,
    ProductType.GAP: replace(DEFAULT_CATALOGUE[ProductType.GAP], free_look_days=0),
}

FIGURES = (
    "gross_refund",
    "cancellation_fee",
    "claims_deducted",
    "customer_refund",
    "provider_refund",
    "dealer_chargeback",
)


def figures(quote: RefundQuote) -> tuple[str, ...]:
    refund = quote.to_json()
    return tuple(str(refund[name]) for name in FIGURES)


# --- the worked examples -------------------------------------------------------------------------------


def test_worked_example_mid_term_is_used_up_by_mileage() -> None:
    quote = quote_refund(VSC, MID_TERM)

    assert quote.unearned_fraction == Fraction(41_500, 60_000)
    assert quote.to_json() == {
        "method": "PRO_RATA",
        "unearned_fraction": "0.691667",
        "days_used": 411,
        "miles_used": 18_500,
        "gross_refund": "1725.71",
        "cancellation_fee": "50.00",
        "claims_deducted": "0.00",
        "customer_refund": "1675.71",
        "provider_refund": "760.83",
        "dealer_chargeback": "914.88",
        "payee": "CUSTOMER",
        "state_rule": None,
    }


def test_worked_example_free_look() -> None:
    quote = quote_refund(VSC, FREE_LOOK)

    assert quote.unearned_fraction == 1
    assert quote.to_json() == {
        "method": "PRO_RATA",
        "unearned_fraction": "1.000000",
        "days_used": 45,
        "miles_used": 1_000,
        "gross_refund": "2495.00",
        "cancellation_fee": "0.00",
        "claims_deducted": "0.00",
        "customer_refund": "2495.00",
        "provider_refund": "1100.00",
        "dealer_chargeback": "1395.00",
        "payee": "CUSTOMER",
        "state_rule": None,
    }


@pytest.mark.parametrize(
    ("term_miles", "odometer"),
    [(None, 30_500), (60_000, 12_100)],
    ids=["no mileage term", "mileage below time"],
)
def test_time_used_is_days_over_the_1826_day_term(term_miles: int | None, odometer: int) -> None:
    quote = quote_refund(replace(VSC, term_miles=term_miles), replace(MID_TERM, odometer=odometer))

    assert quote.unearned_fraction == 1 - Fraction(411, 1826)
    assert figures(quote) == ("1933.42", "50.00", "0.00", "1883.42", "852.41", "1031.01")


# --- PRO_RATA edges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cancel",
    [
        CancellationFacts(date(2030, 1, 15), 20_000, "CUSTOMER_REQUEST"),
        CancellationFacts(date(2031, 6, 1), 20_000, "CUSTOMER_REQUEST"),
        CancellationFacts(date(2026, 3, 2), 80_000, "CUSTOMER_REQUEST"),
    ],
    ids=["at expiry", "after expiry", "past the mileage term"],
)
def test_a_used_up_contract_refunds_nothing(cancel: CancellationFacts) -> None:
    quote = quote_refund(VSC, cancel)

    assert quote.unearned_fraction == 0
    assert figures(quote) == ("0.00",) * 6


def test_cancelling_before_the_effective_date_uses_no_days() -> None:
    waiting = replace(VSC, effective_date=date(2025, 4, 15))

    quote = quote_refund(waiting, CancellationFacts(date(2025, 4, 1), 12_000, "TRADE_IN"))

    assert (quote.days_used, quote.miles_used, quote.unearned_fraction) == (0, 0, Fraction(1))
    assert figures(quote) == ("2495.00", "50.00", "0.00", "2445.00", "1100.00", "1345.00")


# --- free look -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cancel_date", "claims", "free_look"),
    [
        (date(2025, 1, 15), "0.00", True),
        (date(2025, 3, 16), "0.00", True),
        (date(2025, 3, 17), "0.00", False),
        (date(2025, 3, 1), "0.01", False),
    ],
    ids=["day of sale", "day 60", "day 61", "any claim"],
)
def test_free_look_window(cancel_date: date, claims: str, free_look: bool) -> None:
    cancel = CancellationFacts(cancel_date, 12_000, "CUSTOMER_REQUEST", Decimal(claims))

    quote = quote_refund(VSC, cancel)

    assert (quote.unearned_fraction == 1) is free_look
    assert (quote.cancellation_fee == 0) is free_look


def test_a_claim_voids_the_free_look() -> None:
    quote = quote_refund(VSC, replace(FREE_LOOK, claims_paid=Decimal("100.00")))

    assert quote.unearned_fraction == Fraction(1781, 1826)
    assert quote.to_json()["unearned_fraction"] == "0.975356"
    assert figures(quote) == ("2433.51", "50.00", "100.00", "2283.51", "1072.89", "1210.62")


# --- fee then claims -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ("500.00", ("1725.71", "50.00", "500.00", "1175.71", "760.83", "414.88")),
        ("1000.00", ("1725.71", "50.00", "1000.00", "675.71", "675.71", "0.00")),
        ("1675.71", ("1725.71", "50.00", "1675.71", "0.00", "0.00", "0.00")),
        ("1700.00", ("1725.71", "50.00", "1675.71", "0.00", "0.00", "0.00")),
    ],
)
def test_claims_are_deducted_after_the_fee_and_never_below_zero(
    claims: str, expected: tuple[str, ...]
) -> None:
    quote = quote_refund(VSC, replace(MID_TERM, claims_paid=Decimal(claims)))

    assert figures(quote) == expected


# --- RULE_OF_78 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cancel_date", "unearned", "unearned_text", "expected"),
    [
        (
            date(2025, 4, 14),
            Fraction(110, 156),
            "0.705128",
            ("423.08", "25.00", "398.08", "169.23", "228.85"),
        ),
        (date(2025, 4, 15), Fraction(90, 156), "0.576923", ("346.15", "25.00", "321.15", "138.46", "182.69")),
        (date(2026, 1, 14), Fraction(2, 156), "0.012821", ("7.69", "7.69", "0.00", "0.00", "0.00")),
        (date(2026, 1, 15), Fraction(0), "0.000000", ("0.00", "0.00", "0.00", "0.00", "0.00")),
        (date(2027, 6, 1), Fraction(0), "0.000000", ("0.00", "0.00", "0.00", "0.00", "0.00")),
    ],
    ids=["day before month 3", "month 3 anniversary", "fee capped at gross", "at expiry", "beyond expiry"],
)
def test_gap_rule_of_78(
    cancel_date: date, unearned: Fraction, unearned_text: str, expected: tuple[str, ...]
) -> None:
    quote = quote_refund(GAP, CancellationFacts(cancel_date, 30_000, "LOAN_PAYOFF"))

    assert quote.method is RefundMethod.RULE_OF_78
    assert quote.unearned_fraction == unearned
    assert quote.to_json()["unearned_fraction"] == unearned_text
    gross, fee, customer, provider, chargeback = expected
    assert figures(quote) == (gross, fee, "0.00", customer, provider, chargeback)


@pytest.mark.parametrize(
    ("effective", "cancel_date", "months_used"),
    [
        (date(2025, 1, 31), date(2025, 2, 27), 0),
        (date(2025, 1, 31), date(2025, 2, 28), 1),
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2024, 1, 31), date(2024, 2, 29), 1),
        (date(2024, 1, 31), date(2024, 3, 30), 1),
        (date(2024, 1, 31), date(2024, 3, 31), 2),
        (date(2024, 2, 29), date(2025, 2, 28), 12),
    ],
)
def test_gap_months_clamp_to_month_end(effective: date, cancel_date: date, months_used: int) -> None:
    gap = replace(GAP, term_months=24, sale_date=effective, effective_date=effective)

    quote = quote_refund(gap, CancellationFacts(cancel_date, 0, "LOAN_PAYOFF"), GAP_WITHOUT_FREE_LOOK)

    remaining = 24 - months_used
    assert quote.unearned_fraction == Fraction(remaining * (remaining + 1), 24 * 25)


def test_gap_ignores_mileage() -> None:
    with_miles = replace(GAP, term_miles=10_000)
    cancel = CancellationFacts(date(2025, 4, 15), 900_000, "LOAN_PAYOFF")

    quote = quote_refund(with_miles, cancel)

    assert quote.unearned_fraction == Fraction(90, 156)
    assert quote.miles_used == 895_000


def test_gap_cancelled_before_its_effective_date_is_wholly_unearned() -> None:
    late_start = replace(GAP, effective_date=date(2025, 3, 1))

    quote = quote_refund(late_start, CancellationFacts(date(2025, 2, 20), 5_000, "TRADE_IN"))

    assert quote.unearned_fraction == 1
    assert quote.cancellation_fee == Decimal("25.00")


# --- payee ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("has_lienholder", [True, False])
@pytest.mark.parametrize("reason", CANCEL_REASONS)
def test_lienholder_is_paid_only_on_total_loss_or_repossession(reason: str, has_lienholder: bool) -> None:
    quote = quote_refund(
        replace(GAP, has_lienholder=has_lienholder), CancellationFacts(date(2025, 6, 1), 0, reason)
    )

    to_lienholder = has_lienholder and reason in ("TOTAL_LOSS", "REPOSSESSION")
    assert quote.payee is (Payee.LIENHOLDER if to_lienholder else Payee.CUSTOMER)


# --- catalogue overrides -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "cancel", "unearned", "expected"),
    [
        ({"cancellation_fee": "0.00"}, MID_TERM, Fraction(83, 120), ("1725.71", "0.00", "1725.71", "760.83")),
        ({"free_look_days": 30}, FREE_LOOK, Fraction(1781, 1826), ("2433.51", "50.00", "2383.51", "1072.89")),
        (
            {"method": "RULE_OF_78"},
            MID_TERM,
            Fraction(47 * 48, 60 * 61),
            ("1537.90", "50.00", "1487.90", "678.03"),
        ),
    ],
    ids=["no fee", "shorter free look", "rule of 78"],
)
def test_catalogue_overrides_change_the_quote(
    fields: dict[str, object], cancel: CancellationFacts, unearned: Fraction, expected: tuple[str, ...]
) -> None:
    catalogue = catalogue_from_overrides({"VSC": fields})

    quote = quote_refund(VSC, cancel, catalogue)

    assert quote.unearned_fraction == unearned
    gross, fee, customer, provider = expected
    assert figures(quote)[:5] == (gross, fee, "0.00", customer, provider)


# --- calendar months and money rounding ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 1, 15), 60, date(2030, 1, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 5, 20), 0, date(2025, 5, 20)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1, 200), "0.01"),
        (Fraction(-1, 200), "-0.01"),
        (Fraction(1, 201), "0.00"),
        (Fraction(41_417, 24), "1725.71"),
        (Decimal("2.675"), "2.68"),
        (Decimal("0"), "0.00"),
        (Decimal("-0.004"), "0.00"),
        (Decimal("1E+3"), "1000.00"),
    ],
)
def test_round_cents_is_exact_half_up(value: Decimal | Fraction, expected: str) -> None:
    rounded = round_cents(value)

    assert rounded == Decimal(expected)
    assert money_str(rounded) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1725.71", Decimal("1725.71")), ("0.00", Decimal("0")), ("007.50", Decimal("7.50"))]
    + [(bad, None) for bad in ("-1.00", "+1.00", "1.0", "1.000", "1", ".50", "1,00", " 1.00", "1.00\n", "")],
)
def test_parse_money_takes_exactly_two_places(text: str, expected: Decimal | None) -> None:
    assert parse_money(text) == expected


# --- properties over random contracts ------------------------------------------------------------------


def money(max_value: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=max_value, places=2)


@st.composite
def contracts(draw: st.DrawFn) -> RefundTerms:
    sale = draw(st.dates(date(2015, 1, 1), date(2035, 12, 31)))
    return RefundTerms(
        product_type=draw(st.sampled_from(ProductType)),
        retail=draw(money(20_000)),
        cost=draw(money(20_000)),
        term_months=draw(st.integers(1, 120)),
        term_miles=draw(st.none() | st.integers(1, 200_000)),
        sale_date=sale,
        effective_date=sale + timedelta(days=draw(st.integers(0, 120))),
        sale_odometer=draw(st.integers(0, 300_000)),
        has_lienholder=draw(st.booleans()),
    )


@st.composite
def cancellations(draw: st.DrawFn, terms: RefundTerms) -> CancellationFacts:
    return CancellationFacts(
        cancel_date=terms.sale_date + timedelta(days=draw(st.integers(0, 12_000))),
        odometer=terms.sale_odometer + draw(st.integers(0, 400_000)),
        reason=draw(st.sampled_from(CANCEL_REASONS)),
        claims_paid=draw(st.just(Decimal("0")) | money(30_000)),
    )


@st.composite
def catalogues(draw: st.DrawFn) -> Catalogue:
    product_terms = st.builds(ProductTerms, st.sampled_from(RefundMethod), st.integers(0, 365), money(500))
    return {product_type: draw(product_terms) for product_type in ProductType}


@st.composite
def quotes(draw: st.DrawFn) -> tuple[RefundTerms, RefundQuote]:
    terms = draw(contracts())
    catalogue = draw(st.just(DEFAULT_CATALOGUE) | catalogues())
    return terms, quote_refund(terms, draw(cancellations(terms)), catalogue)


@given(quotes())
def test_refund_figures_hold_together(case: tuple[RefundTerms, RefundQuote]) -> None:
    terms, quote = case
    amounts = [getattr(quote, name) for name in FIGURES]

    assert 0 <= quote.unearned_fraction <= 1
    assert all(amount >= 0 for amount in amounts)
    assert all(amount.as_tuple().exponent == -2 for amount in amounts)
    assert quote.customer_refund <= terms.retail
    assert quote.provider_refund + quote.dealer_chargeback == quote.customer_refund
    assert quote.provider_refund <= round_cents(Fraction(terms.cost) * quote.unearned_fraction)
    assert quote.gross_refund - quote.cancellation_fee - quote.claims_deducted == quote.customer_refund


@given(contracts(), st.data())
def test_rule_of_78_counts_whole_months_elapsed(terms: RefundTerms, data: st.DataObject) -> None:
    gap = replace(terms, product_type=ProductType.GAP)
    cancel = data.draw(cancellations(gap))

    quote = quote_refund(gap, cancel, GAP_WITHOUT_FREE_LOOK)

    n = gap.term_months
    k = next(k for k in range(n, -1, -1) if k == 0 or add_months(gap.effective_date, k) <= cancel.cancel_date)
    assert quote.unearned_fraction == Fraction((n - k) * (n - k + 1), n * (n + 1))
