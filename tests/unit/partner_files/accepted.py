"""Hypothesis strategies for what spec/EVENTS.md accepts: every bound at its limit, any Unicode text without
control characters (non-Latin scripts, combining accents, wide and compatibility characters, U+2028/U+2029)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from function_app.domain.kernel.catalogue import ProductType
from function_app.domain.kernel.vin import with_check_digit
from function_app.domain.realtime.payloads import US_STATES

# characters that change length or meaning on the way to ASCII, mixed in so every run meets them
TRICKY = "ßẞÆŒﬃ⑽㍱…ŁØĐÞ王小明अमितक्‍ष\u200d\u00ad\ufeff\u2028\u2029\u00a0\u0301\ufdfa\U0001f600\U0002a6d6"
EXPANDING = "ßﬃ⑽㍱Æ…"  # one character, several in ASCII
LAST_DAY = date(2026, 12, 31)


def text(max_size: int) -> st.SearchStrategy[str]:
    """Non-empty (not only spaces) text of at most `max_size` code points, no category Cc."""
    alphabet = st.one_of(st.characters(exclude_categories=("Cc", "Cs")), st.sampled_from(TRICKY))
    longest = st.text(st.sampled_from(EXPANDING), min_size=max_size, max_size=max_size)  # longest in ASCII too
    return st.one_of(st.text(alphabet, min_size=1, max_size=max_size), longest).filter(lambda v: bool(v.strip()))


def money(low: Decimal, high: Decimal) -> st.SearchStrategy[str]:
    cents = st.integers(int(low * 100), int(high * 100))
    return cents.map(lambda c: f"{Decimal(c) / 100:.2f}")


CODE = st.from_regex(r"[A-Z0-9][A-Z0-9_-]{0,39}", fullmatch=True)


@st.composite
def vin(draw: st.DrawFn) -> str:
    body = draw(st.text("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=16, max_size=16))
    return with_check_digit(body)


@st.composite
def submission(draw: st.DrawFn) -> dict[str, Any]:
    """A contract submission's data inside every bound of `fni.contract.submitted.v1`."""
    sale = draw(st.dates(date(1981, 1, 1), LAST_DAY))
    retail = draw(money(Decimal("0.01"), Decimal("100000.00")))
    product_type = draw(st.sampled_from(list(ProductType)))
    return {
        "contract_number": draw(st.from_regex(r"[A-Z0-9-]{6,20}", fullmatch=True)),
        "revision": draw(st.integers(1, 9999)),
        "dealer_code": draw(st.from_regex(r"[A-Z0-9]{3,10}", fullmatch=True)),
        "product": {"code": draw(CODE), "type": product_type.value},
        "term_months": draw(st.integers(1, 144)),
        "term_miles": draw(st.one_of(st.none(), st.integers(1, 999_999))),
        "sale_date": sale.isoformat(),
        "effective_date": (sale + timedelta(days=draw(st.integers(0, 30)))).isoformat(),
        "vehicle": {
            "vin": draw(vin()), "year": draw(st.integers(1981, sale.year + 2)), "make": draw(text(40)),
            "model": draw(text(40)), "odometer": draw(st.integers(0, 999_999)),
            "condition": draw(st.sampled_from(["NEW", "USED", "CPO"])),
        },
        "customer": {
            "first_name": draw(text(50)), "last_name": draw(text(50)),
            "state": draw(st.sampled_from(sorted(US_STATES))),
            "postal_code": draw(st.from_regex(r"\d{5}(-\d{4})?", fullmatch=True)),
        },
        "lienholder": draw(st.one_of(st.none(), st.fixed_dictionaries({"name": text(100), "code": CODE}))),
        "pricing": {"retail_price": retail, "dealer_cost": draw(money(Decimal("0.00"), Decimal(retail))),
                    "currency": "USD"},
        "oem": draw(st.one_of(st.none(), CODE)),
        "administrator": draw(CODE),
    }


@st.composite
def cancellation(draw: st.DrawFn, contract: dict[str, Any]) -> dict[str, Any]:
    """A cancellation of that contract inside every bound of `fni.contract.cancel_requested.v1`: its dealer's, or
    (when it has a lienholder) its lender's for a lender's reason."""
    sale = date.fromisoformat(contract["sale_date"])
    lender = contract["lienholder"] is not None and draw(st.booleans())
    reasons = ["LOAN_PAYOFF", "TOTAL_LOSS", "REPOSSESSION"] + ([] if lender else ["CUSTOMER_REQUEST", "TRADE_IN"])
    party = {"lienholder_code": contract["lienholder"]["code"]} if lender else {"dealer_code": contract["dealer_code"]}
    return {
        "contract_number": contract["contract_number"],
        **party,
        "cancel_date": draw(st.dates(sale, max(sale, LAST_DAY))).isoformat(),
        "odometer": draw(st.integers(contract["vehicle"]["odometer"], 999_999)),
        "reason": draw(st.sampled_from(reasons)),
    }
