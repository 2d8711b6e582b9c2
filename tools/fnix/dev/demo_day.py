"""A realistic, reproducible business day of dealer events for the demo command.

:func:`generate_day` plays one business day of a regional F&I exchange: about forty dealerships, each
with an OEM franchise, a dealer-management system (DMS) with its own habits, a pool of lenders and
the administrators it writes business with, sell vehicles with one to four F&I products each. Every
product sold is a ``fni.contract.submitted.v1`` event on the ``contracts`` hub; cancellations go to
the ``cancellations`` hub. Around the normal business the day carries what real partners send:
revisions, transport redeliveries, repeated facts under new ids, invalid and malformed messages,
cancellations that overtake their contract, cancellations whose contract never comes, second
cancellations and messages from the wrong dealer.

Everything comes from one ``random.Random(seed)``: the same arguments give byte-identical bodies
in the same order, in any process (nothing depends on set iteration or hash seeds).

Each :class:`DemoEvent` carries a ``kind``, the demo's own label for what the exchange should do
with it (see ``KINDS``, ``ACCEPTED_KINDS``, ``DUPLICATE_KINDS``, ``HELD_KINDS``, ``REJECTED_AS``):

``new``                   first submission of a contract sold today (accepted)
``revision``              revision 2 of an earlier contract by its dealer: new price or lienholder (accepted)
``redelivery``            the very same body again, later (the original's feedback again)
``repeat``                a contract or cancellation already accepted, same content under a new id (DUPLICATE)
``cancel``                cancellation of a contract that arrived earlier (accepted, with a refund)
``early-cancel``          cancellation that reaches the hub before its contract (held, accepted on arrival)
``orphan-cancel``         cancellation of a contract that never arrives (held all day; CONTRACT_NOT_FOUND
                          only once held for 72 hours)
``second-cancel``         different cancellation of an already cancelled contract (ALREADY_CANCELLED)
``unauthorized-cancel``   cancellation sent by another dealer than the contract's (NOT_AUTHORIZED)
``unauthorized-revision`` revision sent by another dealer than the contract's (NOT_AUTHORIZED)
``stale-revision``        revision 1 with new content after revision 2 was accepted (STALE_REVISION)
``invalid-vin``           VIN with a typo, so its check digit is wrong (VIN_INVALID)
``invalid-dates``         effective_date 45 days after sale_date (DATE_INCONSISTENT)
``invalid-price``         retail price and dealer cost swapped by the DMS mapping (PRICE_INCONSISTENT)
``invalid-schema``        a required field missing, or money sent as a JSON number (SCHEMA_INVALID)
``malformed``             truncated JSON, XML, Latin-1 bytes, a JSON array, a payload without the
                          CloudEvents envelope (MALFORMED)
``unknown-type``          a type the exchange does not know, or a type sent to the wrong hub (UNKNOWN_TYPE)

Every contract plays at most one of the roles above besides ``new`` and ``redelivery``, so each
kind's outcome does not depend on the order in which the exchange sees different partitions.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from function_app.domain.kernel.feedback import ReasonCode
from function_app.domain.kernel.vin import vin_is_valid, with_check_digit
from function_app.domain.realtime.envelope import CANCEL_REQUESTED, CONTRACT_SUBMITTED

CONTRACTS_HUB: Final = "contracts"
CANCELLATIONS_HUB: Final = "cancellations"

NEW: Final = "new"
REVISION: Final = "revision"
REDELIVERY: Final = "redelivery"
REPEAT: Final = "repeat"
CANCEL: Final = "cancel"
EARLY_CANCEL: Final = "early-cancel"
ORPHAN_CANCEL: Final = "orphan-cancel"
SECOND_CANCEL: Final = "second-cancel"
UNAUTHORIZED_CANCEL: Final = "unauthorized-cancel"
UNAUTHORIZED_REVISION: Final = "unauthorized-revision"
STALE_REVISION: Final = "stale-revision"
INVALID_VIN: Final = "invalid-vin"
INVALID_DATES: Final = "invalid-dates"
INVALID_PRICE: Final = "invalid-price"
INVALID_SCHEMA: Final = "invalid-schema"
MALFORMED: Final = "malformed"
UNKNOWN_TYPE: Final = "unknown-type"

KINDS: Final = (
    NEW,
    REVISION,
    REDELIVERY,
    REPEAT,
    CANCEL,
    EARLY_CANCEL,
    ORPHAN_CANCEL,
    SECOND_CANCEL,
    UNAUTHORIZED_CANCEL,
    UNAUTHORIZED_REVISION,
    STALE_REVISION,
    INVALID_VIN,
    INVALID_DATES,
    INVALID_PRICE,
    INVALID_SCHEMA,
    MALFORMED,
    UNKNOWN_TYPE,
)
ACCEPTED_KINDS: Final = frozenset({NEW, REVISION, CANCEL, EARLY_CANCEL})
DUPLICATE_KINDS: Final = frozenset({REPEAT})
HELD_KINDS: Final = frozenset({ORPHAN_CANCEL})
REJECTED_AS: Final[Mapping[str, ReasonCode]] = MappingProxyType(
    {
        SECOND_CANCEL: ReasonCode.ALREADY_CANCELLED,
        UNAUTHORIZED_CANCEL: ReasonCode.NOT_AUTHORIZED,
        UNAUTHORIZED_REVISION: ReasonCode.NOT_AUTHORIZED,
        STALE_REVISION: ReasonCode.STALE_REVISION,
        INVALID_VIN: ReasonCode.VIN_INVALID,
        INVALID_DATES: ReasonCode.DATE_INCONSISTENT,
        INVALID_PRICE: ReasonCode.PRICE_INCONSISTENT,
        INVALID_SCHEMA: ReasonCode.SCHEMA_INVALID,
        MALFORMED: ReasonCode.MALFORMED,
        UNKNOWN_TYPE: ReasonCode.UNKNOWN_TYPE,
    }
)
"""The reason code each rejected kind is built to get (``redelivery`` gets its original's feedback)."""

CANCEL_REASONS: Final = ("CUSTOMER_REQUEST", "LOAN_PAYOFF", "TOTAL_LOSS", "REPOSSESSION", "TRADE_IN")
ADMINISTRATORS: Final = ("ADM-01", "ADM-02", "ADM-03", "ADM-04")
DEALER_COUNT: Final = 40
CONTRACT_NUMBER_MAX: Final = 20

_RUN_TAG = re.compile(r"^[A-Z0-9]+$")
_NUMBER_PREFIX = {
    "VSC": "VSC",
    "GAP": "GAP",
    "TIRE_WHEEL": "TW",
    "PPM": "PPM",
    "APPEARANCE": "APP",
    "KEY": "KEY",
}
_PREFIX_WIDTH = max(len(prefix) for prefix in _NUMBER_PREFIX.values())
_VIN_CHARACTERS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_MODEL_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # position 10, a 30-year cycle from 1980 = A


@dataclass(frozen=True)
class DemoEvent:
    """One message as a dealer sends it, and when it reaches the hub.

    ``body`` is exactly the bytes on the wire; ``partition_key`` is the sending dealer's code (the
    event contract's partition key, also for bodies that cannot be read). ``kind`` is the demo's own
    label, never sent.
    """

    hub: str
    body: bytes
    at: datetime
    kind: str
    partition_key: str


@dataclass(frozen=True)
class DemoDay:
    business_date: date
    run_tag: str
    events: tuple[DemoEvent, ...]
    expected: dict[str, int]
    """How many events of each kind the day holds (every kind of ``KINDS``, zero when absent)."""


def generate_day(
    business_date: date, *, contracts: int = 3000, seed: int, run_tag: str, zone: ZoneInfo
) -> DemoDay:
    """The day's events in hub-arrival order.

    ``contracts`` is the number of distinct valid contracts sold (the ``new`` events); the other
    kinds come on top, as fractions of it (revisions 3 %, redeliveries 2 %, repeats 1 %, invalid
    2 %, malformed 0.3 %, cancellations 15 % of which 3 % early, orphans 0.5 %, second and
    unauthorized cancellations 0.2 % each), with at least one of each invalid and malformed
    variant. Every event reaches the hub on ``business_date`` in ``zone``.
    ``run_tag`` (upper-case letters and digits) goes into every contract number and event id, so
    runs never collide.
    """
    if contracts < 1:
        raise ValueError(f"contracts must be at least 1, got {contracts}")
    if not _RUN_TAG.match(run_tag):
        raise ValueError(f"run_tag must be upper-case letters and digits, got {run_tag!r}")
    mix = _Mix.for_contracts(contracts)
    width = max(5, len(str(mix.contract_numbers_needed())))
    longest = _PREFIX_WIDTH + 1 + len(run_tag) + 1 + width
    if longest > CONTRACT_NUMBER_MAX:
        allowed = CONTRACT_NUMBER_MAX - (_PREFIX_WIDTH + 2 + width)
        raise ValueError(
            f"run_tag {run_tag!r} is too long: contract numbers allow {allowed} characters for it"
        )
    builder = _DayBuilder(random.Random(seed), _Clock(business_date, zone), run_tag, width)
    drafts = builder.build(mix)
    events = _finish(drafts, run_tag)
    counts = Counter(event.kind for event in events)
    return DemoDay(business_date, run_tag, events, {kind: counts[kind] for kind in KINDS})


def write_jsonl(day: DemoDay, folder: Path) -> dict[str, Path]:
    """Write ``contracts.jsonl`` and ``cancellations.jsonl``: one body per line, in hub-arrival order.

    The files hold exactly the bytes dealers send, one message a line. A body can only be a line when
    it is UTF-8 text without a line break, so the day's non-UTF-8 bodies (a DMS sending Latin-1)
    exist only in memory, in :attr:`DemoDay.events`; every other malformed body (truncated JSON, XML,
    a JSON array, a bare payload) is in the files. Returns the path of each hub's file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = {hub: folder / f"{hub}.jsonl" for hub in (CONTRACTS_HUB, CANCELLATIONS_HUB)}
    lines: dict[str, list[bytes]] = {hub: [] for hub in paths}
    for event in day.events:
        if is_line_safe(event.body):
            lines[event.hub].append(event.body + b"\n")
    for hub, path in paths.items():
        path.write_bytes(b"".join(lines[hub]))
    return paths


def is_line_safe(body: bytes) -> bool:
    """Whether the body can be one line of a UTF-8 JSON-lines file and read back unchanged."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return text != "" and text.splitlines() == [text]


# --- the day's mix ---------------------------------------------------------------------------------


def _share(total: int, fraction: float, at_least: int = 0) -> int:
    return max(at_least, int(total * fraction + 0.5))


@dataclass(frozen=True)
class _Mix:
    contracts: int
    revisions: int
    redeliveries: int
    repeats: int
    invalid: int
    malformed: int
    cancellations: int
    early_cancellations: int
    orphans: int
    second_cancellations: int
    unauthorized_cancellations: int

    @classmethod
    def for_contracts(cls, contracts: int) -> _Mix:
        cancellations = _share(contracts, 0.15)
        return cls(
            contracts=contracts,
            revisions=_share(contracts, 0.03),
            redeliveries=_share(contracts, 0.02),
            repeats=_share(contracts, 0.01),
            invalid=_share(contracts, 0.02, at_least=len(_INVALID_ROTATION)),
            malformed=_share(contracts, 0.003, at_least=len(_MALFORMED_ROTATION)),
            cancellations=cancellations,
            early_cancellations=_share(cancellations, 0.03, at_least=1 if cancellations else 0),
            orphans=_share(contracts, 0.005, at_least=1),
            second_cancellations=_share(contracts, 0.002, at_least=1),
            unauthorized_cancellations=_share(contracts, 0.002, at_least=1),
        )

    def contract_numbers_needed(self) -> int:
        return self.contracts + self.invalid + self.malformed + self.orphans


_INVALID_ROTATION = (
    INVALID_VIN,
    INVALID_DATES,
    INVALID_PRICE,
    INVALID_SCHEMA,
    STALE_REVISION,
    UNAUTHORIZED_REVISION,
)
_MALFORMED_ROTATION = ("not-json", "not-utf8", "array", "unknown-type", "not-envelope")


# --- the market: dealers, makes, lenders, products, customers ------------------------------------------


@dataclass(frozen=True)
class _Lender:
    name: str
    code: str


@dataclass(frozen=True)
class _Dms:
    """How a dealer's DMS writes events: optional attributes and defaults differ between vendors."""

    vendor: str
    sends_content_type: bool
    sends_first_revision: bool
    sends_effective_date: bool
    escapes_non_ascii: bool
    batch_minutes: int  # 0: sends as the contract is signed; else uploads within this many minutes


_DMS_VENDORS = (
    _Dms("Apex DMS", True, True, True, False, 0),
    _Dms("Ridgeline", False, True, False, True, 0),
    _Dms("DealerDesk", True, False, True, False, 20),
    _Dms("Tekline", True, True, False, False, 0),
)


@dataclass(frozen=True)
class _Dealer:
    code: str
    oem: str
    state: str
    neighbour_states: tuple[str, ...]
    lenders: tuple[_Lender, ...]
    captive: _Lender
    vsc_administrator: str
    ancillary_administrator: str
    markup: float
    volume: float
    dms: _Dms
    first_event_number: int


_MAKES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "TOYOTA": (
        "Toyota",
        ("Camry", "Corolla", "RAV4", "Tacoma", "Highlander", "Tundra", "Sienna"),
        ("4T1", "JTD", "5TD", "2T3"),
    ),
    "HONDA": ("Honda", ("Civic", "Accord", "CR-V", "Pilot", "Odyssey", "HR-V"), ("1HG", "2HG", "5J6", "19X")),
    "FORD": (
        "Ford",
        ("F-150", "Escape", "Explorer", "Bronco Sport", "Mustang", "Maverick"),
        ("1FA", "1FT", "1FM", "3FA"),
    ),
    "CHEVROLET": (
        "Chevrolet",
        ("Silverado 1500", "Equinox", "Malibu", "Tahoe", "Traverse", "Trax"),
        ("1G1", "1GC", "3GN", "2GN"),
    ),
    "NISSAN": (
        "Nissan",
        ("Altima", "Rogue", "Sentra", "Pathfinder", "Frontier", "Kicks"),
        ("1N4", "5N1", "JN8", "3N1"),
    ),
    "HYUNDAI": (
        "Hyundai",
        ("Elantra", "Tucson", "Santa Fe", "Palisade", "Kona", "Ioniq 5"),
        ("KMH", "5NP", "5NM"),
    ),
    "KIA": ("Kia", ("Forte", "Sportage", "Sorento", "Telluride", "Soul", "Carnival"), ("KNA", "5XY", "KND")),
    "SUBARU": (
        "Subaru",
        ("Outback", "Forester", "Crosstrek", "Ascent", "Impreza", "WRX"),
        ("JF1", "JF2", "4S4"),
    ),
    "JEEP": (
        "Jeep",
        ("Wrangler", "Grand Cherokee", "Compass", "Gladiator", "Cherokee"),
        ("1C4", "1J4", "3C4"),
    ),
    "MAZDA": ("Mazda", ("CX-5", "Mazda3", "CX-50", "CX-90", "MX-5 Miata"), ("JM1", "JM3", "3MZ")),
}
_OEMS = tuple(_MAKES)

_CAPTIVE_LENDERS = {
    "TOYOTA": _Lender("Toyota Financial Services", "TFS"),
    "HONDA": _Lender("American Honda Finance", "AHFC"),
    "FORD": _Lender("Ford Credit", "FMCC"),
    "CHEVROLET": _Lender("GM Financial", "GMF"),
    "NISSAN": _Lender("Nissan Motor Acceptance", "NMAC"),
    "HYUNDAI": _Lender("Hyundai Motor Finance", "HMF"),
    "KIA": _Lender("Kia Finance America", "KFA"),
    "SUBARU": _Lender("Subaru Motors Finance", "SMF"),
    "JEEP": _Lender("Stellantis Financial Services", "SFS"),
    "MAZDA": _Lender("Mazda Financial Services", "MFS"),
}
_LENDERS = (
    _Lender("Ally Financial", "ALLY"),
    _Lender("Capital One Auto Finance", "COAF"),
    _Lender("Chase Auto", "CHASE"),
    _Lender("Wells Fargo Auto", "WFAUTO"),
    _Lender("Bank of America", "BOFA"),
    _Lender("Santander Consumer USA", "SCUSA"),
    _Lender("Westlake Financial", "WLF"),
    _Lender("Navy Federal Credit Union", "NFCU"),
    _Lender("PenFed Credit Union", "PENFED"),
    _Lender("Truist Dealer Retail Services", "TRUIST"),
    _Lender("U.S. Bank Dealer Finance", "USBDF"),
    _Lender("Exeter Finance", "EXETER"),
    _Lender("First Prairie Credit Union", "FPCU"),
    _Lender("Peach State Auto Finance", "PSAF"),
    _Lender("Lone Star Federal Credit Union", "LSFCU"),
    _Lender("Great Lakes Auto Credit", "GLAC"),
    _Lender("Summit Ridge Bank", "SRB"),
    _Lender("Desert Sun Credit Union", "DSCU"),
)

_ZIP3: dict[str, tuple[str, ...]] = {
    "TX": ("750", "752", "760", "770", "773", "782", "786", "799"),
    "IL": ("600", "604", "606", "617", "625"),
    "MO": ("630", "631", "641", "658"),
    "MN": ("550", "551", "554", "559"),
    "WI": ("530", "532", "537", "549"),
    "OK": ("730", "731", "741"),
    "KS": ("660", "662", "672"),
    "LA": ("700", "701", "708"),
    "TN": ("370", "372", "381"),
    "AL": ("350", "352", "366"),
    "IA": ("500", "503", "524"),
    "NE": ("680", "681", "685"),
    "AR": ("716", "722", "727"),
    "MS": ("386", "392", "395"),
    "NY": ("100", "104", "112", "117", "142", "146"),
    "NJ": ("070", "074", "077", "080", "088"),
    "PA": ("150", "152", "171", "190", "191"),
    "GA": ("300", "303", "310", "314"),
    "FL": ("320", "322", "328", "331", "334", "336"),
    "NC": ("270", "275", "282", "284"),
    "VA": ("220", "222", "230", "236"),
    "OH": ("430", "432", "441", "452"),
    "MI": ("480", "482", "489", "495"),
    "MA": ("010", "021", "024"),
    "CO": ("800", "802", "809", "815"),
    "UT": ("840", "841", "844"),
    "NM": ("870", "871", "880"),
    "ID": ("832", "836"),
    "MT": ("590", "597"),
    "AZ": ("850", "852", "857"),
    "CA": ("900", "913", "921", "940", "945", "958"),
    "WA": ("980", "981", "984", "992"),
    "OR": ("970", "972", "974"),
    "NV": ("889", "891", "895"),
    "HI": ("967", "968"),
    "AK": ("995", "996"),
    "PR": ("006", "007", "009"),
}
_STATES_BY_ZONE: dict[str, tuple[str, ...]] = {
    "America/Chicago": ("TX", "IL", "MO", "MN", "WI", "OK", "KS", "LA", "TN", "AL", "IA", "NE", "AR", "MS"),
    "America/New_York": ("NY", "NJ", "PA", "GA", "FL", "NC", "VA", "OH", "MI", "MA"),
    "America/Detroit": ("MI", "OH"),
    "America/Denver": ("CO", "UT", "NM", "ID", "MT"),
    "America/Boise": ("ID",),
    "America/Phoenix": ("AZ",),
    "America/Los_Angeles": ("CA", "WA", "OR", "NV"),
    "America/Anchorage": ("AK",),
    "Pacific/Honolulu": ("HI",),
    "America/Puerto_Rico": ("PR",),
}
_MAINLAND = tuple(state for state in _ZIP3 if state not in ("HI", "AK", "PR"))

_FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "William", "Elizabeth",
    "Daniel", "Ashley", "Christopher", "Jessica", "Matthew", "Sarah", "Anthony", "Karen", "Joshua", "Emily",
    "Carlos", "María", "Luis", "Ana", "Jorge", "Sofía", "Kevin", "Brianna", "Tyrell", "DeShawn", "Keisha",
    "Hannah", "Ethan", "Olivia", "Noah", "Mia", "Wei", "Minh", "Raj", "Fatima", "Mary Ann", "Jean-Luc",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "O'Neil", "Smith-Jones", "De La Cruz", "McAllister", "Núñez",
)  # fmt: skip
_WORLD_NAMES = (
    ("小明", "王"),
    ("Zoë", "Fontaine"),
    ("Ngozi", "Okonkwo"),
    ("José", "Ñúñez"),
    ("花子", "佐藤"),
    ("민준", "김"),
    ("Дмитрий", "Иванов"),
    ("محمد", "العلي"),
    ("Lan", "Nguyễn"),
    ("Γιώργος", "Παπαδόπουλος"),
    ("प्रिया", "शर्मा"),
    ("Björn", "Lindqvist"),
    ("Renée", "Dubois"),
    ("Siobhán", "O'Sullivan"),
    ("Łukasz", "Wróbel"),
    ("Oluwaseun", "Adeyemi"),
)
FORMULA_NAMES: Final = (
    ('=HYPERLINK("http://x")', "Miller"),
    ("Alex", "+SUM(A1)"),
    ("@SUM(A1:A2)", "Reyes"),
)
"""Names a spreadsheet would run as formulas: valid text for the exchange, escaped only in exports."""
SHOWCASE_NAMES: Final = (*_WORLD_NAMES[:11], *FORMULA_NAMES)
"""Names every day of at least a few hundred contracts contains, whatever the seed."""
_LATIN1_NAMES = (("José", "Ñúñez"), ("Zoë", "Fontaine"), ("Renée", "Dubois"), ("María", "Núñez"))


@dataclass(frozen=True)
class _Plan:
    """A product as an administrator files it: code, type, term and the dealer's cost."""

    code: str
    product_type: str
    term_months: int
    term_miles: int | None
    cost: Decimal


def _product_plans() -> dict[str, tuple[_Plan, ...]]:
    vsc_terms = (
        (36, 36_000),
        (48, 48_000),
        (60, 60_000),
        (72, 75_000),
        (84, 100_000),
        (96, 100_000),
        (120, 125_000),
    )
    vsc = tuple(
        _Plan(f"VSC-{tier}-{months}", "VSC", months, miles, Decimal(base + rate * months))
        for tier, base, rate in (("PLAT", 420, 11), ("GOLD", 310, 8), ("PWRT", 190, 5))
        for months, miles in vsc_terms
    )
    gap = tuple(
        _Plan(f"GAP-{tier}-{months}", "GAP", months, None, Decimal(base + 2 * months))
        for tier, base in (("STD", 210), ("PLUS", 290))
        for months in (48, 60, 72, 84)
    )
    tire_wheel = (
        _Plan("TW-STD-36", "TIRE_WHEEL", 36, 36_000, Decimal("189.00")),
        _Plan("TW-STD-48", "TIRE_WHEEL", 48, 48_000, Decimal("229.00")),
        _Plan("TW-STD-60", "TIRE_WHEEL", 60, 60_000, Decimal("268.50")),
        _Plan("TW-PLUS-60", "TIRE_WHEEL", 60, 60_000, Decimal("342.00")),
    )
    maintenance = (
        _Plan("PPM-BASIC-24", "PPM", 24, 24_000, Decimal("159.00")),
        _Plan("PPM-PLUS-36", "PPM", 36, 36_000, Decimal("238.00")),
        _Plan("PPM-ELITE-48", "PPM", 48, 48_000, Decimal("331.25")),
    )
    appearance = (
        _Plan("APP-SHIELD-60", "APPEARANCE", 60, None, Decimal("178.00")),
        _Plan("APP-SHIELD-84", "APPEARANCE", 84, None, Decimal("219.00")),
        _Plan("APP-INTEXT-60", "APPEARANCE", 60, None, Decimal("262.75")),
    )
    key = (
        _Plan("KEY-REPL-36", "KEY", 36, None, Decimal("85.00")),
        _Plan("KEY-REPL-60", "KEY", 60, None, Decimal("109.00")),
        _Plan("KEY-FOB-60", "KEY", 60, None, Decimal("134.50")),
    )
    return {
        "VSC": vsc,
        "GAP": gap,
        "TIRE_WHEEL": tire_wheel,
        "PPM": maintenance,
        "APPEARANCE": appearance,
        "KEY": key,
    }


_PLANS = _product_plans()
_PRODUCT_WEIGHTS = {"VSC": 35, "GAP": 22, "TIRE_WHEEL": 16, "PPM": 11, "APPEARANCE": 9, "KEY": 7}
_PRODUCTS_PER_DEAL = {1: 45, 2: 30, 3: 18, 4: 7}
_CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    return f"{value.quantize(_CENT, rounding=ROUND_HALF_UP):.2f}"


def _to_five(value: Decimal) -> Decimal:
    return (value / 5).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 5


# --- time --------------------------------------------------------------------------------------------


class _Clock:
    """Wall-clock times of the business day in the exchange's zone, handled as aware UTC datetimes."""

    def __init__(self, business_date: date, zone: ZoneInfo) -> None:
        self.business_date = business_date
        self.zone = zone
        self.latest = self.wall(time(23, 50))

    def wall(self, clock: time) -> datetime:
        return datetime.combine(self.business_date, clock, tzinfo=self.zone).astimezone(UTC)

    def stamp(self, moment: datetime) -> str:
        """The CloudEvents ``time``: the local time with its offset, to the second."""
        return moment.astimezone(self.zone).isoformat(timespec="seconds")

    def local_time(self, moment: datetime) -> time:
        return moment.astimezone(self.zone).time()

    def after(self, rng: random.Random, base: datetime, low: timedelta, high: timedelta) -> datetime:
        """A moment ``low``..``high`` after ``base``, but before the day's end; always later than base."""
        room = self.latest - base
        # late in the day there may be no room for ``low``: then halfway between base and the end
        moment = base + low + (min(high, room) - low) * rng.random() if room > low else base + room / 2
        return max(_to_millis(moment), base + timedelta(milliseconds=1))


def _to_millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# --- events before they have ids and bodies ------------------------------------------------------


@dataclass
class _Draft:
    hub: str
    kind: str
    at: datetime
    dealer: _Dealer
    envelope: dict[str, Any]
    damage: str = ""  # how the body gets broken: "", truncate, xml, latin1, array, bare
    cut: float = 0.0
    original: _Draft | None = None
    body: bytes = b""


@dataclass
class _Deal:
    dealer: _Dealer
    signed: datetime
    sale_date: date
    vehicle: dict[str, Any]
    customer: dict[str, str]
    lender: _Lender | None


@dataclass
class _Contract:
    number: str
    deal: _Deal
    product_type: str
    data: dict[str, Any]
    fact: datetime
    at: datetime

    @property
    def dealer(self) -> _Dealer:
        return self.deal.dealer

    @property
    def sale_odometer(self) -> int:
        return int(self.deal.vehicle["odometer"])


# --- the generator -------------------------------------------------------------------------------


class _DayBuilder:
    def __init__(self, rng: random.Random, clock: _Clock, run_tag: str, width: int) -> None:
        self.rng = rng
        self.clock = clock
        self.run_tag = run_tag
        self.width = width
        self.sequence = 0
        self.vins: set[str] = set()
        self.dealers = self._dealers()
        self.dealer_weights = [dealer.volume for dealer in self.dealers]
        self.drafts: list[_Draft] = []
        self.showcase: dict[int, tuple[str, str]] = {}

    # the market

    def _dealers(self) -> list[_Dealer]:
        rng = self.rng
        states = _STATES_BY_ZONE.get(self.clock.zone.key, _MAINLAND)
        codes = sorted(rng.sample(range(10_000, 100_000), DEALER_COUNT))
        oems = [_OEMS[i % len(_OEMS)] for i in range(DEALER_COUNT)]
        rng.shuffle(oems)
        dealers = []
        for code, oem in zip(codes, oems, strict=True):
            state = rng.choice(states)
            vsc_admin, ancillary_admin = rng.sample(ADMINISTRATORS, 2)
            dealers.append(
                _Dealer(
                    code=f"D{code}",
                    oem=oem,
                    state=state,
                    neighbour_states=states,
                    lenders=tuple(rng.sample(_LENDERS, rng.randint(3, 6))),
                    captive=_CAPTIVE_LENDERS[oem],
                    vsc_administrator=vsc_admin,
                    ancillary_administrator=ancillary_admin if rng.random() < 0.7 else vsc_admin,
                    markup=rng.uniform(1.5, 2.4),
                    volume=rng.lognormvariate(0, 0.6),
                    dms=rng.choices(_DMS_VENDORS, weights=(40, 25, 20, 15))[0],
                    first_event_number=rng.randint(1, 900),
                )
            )
        return dealers

    def _other_dealer(self, dealer: _Dealer) -> _Dealer:
        """A sister store of the same franchise when there is one, else any other dealer."""
        sisters = [other for other in self.dealers if other.oem == dealer.oem and other is not dealer]
        if sisters and self.rng.random() < 0.6:
            return self.rng.choice(sisters)
        return self.rng.choice([other for other in self.dealers if other is not dealer])

    def _number(self, product_type: str) -> str:
        self.sequence += 1
        return f"{_NUMBER_PREFIX[product_type]}-{self.run_tag}-{self.sequence:0{self.width}d}"

    def _signing_time(self) -> datetime:
        """When a customer signs: a lunchtime and an after-work peak inside dealer hours (9:00-21:00)."""
        rng = self.rng
        seconds = -1
        while not 9 * 3600 <= seconds < 21 * 3600:
            minutes = rng.gauss(12.5 * 60, 80) if rng.random() < 0.35 else rng.gauss(17.75 * 60, 110)
            seconds = int(minutes * 60)
        return self.clock.wall(time(seconds // 3600, seconds // 60 % 60, seconds % 60))

    def _latency(self, dealer: _Dealer) -> timedelta:
        if dealer.dms.batch_minutes:
            return timedelta(seconds=self.rng.uniform(45, dealer.dms.batch_minutes * 60))
        return timedelta(seconds=self.rng.uniform(0.2, 6.0))

    def _sale_date(self) -> date:
        """Mostly today; some deals reach the exchange days late, a few are months-old back office catch-up."""
        draw = self.rng.random()
        if draw < 0.84:
            return self.clock.business_date
        if draw < 0.94:
            return self.clock.business_date - timedelta(days=self.rng.randint(1, 14))
        return self.clock.business_date - timedelta(days=self.rng.randint(31, 120))

    def _vehicle(self, dealer: _Dealer, sale_date: date) -> dict[str, Any]:
        rng = self.rng
        condition = rng.choices(("NEW", "USED", "CPO"), weights=(45, 42, 13))[0]
        oem = dealer.oem if condition != "USED" or rng.random() < 0.45 else rng.choice(_OEMS)
        make, models, _ = _MAKES[oem]
        if condition == "NEW":
            year = sale_date.year + (1 if sale_date.month >= 6 and rng.random() < 0.5 else 0)
            odometer = rng.randint(3, 60)
        elif condition == "CPO":
            age = rng.randint(1, 5)
            year = sale_date.year - age
            odometer = min(int(age * rng.uniform(8_000, 14_500)), 79_900)
        else:
            age = rng.randint(1, 14)
            year = sale_date.year - age
            odometer = min(int(age * rng.uniform(7_000, 16_000)), 240_000)
        return {
            "vin": self._vin(oem, year),
            "year": year,
            "make": make,
            "model": rng.choice(models),
            "odometer": odometer,
            "condition": condition,
        }

    def _vin(self, oem: str, year: int) -> str:
        rng = self.rng
        while True:
            descriptor = "".join(rng.choice(_VIN_CHARACTERS) for _ in range(5))
            plant = rng.choice(_VIN_CHARACTERS)
            serial = f"{rng.randrange(1_000_000):06d}"
            year_code = _MODEL_YEAR_CODES[(year - 1980) % 30]
            vin = with_check_digit(f"{rng.choice(_MAKES[oem][2])}{descriptor}{year_code}{plant}{serial}")
            if vin not in self.vins:
                self.vins.add(vin)
                return vin

    def _customer(self, dealer: _Dealer, name: tuple[str, str] | None) -> dict[str, str]:
        rng = self.rng
        if name is None:
            if rng.random() < 0.06:
                name = rng.choice(_WORLD_NAMES)
            else:
                name = (rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES))
        draw = rng.random()
        state = (
            dealer.state if draw < 0.9 else rng.choice(dealer.neighbour_states if draw < 0.99 else _MAINLAND)
        )
        postal_code = f"{rng.choice(_ZIP3[state])}{rng.randrange(100):02d}"
        if rng.random() < 0.15:
            postal_code += f"-{rng.randrange(1, 10_000):04d}"
        return {"first_name": name[0], "last_name": name[1], "state": state, "postal_code": postal_code}

    def _deal(self, name: tuple[str, str] | None = None) -> _Deal:
        rng = self.rng
        dealer = rng.choices(self.dealers, weights=self.dealer_weights)[0]
        sale_date = self._sale_date()
        vehicle = self._vehicle(dealer, sale_date)
        lender = None
        if rng.random() < 0.78:
            captive = vehicle["condition"] != "USED" and rng.random() < 0.45
            lender = dealer.captive if captive else rng.choice(dealer.lenders)
        customer = self._customer(dealer, name)
        return _Deal(dealer, self._signing_time(), sale_date, vehicle, customer, lender)

    def _products(self, deal: _Deal) -> list[str]:
        rng = self.rng
        count = rng.choices(list(_PRODUCTS_PER_DEAL), weights=list(_PRODUCTS_PER_DEAL.values()))[0]
        choices = _offered_products(deal)
        picked: list[str] = []
        while choices and len(picked) < count:
            kind = rng.choices(list(choices), weights=list(choices.values()))[0]
            picked.append(kind)
            del choices[kind]
        return picked

    def _retail(self, cost: Decimal, dealer: _Dealer) -> Decimal:
        rng = self.rng
        factor = Decimal(f"{dealer.markup * rng.uniform(0.85, 1.2):.3f}")
        retail = _to_five(cost * factor)
        draw = rng.random()
        if draw < 0.25:
            retail -= Decimal("0.01")
        elif draw < 0.35:
            retail -= Decimal("0.05")
        return retail if retail > cost else _to_five(cost + 100)

    def _contract(self, deal: _Deal, product_type: str, offset: timedelta) -> _Contract:
        rng = self.rng
        dealer = deal.dealer
        plan = rng.choice(_PLANS[product_type])
        cost = plan.cost
        if product_type == "VSC" and deal.vehicle["condition"] == "USED":
            cost = (cost * Decimal("1.25")).quantize(_CENT, rounding=ROUND_HALF_UP)
        number = self._number(product_type)
        data: dict[str, Any] = {"contract_number": number}
        if dealer.dms.sends_first_revision:
            data["revision"] = 1
        data |= {
            "dealer_code": dealer.code,
            "product": {"code": plan.code, "type": product_type},
            "term_months": plan.term_months,
            "term_miles": plan.term_miles,
            "sale_date": deal.sale_date.isoformat(),
        }
        deferred = rng.random() < 0.08
        if deferred or dealer.dms.sends_effective_date:
            days = rng.randint(1, 30) if deferred else 0
            data["effective_date"] = (deal.sale_date + timedelta(days=days)).isoformat()
        data["vehicle"] = dict(deal.vehicle)
        data["customer"] = dict(deal.customer)
        if deal.lender is not None:
            data["lienholder"] = {"name": deal.lender.name, "code": deal.lender.code}
        data["pricing"] = {
            "retail_price": _money(self._retail(cost, dealer)),
            "dealer_cost": _money(cost),
            "currency": "USD",
        }
        data["oem"] = dealer.oem
        administrator = dealer.vsc_administrator if product_type == "VSC" else dealer.ancillary_administrator
        data["administrator"] = administrator if rng.random() < 0.93 else rng.choice(ADMINISTRATORS)
        fact = deal.signed + offset
        return _Contract(number, deal, product_type, data, fact, _to_millis(fact + self._latency(dealer)))

    def _sell(self, count: int) -> list[_Contract]:
        """``count`` valid contracts, deal by deal (one vehicle and customer, one to four products)."""
        rng = self.rng
        spread = max(len(SHOWCASE_NAMES), count // 3)
        positions = rng.sample(range(spread), min(len(SHOWCASE_NAMES), spread))
        self.showcase = dict(zip(positions, SHOWCASE_NAMES, strict=False))
        contracts: list[_Contract] = []
        deal_index = 0
        while len(contracts) < count:
            deal = self._deal(self.showcase.get(deal_index))
            offset = timedelta()
            for product_type in self._products(deal)[: count - len(contracts)]:
                contracts.append(self._contract(deal, product_type, offset))
                offset += timedelta(seconds=rng.randint(4, 40))
            deal_index += 1
        return contracts

    def _single_contract(self, name: tuple[str, str] | None = None) -> _Contract:
        """A one-product deal outside the day's valid contracts (for invalid, malformed, orphan events)."""
        deal = self._deal(name)
        return self._contract(deal, self.rng.choice(list(_offered_products(deal))), timedelta())

    # envelopes and drafts

    def _envelope(
        self, dealer: _Dealer, event_type: str, fact: datetime, data: dict[str, Any]
    ) -> dict[str, Any]:
        envelope: dict[str, Any] = {
            "specversion": "1.0",
            "id": "",
            "source": f"urn:dealer:{dealer.code}",
            "type": event_type,
            "time": self.clock.stamp(fact),
            "subject": data["contract_number"],
        }
        if dealer.dms.sends_content_type:
            envelope["datacontenttype"] = "application/json"
        envelope["data"] = data
        return envelope

    def _add(self, hub: str, kind: str, at: datetime, dealer: _Dealer, envelope: dict[str, Any]) -> _Draft:
        draft = _Draft(hub, kind, at, dealer, envelope)
        self.drafts.append(draft)
        return draft

    def _submit(
        self, kind: str, dealer: _Dealer, data: dict[str, Any], fact: datetime, at: datetime
    ) -> _Draft:
        envelope = self._envelope(dealer, CONTRACT_SUBMITTED, fact, data)
        return self._add(CONTRACTS_HUB, kind, at, dealer, envelope)

    def _request_cancel(self, kind: str, dealer: _Dealer, data: dict[str, Any], fact: datetime) -> _Draft:
        envelope = self._envelope(dealer, CANCEL_REQUESTED, fact, data)
        return self._add(CANCELLATIONS_HUB, kind, self._arrival(dealer, fact), dealer, envelope)

    # cancellations

    def _cancel_reason(self, contract: _Contract, instead_of: str | None = None) -> str:
        """A plausible reason for the contract's age and financing (other than ``instead_of``)."""
        age = (self.clock.business_date - contract.deal.sale_date).days
        if age == 0:
            weights = [80, 8, 3, 0, 9]
        elif age <= 14:
            weights = [60, 15, 10, 5, 10]
        else:
            weights = [35, 25, 15, 10, 15]
        if contract.deal.lender is None:
            weights[1] = weights[3] = 0  # a cash deal has no loan to pay off and nothing to repossess
        elif contract.product_type == "GAP":
            weights[2] *= 4  # a total loss is when GAP matters
        if instead_of is not None:
            weights[CANCEL_REASONS.index(instead_of)] = 0
        return self.rng.choices(CANCEL_REASONS, weights=weights)[0]

    def _cancel_odometer(self, contract: _Contract) -> int:
        age = (self.clock.business_date - contract.deal.sale_date).days
        driven = self.rng.randint(0, 60) if age == 0 else int(age * self.rng.uniform(15, 55))
        return contract.sale_odometer + driven

    def _cancel_data(
        self, contract: _Contract, dealer: _Dealer, reason: str, odometer: int
    ) -> dict[str, Any]:
        return {
            "contract_number": contract.number,
            "dealer_code": dealer.code,
            "cancel_date": self.clock.business_date.isoformat(),
            "odometer": odometer,
            "reason": reason,
        }

    def _assign_reasons(self, targets: Sequence[_Contract]) -> dict[str, str]:
        """A reason per cancelled contract by realistic weights; then, when the day has room, two GAP
        total losses (the lienholder is the payee) and every reason at least once."""
        reasons = {contract.number: self._cancel_reason(contract) for contract in targets}
        gaps = [c for c in targets if c.product_type == "GAP" and c.deal.lender is not None]
        gap_losses = [c for c in gaps if reasons[c.number] == "TOTAL_LOSS"]
        for contract in [c for c in gaps if c not in gap_losses][: max(0, 2 - len(gap_losses))]:
            reasons[contract.number] = "TOTAL_LOSS"
            gap_losses.append(contract)
        fixed = {c.number for c in gap_losses}
        for reason in CANCEL_REASONS:
            if reason in reasons.values():
                continue
            needs_loan = reason in ("LOAN_PAYOFF", "REPOSSESSION")
            spare = [
                c
                for c in targets
                if c.number not in fixed
                and (c.deal.lender is not None or not needs_loan)
                and _count(reasons, reasons[c.number]) > 1
            ]
            if spare:
                chosen = self.rng.choice(spare)
                reasons[chosen.number] = reason
                fixed.add(chosen.number)
        return reasons

    # the day

    def build(self, mix: _Mix) -> list[_Draft]:
        rng = self.rng
        contracts = self._sell(mix.contracts)
        pool = contracts[:]
        rng.shuffle(pool)
        taken: set[str] = set()

        def take(count: int, fits: Callable[[_Contract], bool] = lambda _: True) -> list[_Contract]:
            chosen: list[_Contract] = []
            for contract in pool:
                if len(chosen) == count:
                    break
                if contract.number not in taken and fits(contract):
                    chosen.append(contract)
                    taken.add(contract.number)
            return chosen

        # cancellations that overtake their contract: the DMS queued the contract, the customer walked
        # back in, the cancellation went out at once and the queued contract came an hour or two later
        early = take(mix.early_cancellations, lambda c: self.clock.local_time(c.fact) <= time(18, 30))
        # deals reaching the exchange a month or more late (back-office catch-up) are cancelled more
        # often than today's: weighted sampling without replacement (Efraimidis-Spirakis keys)
        business_date = self.clock.business_date
        keyed = [
            (rng.random() ** (1 / (8.0 if (business_date - c.deal.sale_date).days > 30 else 1.0)), c)
            for c in pool
            if c.number not in taken
        ]
        keyed.sort(key=lambda pair: pair[0], reverse=True)
        cancelled = [c for _, c in keyed[: max(0, mix.cancellations - len(early))]]
        taken.update(c.number for c in cancelled)
        revised = take(mix.revisions)
        invalid_counts = Counter(_INVALID_ROTATION[i % len(_INVALID_ROTATION)] for i in range(mix.invalid))
        repeated = take(mix.repeats - mix.repeats // 3)
        foreign_revised = take(invalid_counts[UNAUTHORIZED_REVISION])
        foreign_cancelled = take(mix.unauthorized_cancellations)

        reasons = self._assign_reasons([*early, *cancelled])
        self._early_cancellations(early, reasons)
        new_drafts = {c.number: self._submit(NEW, c.dealer, c.data, c.fact, c.at) for c in contracts}
        revisions = self._revisions(revised, invalid_counts[STALE_REVISION])
        cancels = self._cancellations(cancelled, reasons, mix)
        self._repeats(repeated, new_drafts)
        self._foreign_revisions(foreign_revised)
        self._foreign_cancellations(foreign_cancelled)
        self._orphans(mix.orphans)
        self._invalid_submissions(invalid_counts)
        self._malformed(mix.malformed)
        self._redeliveries(mix.redeliveries, [*new_drafts.values(), *revisions, *cancels])
        return self.drafts

    def _arrival(self, dealer: _Dealer, fact: datetime) -> datetime:
        """When an event sent at ``fact`` reaches the hub: after the DMS's latency, within the day."""
        return max(fact, min(_to_millis(fact + self._latency(dealer)), self.clock.latest))

    def _early_cancellations(self, early: Sequence[_Contract], reasons: Mapping[str, str]) -> None:
        """The DMS queued the contract; the customer came back, the cancellation went out at once and the
        queued contract reached the hub an hour or two later (still the same day)."""
        for contract in early:
            fact = self.clock.after(self.rng, contract.fact, timedelta(minutes=5), timedelta(minutes=60))
            odometer = self._cancel_odometer(contract)
            data = self._cancel_data(contract, contract.dealer, reasons[contract.number], odometer)
            draft = self._request_cancel(EARLY_CANCEL, contract.dealer, data, fact)
            contract.at = self.clock.after(self.rng, draft.at, timedelta(minutes=15), timedelta(minutes=120))

    def _revisions(self, revised: Sequence[_Contract], stale: int) -> list[_Draft]:
        """Revision 2 by the contract's dealer: the customer negotiated the price, or financed elsewhere.
        The first ``stale`` of them are followed by a stale revision 1."""
        rng = self.rng
        drafts = []
        for index, contract in enumerate(revised):
            data = _with_revision(contract.data, 2)
            other_lenders = [lender for lender in contract.dealer.lenders if lender != contract.deal.lender]
            if rng.random() < 0.5 and other_lenders:
                lender = rng.choice(other_lenders)
                data["lienholder"] = {"name": lender.name, "code": lender.code}
                if contract.deal.lender is None:  # a cash deal financed after all
                    data = _with_lienholder_in_place(data)
            else:
                data["pricing"]["retail_price"] = self._changed_price(data["pricing"])
            fact = self.clock.after(rng, contract.at, timedelta(minutes=10), timedelta(hours=4))
            draft = self._submit(REVISION, contract.dealer, data, fact, self._arrival(contract.dealer, fact))
            drafts.append(draft)
            if index < stale:
                self._stale_revision(contract, draft.at)
        return drafts

    def _changed_price(self, pricing: Mapping[str, str]) -> str:
        retail, cost = Decimal(pricing["retail_price"]), Decimal(pricing["dealer_cost"])
        lowered = _to_five(retail * Decimal(f"{self.rng.uniform(0.78, 0.95):.3f}"))
        if cost < lowered < retail:
            return _money(lowered)
        return _money(retail + 50)  # too thin a margin to give: the customer added an option instead

    def _stale_revision(self, contract: _Contract, revised_at: datetime) -> None:
        """Revision 1 again, at a price nobody accepted, after revision 2: a DMS replaying an old edit."""
        data = _with_revision(contract.data, 1)
        data["pricing"]["retail_price"] = _money(Decimal(data["pricing"]["retail_price"]) + 150)
        fact = self.clock.after(self.rng, revised_at, timedelta(minutes=5), timedelta(hours=2))
        self._submit(STALE_REVISION, contract.dealer, data, fact, self._arrival(contract.dealer, fact))

    def _cancellations(
        self, cancelled: Sequence[_Contract], reasons: Mapping[str, str], mix: _Mix
    ) -> list[_Draft]:
        """Cancellations after their contract; the first few get a second, different request, the next
        few the same request again under a new id."""
        rng = self.rng
        drafts = []
        seconds = {c.number for c in cancelled[: mix.second_cancellations]}
        end = mix.second_cancellations + mix.repeats // 3
        repeats = {c.number for c in cancelled[mix.second_cancellations : end]}
        for contract in cancelled:
            fact = self.clock.after(rng, contract.at, timedelta(minutes=10), timedelta(hours=6))
            odometer = self._cancel_odometer(contract)
            data = self._cancel_data(contract, contract.dealer, reasons[contract.number], odometer)
            draft = self._request_cancel(CANCEL, contract.dealer, data, fact)
            drafts.append(draft)
            if contract.number in seconds:
                # the F&I office "corrects" the reason with a second request
                reason = self._cancel_reason(contract, instead_of=data["reason"])
                second = dict(data, reason=reason, odometer=odometer + rng.randint(0, 25))
                later = self.clock.after(rng, draft.at, timedelta(minutes=20), timedelta(hours=3))
                self._request_cancel(SECOND_CANCEL, contract.dealer, second, later)
            elif contract.number in repeats:
                later = self.clock.after(rng, draft.at, timedelta(minutes=10), timedelta(hours=2))
                self._request_cancel(REPEAT, contract.dealer, dict(data), later)
        return drafts

    def _repeats(self, repeated: Sequence[_Contract], new_drafts: Mapping[str, _Draft]) -> None:
        """The same contract sent again under a new id: somebody pressed "resend" in the DMS."""
        for contract in repeated:
            original = new_drafts[contract.number]
            fact = self.clock.after(self.rng, original.at, timedelta(minutes=3), timedelta(hours=3))
            self._submit(
                REPEAT, contract.dealer, deepcopy(contract.data), fact, self._arrival(contract.dealer, fact)
            )

    def _foreign_revisions(self, targets: Sequence[_Contract]) -> None:
        """A sister store re-keys a deal under its own dealer code as revision 2."""
        for contract in targets:
            other = self._other_dealer(contract.dealer)
            data = _with_revision(contract.data, 2)
            data["dealer_code"] = other.code
            fact = self.clock.after(self.rng, contract.at, timedelta(minutes=30), timedelta(hours=4))
            self._submit(UNAUTHORIZED_REVISION, other, data, fact, self._arrival(other, fact))

    def _foreign_cancellations(self, targets: Sequence[_Contract]) -> None:
        for contract in targets:
            other = self._other_dealer(contract.dealer)
            reason = self.rng.choice(("CUSTOMER_REQUEST", "TRADE_IN"))
            data = self._cancel_data(contract, other, reason, self._cancel_odometer(contract))
            fact = self.clock.after(self.rng, contract.at, timedelta(minutes=30), timedelta(hours=4))
            self._request_cancel(UNAUTHORIZED_CANCEL, other, data, fact)

    def _orphans(self, count: int) -> None:
        """Cancellations of contracts the dealer's DMS never transmitted."""
        for _ in range(count):
            contract = self._single_contract()
            reason = self._cancel_reason(contract)
            data = self._cancel_data(contract, contract.dealer, reason, self._cancel_odometer(contract))
            self._request_cancel(ORPHAN_CANCEL, contract.dealer, data, contract.fact)

    def _invalid_submissions(self, counts: Mapping[str, int]) -> None:
        for kind in (INVALID_VIN, INVALID_DATES, INVALID_PRICE, INVALID_SCHEMA):
            for index in range(counts[kind]):
                contract = self._single_contract()
                data = deepcopy(contract.data)
                _INVALIDATE[kind](self, data, index)
                self._submit(kind, contract.dealer, data, contract.fact, contract.at)

    def _typo_vin(self, data: dict[str, Any], _: int) -> None:
        vin = data["vehicle"]["vin"]
        while True:
            position = self.rng.randrange(11, 17)
            typo = f"{vin[:position]}{self.rng.choice('0123456789')}{vin[position + 1 :]}"
            if not vin_is_valid(typo):
                data["vehicle"]["vin"] = typo
                return

    def _late_effective_date(self, data: dict[str, Any], _: int) -> None:
        data["effective_date"] = (date.fromisoformat(data["sale_date"]) + timedelta(days=45)).isoformat()

    def _swapped_prices(self, data: dict[str, Any], _: int) -> None:
        pricing = data["pricing"]
        pricing["retail_price"], pricing["dealer_cost"] = pricing["dealer_cost"], pricing["retail_price"]

    def _schema_violation(self, data: dict[str, Any], index: int) -> None:
        variant = index % 5
        if variant == 0:
            del data["administrator"]
        elif variant == 1:
            del data["vehicle"]["vin"]
        elif variant == 2:
            del data["customer"]["postal_code"]
        elif variant == 3:
            del data["term_months"]
        else:
            data["pricing"]["retail_price"] = float(data["pricing"]["retail_price"])

    def _malformed(self, count: int) -> None:
        rng = self.rng
        for index in range(count):
            variant = _MALFORMED_ROTATION[index % len(_MALFORMED_ROTATION)]
            on_cancellations = variant in ("not-json", "array", "not-envelope") and rng.random() < 0.3
            name = rng.choice(_LATIN1_NAMES) if variant == "not-utf8" else None
            contract = self._single_contract(name)
            dealer = contract.dealer
            if on_cancellations:
                data = self._cancel_data(
                    contract, dealer, "CUSTOMER_REQUEST", self._cancel_odometer(contract)
                )
                draft = self._request_cancel(MALFORMED, dealer, data, contract.fact)
            else:
                draft = self._submit(MALFORMED, dealer, contract.data, contract.fact, contract.at)
            if variant == "not-json":
                draft.damage = rng.choice(("truncate", "xml")) if not on_cancellations else "truncate"
                draft.cut = rng.uniform(0.2, 0.9)
            elif variant == "not-utf8":
                draft.damage = "latin1"
            elif variant == "array":
                draft.damage = "array"
            elif variant == "not-envelope":
                draft.damage = "bare"
            else:
                draft.kind = UNKNOWN_TYPE
                unknown = ("fni.contract.submitted.v2", "fni.contract.voided.v1", CANCEL_REQUESTED)
                draft.envelope["type"] = rng.choice(unknown)

    def _redeliveries(self, count: int, originals: Sequence[_Draft]) -> None:
        """The same bytes again: a producer retry after a timeout, or a DMS re-sending its batch."""
        rng = self.rng
        for original in rng.sample(list(originals), min(count, len(originals))):
            if rng.random() < 0.6:
                at = self.clock.after(rng, original.at, timedelta(seconds=2), timedelta(minutes=2))
            else:
                at = self.clock.after(rng, original.at, timedelta(minutes=5), timedelta(hours=3))
            draft = _Draft(
                original.hub, REDELIVERY, at, original.dealer, original.envelope, original=original
            )
            self.drafts.append(draft)


_INVALIDATE: dict[str, Callable[[_DayBuilder, dict[str, Any], int], None]] = {
    INVALID_VIN: _DayBuilder._typo_vin,
    INVALID_DATES: _DayBuilder._late_effective_date,
    INVALID_PRICE: _DayBuilder._swapped_prices,
    INVALID_SCHEMA: _DayBuilder._schema_violation,
}


def _offered_products(deal: _Deal) -> dict[str, int]:
    """What the F&I office offers on this deal, with how often it sells: GAP only with a loan, and no
    service contract on a vehicle past 150,000 miles."""
    return {
        kind: weight
        for kind, weight in _PRODUCT_WEIGHTS.items()
        if (kind != "GAP" or deal.lender is not None)
        and (kind != "VSC" or deal.vehicle["odometer"] <= 150_000)
    }


def _count(values: Mapping[str, str], value: str) -> int:
    return sum(1 for item in values.values() if item == value)


def _with_revision(data: Mapping[str, Any], revision: int) -> dict[str, Any]:
    """A copy of a submission's data as revision ``revision``, the field right after the contract number."""
    rest = {key: value for key, value in deepcopy(data).items() if key not in ("contract_number", "revision")}
    return {"contract_number": data["contract_number"], "revision": revision, **rest}


def _with_lienholder_in_place(data: dict[str, Any]) -> dict[str, Any]:
    """The contract's fields in the order every DMS writes them: the lienholder between customer and pricing."""
    lienholder = data["lienholder"]
    reordered: dict[str, Any] = {}
    for key, value in data.items():
        if key == "pricing":
            reordered["lienholder"] = lienholder
        if key != "lienholder":
            reordered[key] = value
    return reordered


# --- ids and bodies ------------------------------------------------------------------------------


def _finish(drafts: Sequence[_Draft], run_tag: str) -> tuple[DemoEvent, ...]:
    """Ids in each dealer's sending order, then the bodies; a redelivery reuses its original's bytes."""
    ordered = sorted(drafts, key=lambda draft: draft.at)
    counters: dict[str, int] = {}
    for draft in ordered:
        if draft.original is None:
            code = draft.dealer.code
            number = counters.get(code, draft.dealer.first_event_number)
            counters[code] = number + 1
            draft.envelope = dict(draft.envelope, id=f"{code}-{run_tag}-{number:06d}")
            draft.body = _body(draft)
    for draft in ordered:
        if draft.original is not None:
            draft.body = draft.original.body
    return tuple(DemoEvent(d.hub, d.body, d.at, d.kind, d.dealer.code) for d in ordered)


def _body(draft: _Draft) -> bytes:
    envelope = draft.envelope
    ascii_only = draft.dealer.dms.escapes_non_ascii
    if draft.damage == "bare":
        return _json(envelope["data"], ascii_only).encode("utf-8")
    if draft.damage == "latin1":
        return _json(envelope, False).encode("latin-1")
    if draft.damage == "xml":
        return _xml(envelope).encode("utf-8")
    text = _json(envelope, ascii_only)
    if draft.damage == "truncate":
        return text[: int(len(text) * draft.cut)].encode("utf-8")
    if draft.damage == "array":
        return f"[{text}]".encode()
    return text.encode("utf-8")


def _json(document: object, ascii_only: bool) -> str:
    return json.dumps(document, ensure_ascii=ascii_only, separators=(",", ":"))


def _xml(envelope: Mapping[str, Any]) -> str:
    """What a legacy DMS export sends when its JSON adapter is switched off."""
    data = envelope["data"]
    fields = {
        "ContractNumber": data["contract_number"],
        "DealerCode": data["dealer_code"],
        "ProductCode": data["product"]["code"],
        "SaleDate": data["sale_date"],
        "VIN": data["vehicle"]["vin"],
        "CustomerName": f"{data['customer']['first_name']} {data['customer']['last_name']}",
        "RetailPrice": data["pricing"]["retail_price"],
    }
    inner = "".join(f"<{tag}>{escape(str(value))}</{tag}>" for tag, value in fields.items())
    return f'<?xml version="1.0" encoding="UTF-8"?><ServiceContract>{inner}</ServiceContract>'
