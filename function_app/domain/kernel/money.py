"""Money is Decimal cents; every rounding is exact and half-up."""

import re
from decimal import Decimal
from fractions import Fraction

CENT = Decimal("0.01")

_MONEY_TEXT = re.compile(r"[0-9]+\.[0-9]{2}")


def round_half_up(value: Decimal | Fraction, places: int) -> Decimal:
    """Round exactly to `places` decimals, ties away from zero (as Decimal's ROUND_HALF_UP)."""
    scaled = abs(Fraction(value)) * 10**places
    whole, remainder = divmod(scaled.numerator, scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        whole += 1
    signed = -whole if value < 0 else whole
    return Decimal(f"{signed}E-{places}")


def round_cents(value: Decimal | Fraction) -> Decimal:
    return round_half_up(value, 2)


def money_str(value: Decimal) -> str:
    return f"{round_cents(value):f}"


def parse_money(text: str) -> Decimal | None:
    """A non-negative amount written with exactly two decimals, as the event contract requires."""
    return Decimal(text) if _MONEY_TEXT.fullmatch(text) else None
