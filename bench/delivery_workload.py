"""A business day of journal facts for ``bench.delivery``, of any size, built from facts the real service decided.

A small pool of submissions, revisions and cancellations (``tests/events.py``) is decided by the real-time service
on the in-memory adapters (``tests/partners.py``); fact ``i`` of the day is pool fact ``i mod len(pool)`` with its
own contract number, VIN, prices, event id and journal position (decision stamp ``STEP`` apart, then hub, partition,
sequence and hash, as ``InboundMessage.position`` and ``decisions._fact`` build them). Fact ``i`` is a pure function
of ``i``, so a larger day extends a smaller one, and the expected file can be rendered offline at any time.

The expected control totals are computed here from the integer cents the facts were given, not through the
product's record and writer code, so the delivered manifest is checked against an independent sum.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from function_app.adapters.kernel.memory import MemoryJournal
from function_app.domain.delivery.formats import file_bytes, writer_for
from function_app.domain.delivery.records import PiiLevel, record
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.kernel.messages import short_hash
from function_app.domain.kernel.partners import PartnerConfig
from function_app.domain.kernel.vin import with_check_digit
from tests.events import cancellation, contract, messages
from tests.partners import memory_exchange

DAY = date(2026, 3, 2)  # the measured business date (America/Chicago)
WARM_DAY = date(2026, 2, 1)  # warm-up date: outside DAY's 7-day lookback, and DAY outside its own
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # 06:00 in Chicago the next morning: DAY's daily file is due
STEP = timedelta(milliseconds=40)  # decision stamps of consecutive facts
MAX_FACTS = 1_500_000  # 1.5M x 40 ms = 16.7 h from 06:00 local: every stamp stays inside its business day
FEED = "nightly-contracts"
# A realistic OEM nightly feed (config/partners.json's oem-toyota list, plus names, dealer cost and the refund),
# masked: customer names become initials and the VIN keeps its last 8 characters.
FIELDS = [
    "record_type", "business_date", "contract_number", "revision", "dealer_code", "oem", "product_code",
    "product_type", "sale_date", "effective_date", "term_months", "term_miles", "vin", "vehicle_year",
    "vehicle_make", "vehicle_model", "vehicle_condition", "sale_odometer", "customer_first_name",
    "customer_last_name", "customer_state", "lienholder_code", "retail_price", "dealer_cost", "cancel_date",
    "cancel_reason", "customer_refund",
]  # fmt: skip
PII = PiiLevel.MASKED
_PARTITION = "0003"  # the Event Hub partition the templated facts claim to come from


def partner_config(partner_ids: Sequence[str]) -> PartnerConfig:
    """One OEM-like partner per id, each with the same daily csv feed receiving every contract fact."""
    feed = {"name": FEED, "facts": ["contracts", "cancellations"], "filter": {}, "format": "csv",
            "fields": FIELDS, "pii": PII.value, "sla": "P1D"}
    partners = [{"id": pid, "name": f"Benchmark partner {pid}", "kind": "OEM", "feeds": [feed]} for pid in partner_ids]
    return PartnerConfig.model_validate({"schema_version": 1, "partners": partners})


@dataclass(frozen=True)
class _Template:
    fact: JournalFact
    hub: str
    data_json: str
    retail_cents: int
    dealer_cents: int
    customer_refund: Decimal | None
    vin_prefix: str  # WMI, VDS and check-digit place: the serial part varies


def _cents(text: str) -> int:
    return int(Decimal(text) * 100)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def decided_pool() -> list[JournalFact]:
    """16 new contracts (VSC and GAP, four OEMs, several dealers), 2 revisions and 2 cancellations, decided by
    ``RealtimeService.process`` on the in-memory adapters: 80 % accepted, 10 % revised, 10 % cancelled."""
    exchange = memory_exchange()
    oems = ("TOYOTA", "HONDA", "ACURA", "LEXUS")
    first = ("María", "Dana", "Émile", "Jo")
    last = ("Núñez", "O'Neil", "Smith, Jr.", "Lee")
    vehicles = (("Toyota", "Camry"), ("Honda", "CR-V"), ("Ford", 'F-150 "Lariat", 4x4'), ("Lexus", "RX 350"))
    submissions = []
    for k in range(16):
        changes: dict[str, Any] = {
            "oem": oems[k % 4], "customer__first_name": first[k % 4], "customer__last_name": last[(k // 4) % 4],
            "vehicle__make": vehicles[k % 4][0], "vehicle__model": vehicles[k % 4][1],
            "administrator": "ADM-01" if k % 3 else "ADM-02",
        }  # fmt: skip
        if k % 4 == 3:
            changes.update(product__code="GAP-STD-72", product__type="GAP", term_months=72, term_miles=None,
                           pricing__retail_price="895.00", pricing__dealer_cost="400.00")
        submissions.append(contract(f"VSC90000{k:02d}", dealer=f"D{10442 + 7 * (k % 5)}", **changes))
    revisions = [contract("VSC9000001", dealer="D10449", revision=2, oem="HONDA", pricing__retail_price="2795.00"),
                 contract("VSC9000006", dealer="D10449", revision=2, oem="ACURA")]
    cancellations = [cancellation("VSC9000004", dealer="D10470"), cancellation("VSC9000010", dealer="D10442")]
    at = NOW - timedelta(days=2)
    for hub, events, start in (("contracts", submissions, 0), ("contracts", revisions, 100),
                               ("cancellations", cancellations, 200)):
        statuses = exchange.realtime.process(messages(hub, events, start=start, at=at)).statuses
        if statuses != {"ACCEPTED": len(events)}:
            raise SystemExit(f"the fact pool's {hub} events were not all accepted: {dict(statuses)}")
    journal = exchange.journal
    assert isinstance(journal, MemoryJournal)
    # one decision time for all: order by stream sequence, so the day cycles 16 submissions, 2 revisions, 2 cancels
    facts = sorted(journal.facts.values(), key=lambda f: int(f.position.split("-")[3]))
    kinds = [f.kind for f in facts]
    if (kinds.count(FactKind.CONTRACT_REVISED), kinds.count(FactKind.CONTRACT_CANCELLED)) != (2, 2):
        raise SystemExit(f"unexpected fact pool: {kinds}")
    return facts


class DayOfFacts:
    """Fact ``i`` of a business date, for any ``i`` below MAX_FACTS."""

    def __init__(self, day: date, pool: Sequence[JournalFact]) -> None:
        self.day = day
        self._start = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)  # 06:00 CST
        self._templates = [self._template(f) for f in pool]

    @staticmethod
    def _template(fact: JournalFact) -> _Template:
        pricing = fact.data["contract"]["pricing"]
        refund = fact.data.get("refund", {}).get("customer_refund")
        hub = fact.position.split("-")[1]
        return _Template(fact, hub, json.dumps(fact.data, ensure_ascii=False), _cents(pricing["retail_price"]),
                         _cents(pricing["dealer_cost"]), None if refund is None else Decimal(str(refund)),
                         fact.data["contract"]["vehicle"]["vin"][:11])

    def _money(self, i: int) -> tuple[int, int]:
        template = self._templates[i % len(self._templates)]
        return template.retail_cents + (i * 7919) % 50_000, template.dealer_cents + (i * 104_729) % 20_000

    def fact(self, i: int) -> JournalFact:
        if not 0 <= i < MAX_FACTS:
            raise ValueError(f"fact index {i} outside 0..{MAX_FACTS - 1}")
        template = self._templates[i % len(self._templates)]
        base = template.fact
        number = f"{base.product_type[:3]}{self.day:%y%m%d}{i:07d}"
        retail, dealer = self._money(i)
        data = json.loads(template.data_json)
        terms = data["contract"]
        terms["contract_number"] = number
        terms["pricing"]["retail_price"], terms["pricing"]["dealer_cost"] = _money(retail), _money(dealer)
        terms["vehicle"]["vin"] = with_check_digit(template.vin_prefix + f"{i % 1_000_000:06d}")
        if "cancellation" in data:
            data["cancellation"]["contract_number"] = number
        stamp = (self._start + i * STEP).strftime("%Y%m%dT%H%M%S%fZ")
        event_id = base.event_id.replace(base.contract_number, number)
        position = f"{stamp}-{template.hub}-{_PARTITION}-{i:020d}-{short_hash(f'{template.hub}:{event_id}', 8)}"
        return replace(base, business_date=self.day, position=position, contract_number=number, event_id=event_id,
                       data=data)

    def facts(self, start: int, stop: int) -> Iterator[JournalFact]:
        return (self.fact(i) for i in range(start, stop))

    def control_totals(self, count: int) -> dict[str, str]:
        """What the manifest must say for facts 0..count-1, summed from the cents given to each fact."""
        retail = dealer = 0
        refund = Decimal("0.00")
        for i in range(count):
            r, d = self._money(i)
            retail, dealer = retail + r, dealer + d
            template_refund = self._templates[i % len(self._templates)].customer_refund
            refund += template_refund if template_refund is not None else 0
        return {"retail_price": _money(retail), "dealer_cost": _money(dealer), "customer_refund": f"{refund:f}"}

    def kinds(self, count: int) -> dict[str, int]:
        """How many facts of each kind 0..count-1 holds."""
        full, extra = divmod(count, len(self._templates))
        counts: dict[str, int] = {}
        for index, template in enumerate(self._templates):
            kind = template.fact.kind.value
            counts[kind] = counts.get(kind, 0) + full + (1 if index < extra else 0)
        return counts


@dataclass(frozen=True)
class ExpectedFile:
    sha256: str
    bytes: int
    lines: int


def expected_file(facts: DayOfFacts, count: int, partner: str, sequence: int = 1) -> ExpectedFile:
    """The file a daily delivery of facts 0..count-1 must produce, rendered offline with the product's record and
    csv writer, streamed (nothing kept). The delivered blob must equal it byte for byte: the journal round trip
    through Table Storage and the staged-block upload may neither lose, reorder nor alter anything."""
    writer = writer_for("csv", partner, FEED, facts.day, sequence, FIELDS)
    digest, size, lines = hashlib.sha256(), 0, 0
    for chunk in file_bytes(writer, (record(f, FIELDS, PII) for f in facts.facts(0, count))):
        digest.update(chunk)
        size += len(chunk)
        lines += chunk.count(b"\n")
    return ExpectedFile(digest.hexdigest(), size, lines)
