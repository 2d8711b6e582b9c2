"""Every bound an accepted dealer event stays inside (spec/EVENTS.md, "Bounds that hold for every event"),
each with the storage or file-format limit it protects. One place, so that a later field cannot forget one:
the payload models take their ranges and lengths from here, and tests/unit/test_bounds.py checks every
field of the models against these limits and against the partner files' fixed widths.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

# --- the limits being protected ------------------------------------------------------------------------------

TABLE_INT32_MAX = 2**31 - 1  # Table Storage stores an int property as Edm.Int32 (the journal's `revision`)
TABLE_PROPERTY_BYTES = 64 * 1024  # a String (UTF-16) or Binary property
TABLE_ENTITY_BYTES = 1024 * 1024  # one entity, all properties together
TABLE_TRANSACTION_ENTITIES = 100  # one entity-group transaction
TABLE_TRANSACTION_BYTES = 4 * 1024 * 1024  # one entity-group transaction's body
TABLE_PIECES_PER_ENTITY = 14  # full binary properties one entity holds with its keys and a few small properties
assert TABLE_PIECES_PER_ENTITY * TABLE_PROPERTY_BYTES < TABLE_ENTITY_BYTES - 64 * 1024


@dataclass(frozen=True)
class IntegerBound:
    """An inclusive range, with the fixed-width partner-file width (digits) the largest value must fit."""

    low: int
    high: int
    fixed_width: int | None
    protects: str

    def __post_init__(self) -> None:
        assert self.high <= TABLE_INT32_MAX, f"{self.protects}: {self.high} does not fit Table Storage's Int32"
        assert self.fixed_width is None or len(str(self.high)) <= self.fixed_width, self.protects


@dataclass(frozen=True)
class TextBound:
    """Free text: a length in code points (fixed-width widths count code points) and no line-breaking characters."""

    max_length: int
    fixed_width: int | None
    protects: str

    def __post_init__(self) -> None:
        assert self.fixed_width is None or self.max_length <= self.fixed_width, self.protects


# --- integers (EVENTS.md ranges; fixed widths of spec/PARTNER-FILES.md's catalogue) -----------------------------

REVISION = IntegerBound(1, 9999, 6, "revision: fixed-width `revision` (6), the journal's Int32 property")
TERM_MONTHS = IntegerBound(1, 144, 3, "term_months: fixed-width `term_months` (3)")
TERM_MILES = IntegerBound(1, 999_999, 7, "term_miles: fixed-width `term_miles` (7)")
SALE_ODOMETER = IntegerBound(0, 999_999, 6, "vehicle.odometer: fixed-width `sale_odometer` (6)")
CANCEL_ODOMETER = IntegerBound(0, 999_999, 7, "odometer: fixed-width `cancel_odometer` (7), refund `miles_used` (7)")
VEHICLE_YEAR_FIRST = 1981  # the 17-character VIN exists since model year 1981
VEHICLE_YEAR = IntegerBound(VEHICLE_YEAR_FIRST, 9999, 4, "vehicle.year: fixed-width `vehicle_year` (4)")
VEHICLE_YEAR_AFTER_SALE = 2  # a vehicle's model year is at most the sale's year + 2

# --- text --------------------------------------------------------------------------------------------------------

VEHICLE_TEXT = TextBound(40, 40, "vehicle.make / vehicle.model: fixed-width `vehicle_make` / `vehicle_model` (40)")
CUSTOMER_NAME = TextBound(50, 50, "customer names: fixed-width `customer_first_name` / `_last_name` (50)")
LIENHOLDER_NAME = TextBound(100, 100, "lienholder.name: fixed-width `lienholder_name` (100)")
CODE_LENGTH = 40  # product, lienholder, OEM and administrator codes: fixed-width code fields (40)

# Unicode categories no text field may hold. Cc (CR, LF, TAB, NUL, NEL, VT, FF, the file/group/record separators)
# is EVENTS.md's rule; Zl and Zp (U+2028, U+2029) break lines too (str.splitlines, JSON-in-JavaScript) and so
# could not be delivered in a fixed-width or csv line; Cs (a lone surrogate from a JSON `\ud800` escape) cannot
# be encoded as UTF-8 at all. Format characters (Cf) stay allowed: ZWNJ and ZWJ are letters' business in
# Persian and Indic names, and a fixed-width line measures code points, not glyphs.
REFUSED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})


def text_problem(value: str) -> str | None:
    """Why `value` cannot be accepted as text in any field, or None."""
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category in REFUSED_CATEGORIES:
            return f"holds the character U+{ord(char):04X} (category {category}) at position {index + 1}"
    return None


# --- dates -------------------------------------------------------------------------------------------------------

FUTURE_DAYS = 1  # no date lies after the day the message was enqueued (business time zone) plus one day
EFFECTIVE_AFTER_SALE_DAYS = 30  # effective_date follows sale_date by 0-30 days


def latest_date(enqueued_day: date) -> date:
    """The latest date an event enqueued on `enqueued_day` may carry (effective_date aside)."""
    return enqueued_day + timedelta(days=FUTURE_DAYS) if enqueued_day < date.max else date.max


# --- held cancellations and the writes of one contract ------------------------------------------------------------

MAX_HELD_PER_CONTRACT = 10  # EVENTS.md: a further request for a contract that has not arrived is refused at once
EVENTS_PER_WRITE = 40  # events of one contract decided in one write (the realtime service's wave)


def writes_per_contract() -> int:
    """The most entities one contract's write can touch: its record, one inbox entry per event of the wave, and
    for held cancellations a marker added or removed and a released answer each. Must fit one transaction."""
    return 1 + EVENTS_PER_WRITE + 2 * MAX_HELD_PER_CONTRACT


assert writes_per_contract() <= TABLE_TRANSACTION_ENTITIES
