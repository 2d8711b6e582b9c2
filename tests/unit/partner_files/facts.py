"""Journal facts for partner-file tests, made by the real decision rules so their `data` is what the journal holds."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from function_app.domain.kernel.catalogue import DEFAULT_CATALOGUE
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.kernel.messages import short_hash
from function_app.domain.kernel.vin import with_check_digit
from function_app.domain.realtime.contracts import ContractRecord, EventContext
from function_app.domain.realtime.decisions import ContractBook
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission

BUSINESS_DATE = date(2026, 3, 2)
BOOK = ContractBook(DEFAULT_CATALOGUE)

# spec/examples/contracts.jsonl line 1 (VSC, María Núñez)
VSC: dict[str, Any] = {
    "contract_number": "VSC2501150001",
    "revision": 1,
    "dealer_code": "D10442",
    "product": {"code": "VSC-PLAT-60", "type": "VSC"},
    "term_months": 60,
    "term_miles": 60000,
    "sale_date": "2025-01-15",
    "effective_date": "2025-01-15",
    "vehicle": {"vin": "4T1BF1FK3GU123456", "year": 2016, "make": "Toyota", "model": "Camry", "odometer": 12000,
                "condition": "USED"},
    "customer": {"first_name": "María", "last_name": "Núñez", "state": "TX", "postal_code": "75201"},
    "lienholder": {"name": "First Prairie Credit Union", "code": "FPCU"},
    "pricing": {"retail_price": "2495.00", "dealer_cost": "1100.00", "currency": "USD"},
    "oem": "TOYOTA",
    "administrator": "ADM-01",
}


def contract(number: str, product: tuple[str, str], first: str, last: str, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(VSC) | {"contract_number": number, "product": {"code": product[0], "type": product[1]}}
    data["customer"] |= {"first_name": first, "last_name": last}
    data["vehicle"]["vin"] = with_check_digit("1HGCM82633A" + f"{int(short_hash(number, 6), 16) % 1_000_000:06d}")
    for key, value in changes.items():
        section, _, leaf = key.partition("__")
        if leaf:
            data[section] = {**data[section], leaf: value}
        else:
            data[section] = value
    return data


GAP = contract(
    "GAP2505310007", ("GAP-STD-72", "GAP"), 'Robert "Bob"', "Smith, Jr.",
    dealer_code="D20117", term_months=72, term_miles=None, sale_date="2025-05-31", effective_date="2025-05-31",
    vehicle__make="Honda", vehicle__model="CR-V", vehicle__year=2025, vehicle__odometer=8, vehicle__condition="NEW",
    customer__state="GA", customer__postal_code="30303-1234",
    lienholder={"name": "Peach State Auto Finance, LLC", "code": "PSAF"},
    pricing={"retail_price": "895.00", "dealer_cost": "400.00", "currency": "USD"},
    oem="HONDA", administrator="ADM-02",
)
GAP_TOTAL_LOSS = {"contract_number": "GAP2505310007", "dealer_code": "D20117", "cancel_date": "2026-02-20",
                  "odometer": 15230, "reason": "TOTAL_LOSS"}
FORMULAS = contract("TW2602270003", ("TW-STD-36", "TIRE_WHEEL"), '=HYPERLINK("x")', "+1", dealer_code="D30001",
                    term_months=36, term_miles=36000, lienholder=None, oem=None, sale_date="2026-02-27",
                    effective_date="2026-02-27", vehicle__year=2024,
                    pricing={"retail_price": "799.99", "dealer_cost": "250.00", "currency": "USD"})
MORE_FORMULAS = contract("KEY2602280004", ("KEY-REPL", "KEY"), "@SUM", "-2", dealer_code="D30001", term_months=24,
                         term_miles=None, sale_date="2026-02-28", effective_date="2026-02-28",
                         pricing={"retail_price": "399.00", "dealer_cost": "0.00", "currency": "USD"})
NON_LATIN = contract("PPM2603010005", ("PPM-BASIC", "PPM"), "Zoë", "王小明", dealer_code="D10442", term_months=48,
                     term_miles=48000, sale_date="2026-03-01", effective_date="2026-03-01", vehicle__make="Škoda",
                     vehicle__model="Octavia", vehicle__year=2026, vehicle__odometer=15, vehicle__condition="NEW",
                     customer__state="CA", customer__postal_code="94105", oem="SKODA",
                     pricing={"retail_price": "1200.50", "dealer_cost": "600.25", "currency": "USD"})


def _context(step: int, hub: str, dealer: str, event_id: str, source: str | None = None) -> EventContext:
    source = source or f"urn:dealer:{dealer}"
    position = f"20260302T15{step:02d}00000000Z-{hub}-0000-{step:020d}"
    at = datetime(2026, 3, 2, 15, step, tzinfo=UTC)
    return EventContext(f"{source}\n{event_id}", event_id, source, position, BUSINESS_DATE, at)


def submitted(record: ContractRecord, data: dict[str, Any], step: int) -> tuple[ContractRecord, JournalFact]:
    submission = ContractSubmission.model_validate(data)
    event_id = f"{submission.dealer_code}-{step:06d}"
    ctx = _context(step, "contracts", submission.dealer_code, event_id)
    record, outcomes = BOOK.submit(record, submission, short_hash(submission.model_dump_json(), 32), ctx)
    return record, outcomes[0].facts[0]


def cancelled(record: ContractRecord, data: dict[str, Any], step: int) -> JournalFact:
    """A dealer's request, or a lender's (`lienholder_code`, sent from `urn:lender:<code>`)."""
    request = CancellationRequest.model_validate(data)
    sender = request.dealer_code or request.lienholder_code or ""
    source = f"urn:lender:{sender}" if request.by_lender else None
    ctx = _context(step, "cancellations", sender, f"{sender}-{step:06d}", source)
    _, outcome = BOOK.cancel(record, request, short_hash(request.model_dump_json(), 32), ctx)
    return outcome.facts[0]


def sample_facts() -> list[JournalFact]:
    """Accepted, revised, a GAP total loss refunded to the lienholder, formula-like and non-Latin names."""
    vsc, accepted = submitted(ContractRecord.empty(VSC["contract_number"]), VSC, 1)
    _, revised = submitted(vsc, VSC | {"revision": 2, "pricing": {**VSC["pricing"], "retail_price": "2695.00"}}, 2)
    gap, gap_accepted = submitted(ContractRecord.empty(GAP["contract_number"]), GAP, 3)
    gap_cancelled = cancelled(gap, GAP_TOTAL_LOSS, 4)
    others = [submitted(ContractRecord.empty(d["contract_number"]), d, 5 + i)[1]
              for i, d in enumerate((FORMULAS, MORE_FORMULAS, NON_LATIN))]
    return [accepted, revised, gap_accepted, gap_cancelled, *others]
