"""State rules applied in the refund function (REFUNDS.md rule 0): the spec's rules on the worked examples, and
properties over the random contracts of test_refunds.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from function_app.domain.kernel.catalogue import DEFAULT_CATALOGUE, Catalogue, ProductType, RefundMethod
from function_app.domain.kernel.state_rules import (
    NO_STATE_RULES,
    US_STATES,
    StateRules,
    state_rules_from_document,
)
from function_app.domain.realtime.refunds import CancellationFacts, RefundTerms, quote_refund
from tests.unit.test_refunds import (
    FREE_LOOK,
    GAP,
    GAP_WITHOUT_FREE_LOOK,
    MID_TERM,
    VSC,
    cancellations,
    catalogues,
    contracts,
    figures,
)
from tests.unit.test_state_rules import SPEC_EXAMPLE

SPEC_RULES = state_rules_from_document(SPEC_EXAMPLE)


def test_california_caps_the_vsc_fee_at_25_00_below_10_percent_of_a_large_refund() -> None:
    quote = quote_refund(replace(VSC, state="CA"), MID_TERM, state_rules=SPEC_RULES)
    # gross 1725.71: 10 % is 172.57, so 25.00 is the smallest of 50.00, 25.00 and 172.57
    assert figures(quote) == ("1725.71", "25.00", "0.00", "1700.71", "760.83", "939.88")
    assert quote.refund().state_rule == "CA"


def test_california_caps_the_fee_at_10_percent_of_a_small_refund_rounded_once_half_up() -> None:
    # cancelled before its effective date, outside the free look: the whole retail is unearned
    small = replace(VSC, state="CA", retail=Decimal("123.45"), cost=Decimal("60.00"), term_miles=None,
                    effective_date=date(2025, 6, 1))
    quote = quote_refund(small, CancellationFacts(date(2025, 5, 1), 12_000, "CUSTOMER_REQUEST"), state_rules=SPEC_RULES)
    assert quote.unearned_fraction == 1
    assert figures(quote) == ("123.45", "12.35", "0.00", "111.10", "60.00", "51.10")  # 12.345 → 12.35


def test_a_free_look_refund_keeps_no_fee_under_a_fee_cap() -> None:
    quote = quote_refund(replace(VSC, state="CA"), FREE_LOOK, state_rules=SPEC_RULES)
    assert figures(quote) == ("2495.00", "0.00", "0.00", "2495.00", "1100.00", "1395.00")
    assert quote.refund().state_rule == "CA"


def test_texas_lengthens_a_shorter_catalogue_free_look_and_caps_a_higher_fee() -> None:
    catalogue: Catalogue = {**GAP_WITHOUT_FREE_LOOK,
                            ProductType.GAP: replace(GAP_WITHOUT_FREE_LOOK[ProductType.GAP],
                                                     cancellation_fee=Decimal("75.00"))}
    texas = replace(GAP, state="TX")
    day_30 = CancellationFacts(date(2025, 2, 14), 5_500, "CUSTOMER_REQUEST")
    assert quote_refund(GAP, day_30, catalogue).customer_refund < Decimal("600.00")
    assert quote_refund(texas, day_30, catalogue, SPEC_RULES).customer_refund == Decimal("600.00")  # 30 days: free look
    day_31 = replace(day_30, cancel_date=date(2025, 2, 15))
    assert quote_refund(texas, day_31, catalogue, SPEC_RULES).cancellation_fee == Decimal("50.00")
    assert quote_refund(GAP, day_31, catalogue).cancellation_fee == Decimal("75.00")


def test_a_state_rule_never_shortens_the_free_look_or_raises_the_fee() -> None:
    # TX's 30 days and 50.00 against the catalogue's 60 days and 50.00 for a VSC: nothing changes but the name
    quote = quote_refund(replace(VSC, state="TX"), MID_TERM, state_rules=SPEC_RULES)
    assert figures(quote) == figures(quote_refund(VSC, MID_TERM))
    assert quote.refund().state_rule == "TX"
    day_59 = CancellationFacts(date(2025, 3, 15), 13_000, "CUSTOMER_REQUEST")
    assert quote_refund(replace(VSC, state="TX"), day_59, state_rules=SPEC_RULES).unearned_fraction == 1


def test_new_york_refunds_gap_pro_rata_and_names_itself_only_for_gap() -> None:
    cancel = CancellationFacts(date(2025, 7, 20), 9_000, "CUSTOMER_REQUEST")
    quote = quote_refund(replace(GAP, state="NY"), cancel, state_rules=SPEC_RULES)
    term_days = (date(2026, 1, 15) - date(2025, 1, 15)).days
    assert quote.method is RefundMethod.PRO_RATA
    assert quote.unearned_fraction == 1 - Fraction((date(2025, 7, 20) - date(2025, 1, 15)).days, term_days)
    assert quote.refund().state_rule == "NY"
    assert quote_refund(replace(VSC, state="NY"), MID_TERM, state_rules=SPEC_RULES).refund().state_rule is None


def test_pro_rata_only_follows_the_spec_even_where_rule_of_78_would_refund_more() -> None:
    """REFUNDS.md defines pro_rata_only as "method = PRO_RATA". Rule of 78 counts whole months only, so within the
    first month (here with a claim, which voids the free look) it still refunds everything unearned: the state's
    pro rata refunds less there. The spec's "a rule can only favour the customer" does not hold for this field."""
    ny_gap = replace(GAP, state="NY", term_months=60)
    cancel = CancellationFacts(date(2025, 2, 14), 6_000, "CUSTOMER_REQUEST", Decimal("10.00"))
    assert quote_refund(ny_gap, cancel).customer_refund == Decimal("565.00")
    assert quote_refund(ny_gap, cancel, state_rules=SPEC_RULES).customer_refund == Decimal("555.14")


def test_a_customer_without_a_state_rule_gets_the_catalogue_refund() -> None:
    quote = quote_refund(replace(VSC, state="GA"), MID_TERM, state_rules=SPEC_RULES)
    assert figures(quote) == figures(quote_refund(VSC, MID_TERM)) and quote.refund().state_rule is None


# --- properties -------------------------------------------------------------------------------------------------

STATES = ("CA", "TX", "NY")


def rule_documents(*, pro_rata_only: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Random valid rules documents over a few states; `pro_rata_only` False leaves that field out."""
    effects: dict[str, st.SearchStrategy[Any]] = {
        "free_look_days": st.integers(0, 365),
        "max_fee": st.decimals(0, 500, places=2).map(lambda d: f"{d:.2f}"),
        "max_fee_percent": st.decimals(0, 100, places=1).map(str),
        "refund_due_days": st.integers(1, 3650),
    }
    if pro_rata_only:
        effects["pro_rata_only"] = st.booleans()
    rule = st.fixed_dictionaries(
        {"state": st.sampled_from(STATES)},
        optional={"product_types": st.lists(st.sampled_from([p.value for p in ProductType]), min_size=1, max_size=3),
                  **effects},
    ).filter(lambda r: any(name in r for name in effects))
    return st.builds(lambda rules: {"rules": rules}, st.lists(rule, max_size=6))


@st.composite
def cases(draw: st.DrawFn) -> tuple[RefundTerms, CancellationFacts, Catalogue]:
    terms = replace(draw(contracts()), state=draw(st.sampled_from(STATES) | st.sampled_from(sorted(US_STATES))))
    return terms, draw(cancellations(terms)), draw(st.just(DEFAULT_CATALOGUE) | catalogues())


@given(cases(), rule_documents(pro_rata_only=False))
def test_a_rule_can_only_raise_the_customer_refund(case: tuple[RefundTerms, CancellationFacts, Catalogue],
                                                   document: dict[str, Any]) -> None:
    terms, cancel, catalogue = case
    rules = state_rules_from_document(document)
    alone = quote_refund(terms, cancel, catalogue)
    ruled = quote_refund(terms, cancel, catalogue, rules)
    assert ruled.customer_refund >= alone.customer_refund
    assert ruled.cancellation_fee <= alone.cancellation_fee
    applied = rules.applying_to(terms.state, terms.product_type)
    assert ruled.refund().state_rule == (None if applied is None else terms.state)


@given(cases(), rule_documents(pro_rata_only=True))
def test_besides_the_method_a_rule_can_only_raise_the_customer_refund(
    case: tuple[RefundTerms, CancellationFacts, Catalogue], document: dict[str, Any]
) -> None:
    """Against the catalogue with the method the state prescribes, fees and free looks only favour the customer."""
    terms, cancel, catalogue = case
    rules = state_rules_from_document(document)
    applied = rules.applying_to(terms.state, terms.product_type)
    ruled = quote_refund(terms, cancel, catalogue, rules)
    if applied is not None and applied.terms.pro_rata_only:
        catalogue = {**catalogue, terms.product_type: replace(catalogue[terms.product_type],
                                                              method=RefundMethod.PRO_RATA)}
    assert ruled.customer_refund >= quote_refund(terms, cancel, catalogue).customer_refund
    assert ruled.method is catalogue[terms.product_type].method


@given(cases(), st.sampled_from([NO_STATE_RULES, StateRules(), state_rules_from_document({"rules": []})]))
def test_with_no_rules_the_refund_is_the_catalogue_refund(
    case: tuple[RefundTerms, CancellationFacts, Catalogue], rules: StateRules
) -> None:
    terms, cancel, catalogue = case
    assert quote_refund(terms, cancel, catalogue, rules) == quote_refund(replace(terms, state=None), cancel, catalogue)


@given(cases())
def test_rules_of_other_states_change_nothing(case: tuple[RefundTerms, CancellationFacts, Catalogue]) -> None:
    terms, cancel, catalogue = case
    others = {"rules": [rule for rule in SPEC_EXAMPLE["rules"] if rule["state"] != terms.state]}
    assert quote_refund(terms, cancel, catalogue, state_rules_from_document(others)) == quote_refund(
        terms, cancel, catalogue)
