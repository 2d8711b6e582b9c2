"""Cancellation refunds (spec/REFUNDS.md): exact fractions, each money figure rounded once."""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from function_app.domain.kernel.catalogue import (
    DEFAULT_CATALOGUE,
    Catalogue,
    ProductTerms,
    ProductType,
    RefundMethod,
)
from function_app.domain.kernel.feedback import Payee, Refund
from function_app.domain.kernel.money import round_cents, round_half_up
from function_app.domain.kernel.state_rules import NO_STATE_RULES, AppliedStateRule, StateRules

CANCEL_REASONS = ("CUSTOMER_REQUEST", "LOAN_PAYOFF", "TOTAL_LOSS", "REPOSSESSION", "TRADE_IN")
_LIENHOLDER_REASONS = frozenset({"TOTAL_LOSS", "REPOSSESSION"})
_NO_FEE = Decimal("0.00")


def add_months(day: date, months: int) -> date:
    """Calendar months later (or earlier), the day clamped to the month's end."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class RefundTerms:
    product_type: ProductType
    retail: Decimal
    cost: Decimal
    term_months: int
    term_miles: int | None
    sale_date: date
    effective_date: date
    sale_odometer: int
    has_lienholder: bool
    state: str | None = None  # the customer's state, whose rules apply


@dataclass(frozen=True)
class CancellationFacts:
    cancel_date: date
    odometer: int
    reason: str
    claims_paid: Decimal = Decimal("0")


@dataclass(frozen=True)
class RefundQuote:
    method: RefundMethod
    unearned_fraction: Fraction
    days_used: int
    miles_used: int | None
    gross_refund: Decimal
    cancellation_fee: Decimal
    claims_deducted: Decimal
    customer_refund: Decimal
    provider_refund: Decimal
    dealer_chargeback: Decimal
    payee: Payee
    state_rule: str | None = None

    def refund(self) -> Refund:
        """The feedback's `refund` object: the unearned fraction to six places."""
        return Refund(
            method=self.method,
            unearned_fraction=round_half_up(self.unearned_fraction, 6),
            days_used=self.days_used,
            miles_used=self.miles_used,
            gross_refund=self.gross_refund,
            cancellation_fee=self.cancellation_fee,
            claims_deducted=self.claims_deducted,
            customer_refund=self.customer_refund,
            provider_refund=self.provider_refund,
            dealer_chargeback=self.dealer_chargeback,
            payee=self.payee,
            state_rule=self.state_rule,
        )

    def to_json(self) -> dict[str, str | int | None]:
        return self.refund().to_json()


def quote_refund(
    terms: RefundTerms,
    cancel: CancellationFacts,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    state_rules: StateRules = NO_STATE_RULES,
) -> RefundQuote:
    rule = state_rules.applying_to(terms.state, terms.product_type)
    product = _under_state_rule(catalogue[terms.product_type], rule)  # rule 0, before anything else
    claims = round_cents(cancel.claims_paid)
    days_used = max(0, (cancel.cancel_date - terms.effective_date).days)
    miles_used = None if terms.term_miles is None else max(0, cancel.odometer - terms.sale_odometer)
    if _in_free_look(terms, cancel, product, claims):
        unearned, fee = Fraction(1), _NO_FEE
    else:
        unearned = _unearned(product.method, terms, cancel.cancel_date, days_used, miles_used)
        fee = product.cancellation_fee
    gross = round_cents(Fraction(terms.retail) * unearned)
    if rule is not None and rule.terms.max_fee_percent is not None:
        fee = min(fee, round_cents(Fraction(rule.terms.max_fee_percent) / 100 * Fraction(gross)))
    fee = round_cents(min(fee, gross))
    claims_deducted = min(claims, gross - fee)
    customer = gross - fee - claims_deducted
    provider = min(customer, round_cents(Fraction(terms.cost) * unearned))
    return RefundQuote(
        method=product.method,
        unearned_fraction=unearned,
        days_used=days_used,
        miles_used=miles_used,
        gross_refund=gross,
        cancellation_fee=fee,
        claims_deducted=claims_deducted,
        customer_refund=customer,
        provider_refund=provider,
        dealer_chargeback=customer - provider,
        payee=_payee(terms, cancel),
        state_rule=None if rule is None else rule.state,
    )


def _under_state_rule(product: ProductTerms, rule: AppliedStateRule | None) -> ProductTerms:
    """The catalogue's terms as the state's rule adjusts them: the longer free look, the lower fee, PRO_RATA when
    the state says so (the fee cap of `max_fee_percent` waits for the gross refund)."""
    if rule is None:
        return product
    state = rule.terms
    fee = product.cancellation_fee if state.max_fee is None else min(product.cancellation_fee, state.max_fee)
    return ProductTerms(
        method=RefundMethod.PRO_RATA if state.pro_rata_only else product.method,
        free_look_days=max(product.free_look_days, state.free_look_days or 0),
        cancellation_fee=fee,
    )


def _in_free_look(
    terms: RefundTerms, cancel: CancellationFacts, product: ProductTerms, claims: Decimal
) -> bool:
    return (cancel.cancel_date - terms.sale_date).days <= product.free_look_days and claims == 0


def _unearned(
    method: RefundMethod, terms: RefundTerms, cancel_date: date, days_used: int, miles_used: int | None
) -> Fraction:
    match method:
        case RefundMethod.PRO_RATA:
            return 1 - _pro_rata_used(terms, days_used, miles_used)
        case RefundMethod.RULE_OF_78:
            return _rule_of_78_unearned(terms.term_months, _whole_months(terms.effective_date, cancel_date))


def _pro_rata_used(terms: RefundTerms, days_used: int, miles_used: int | None) -> Fraction:
    term_days = (add_months(terms.effective_date, terms.term_months) - terms.effective_date).days
    used = min(Fraction(1), Fraction(days_used, term_days))
    if terms.term_miles is not None and miles_used is not None:
        used = max(used, min(Fraction(1), Fraction(miles_used, terms.term_miles)))
    return used


def _rule_of_78_unearned(term_months: int, months_elapsed: int) -> Fraction:
    remaining = term_months - min(months_elapsed, term_months)
    return Fraction(remaining * (remaining + 1), term_months * (term_months + 1))


def _whole_months(start: date, end: date) -> int:
    """The largest k ≥ 0 with add_months(start, k) ≤ end; 0 when end is before start."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(0, months)


def _payee(terms: RefundTerms, cancel: CancellationFacts) -> Payee:
    to_lienholder = terms.has_lienholder and cancel.reason in _LIENHOLDER_REASONS
    return Payee.LIENHOLDER if to_lienholder else Payee.CUSTOMER
