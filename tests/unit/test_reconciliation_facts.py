"""Every journal fact against the record it was taken from: a fact made by the real services on in-memory storage
is edited (or forged) in the journal, as someone with write access to the table could, and reconciliation names
the contract and the field; a fact a later revision superseded, or a day nobody touched, is no break."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from function_app.bootstrap import Exchange
from function_app.domain.claims.origin import ClaimOrigin, ClaimRecord
from function_app.domain.claims.rows import ClaimRow, content_hash
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.reconciliation.fact_back_office import claim_hash
from function_app.domain.reconciliation.fact_records import Claims, compare_facts
from function_app.domain.reconciliation.model import Break, BreakKind
from function_app.domain.reconciliation.runs import resolve
from tests.events import contract
from tests.partners import DAY, NOON, Clock, cancellation, config, contracts_of_the_day, decide, feed, memory_exchange

CDC = "policy-admin-cdc"
TOYOTA_ONLY = config({"id": "oem-toyota", "name": "Toyota", "kind": "OEM",
                      "feeds": [feed("nightly", filter={"oems": ["TOYOTA"]})]})
HONDA = "VSC7000001"  # contracts_of_the_day alternates TOYOTA, HONDA: no feed above carries this one


def day_of(count: int = 3, partners: Any = TOYOTA_ONLY) -> Exchange:
    exchange = memory_exchange(partners, clock=Clock(NOON))
    decide(exchange, "contracts", list(contracts_of_the_day(count)))
    return exchange


def checked(exchange: Exchange, claims: Claims | None = None, day: date = DAY) -> tuple[Break, ...]:
    facts = list(exchange.journal.read(day))
    records = exchange.contracts.load({f.contract_number for f in facts}, {}).contracts
    return compare_facts(business_date=day, facts=facts,
                         records={n: stored.record for n, stored in records.items()}, claims=claims)


def fact_of(exchange: Exchange, number: str, kind: FactKind) -> JournalFact:
    return next(f for f in exchange.journal.read(DAY) if f.contract_number == number and f.kind is kind)


def edited(exchange: Exchange, fact: JournalFact, path: str, value: Any) -> JournalFact:
    """The fact with one value of its data changed, written over the original as the table would take it."""
    data: dict[str, Any] = json_copy(fact.data)
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[leaf] = value
    changed = replace(fact, data=data)
    exchange.journal.append([changed])
    return changed


def json_copy(value: Any) -> Any:
    return {k: json_copy(v) for k, v in value.items()} if isinstance(value, dict) else value


def debezium(table: str, row: dict[str, Any], commit: int) -> dict[str, Any]:
    lsn = f"0000002A:{commit:08x}:0001"  # upper case, as SQL Server may give it
    source = {"table": table, "commit_lsn": lsn, "change_lsn": lsn, "event_serial_no": 1, "ts_ms": 0}
    return {"payload": {"before": None, "after": row, "source": source, "op": "c"}}


def back_office(exchange: Exchange, number: str, status: str, commit: int) -> None:
    decide(exchange, CDC, [debezium("contracts", {"contract_number": number, "status": status}, commit)],
           start=commit * 10)


def claim_paid(exchange: Exchange, number: str, amount: str, commit: int, claim: str = "CLM-000001") -> None:
    row = {"claim_number": claim, "contract_number": number, "status": "PAID", "paid_amount": amount,
           "paid_date": "2026-03-02"}
    decide(exchange, CDC, [debezium("claims", row, commit)], start=commit * 10)


# ---- a clean day --------------------------------------------------------------------------------------------------


def test_a_day_of_every_fact_kind_nobody_touched_has_no_break() -> None:
    exchange = day_of(4)
    decide(exchange, "contracts", [contract("VSC7000002", revision=2, pricing__retail_price="2100.00")], start=50)
    decide(exchange, "cancellations", [cancellation("VSC7000003")], start=60)
    back_office(exchange, "VSC7000000", "ACTIVE", 1)
    back_office(exchange, "VSC7000003", "CANCELLED", 2)
    back_office(exchange, "VSC8000000", "ACTIVE", 3)  # a contract the exchange has not seen: no record to differ
    claim_paid(exchange, "VSC7000000", "88.10", 4)
    claim_paid(exchange, "VSC7000000", "12.00", 5, claim="CLM-000002")
    kinds = {f.kind for f in exchange.journal.read(DAY)}
    assert kinds == set(FactKind) - {FactKind.CLAIM_SUBMITTED}, "claims filed: see the claims tests below"
    assert checked(exchange) == ()
    report = exchange.reconciliation.run(DAY)
    assert [b for b in report.source_of_record if "@" in b.key] == [], "no fact differs from its record"
    assert report.contracts_checked == 5, "every contract a fact of the date names"


# ---- a fact without a record --------------------------------------------------------------------------------------


def test_a_forged_fact_whose_contract_the_exchange_never_held_is_missing() -> None:
    exchange = day_of(1)
    genuine = fact_of(exchange, "VSC7000000", FactKind.CONTRACT_ACCEPTED)
    forged = replace(genuine, contract_number="VSC7999999", position=genuine.position[:-8] + "f0f0f0f0")
    exchange.journal.append([forged])
    [missing] = checked(exchange)
    assert (missing.kind, missing.scope, missing.key, missing.contract_number) == (
        BreakKind.MISSING, "source-of-record", f"VSC7999999@{forged.position}", "VSC7999999")
    assert "the exchange holds no record of its contract" in missing.detail
    assert missing in exchange.reconciliation.run(DAY).source_of_record


def test_a_fact_decided_by_the_exchange_on_a_contract_it_only_heard_of_from_the_back_office_is_missing() -> None:
    exchange = day_of(1)
    back_office(exchange, "VSC8000000", "ACTIVE", 1)
    genuine = fact_of(exchange, "VSC7000000", FactKind.CONTRACT_ACCEPTED)
    forged = replace(genuine, contract_number="VSC8000000", position=genuine.position[:-8] + "f0f0f0f0")
    exchange.journal.append([forged])
    [missing] = checked(exchange)
    assert (missing.kind, missing.contract_number) == (BreakKind.MISSING, "VSC8000000")
    assert "never accepted its contract" in missing.detail


# ---- amounts and other fields of a contract ---------------------------------------------------------------------


def test_an_amount_edited_on_a_contract_no_feed_carries_is_an_amount_mismatch_naming_the_field() -> None:
    exchange = day_of(3)
    fact = edited(exchange, fact_of(exchange, HONDA, FactKind.CONTRACT_ACCEPTED), "contract.pricing.retail_price",
                  "1.00")
    [amount] = checked(exchange)
    assert (amount.kind, amount.key, amount.contract_number) == (BreakKind.AMOUNT_MISMATCH, f"{HONDA}@{fact.position}",
                                                                 HONDA)
    assert "contract.pricing.retail_price '1.00' in the journal, '2495.00' in the exchange's record" in amount.detail
    report = exchange.reconciliation.run(DAY)
    assert amount in report.source_of_record
    assert all(b.contract_number != HONDA for f in report.feeds for b in f.breaks), "no feed carries it"


def test_a_field_other_than_money_is_a_record_mismatch_naming_it_without_its_values() -> None:
    exchange = day_of(1)
    fact = fact_of(exchange, "VSC7000000", FactKind.CONTRACT_ACCEPTED)
    original = fact.data["contract"]["customer"]["last_name"]
    edited(exchange, fact, "contract.customer.last_name", "Forged")
    exchange.journal.append([replace(fact_of(exchange, "VSC7000000", FactKind.CONTRACT_ACCEPTED), dealer_code="D99")])
    [record] = checked(exchange)
    assert record.kind is BreakKind.RECORD_MISMATCH
    assert "contract.customer.last_name differs from the value in the exchange's record" in record.detail
    assert "dealer_code differs" in record.detail
    assert original not in record.detail and "Forged" not in record.detail and "D99" not in record.detail


def test_a_text_put_in_a_money_field_is_not_quoted() -> None:
    exchange = day_of(1)
    edited(exchange, fact_of(exchange, "VSC7000000", FactKind.CONTRACT_ACCEPTED), "contract.pricing.dealer_cost",
           "Jane Doe")
    [amount] = checked(exchange)
    assert "contract.pricing.dealer_cost (not an amount) in the journal" in amount.detail
    assert "Jane" not in amount.detail


def test_a_revision_superseded_since_is_no_break_and_one_newer_than_the_record_is() -> None:
    exchange = day_of(1)
    decide(exchange, "contracts", [contract("VSC7000000", revision=2, pricing__retail_price="2100.00")], start=50)
    first = fact_of(exchange, "VSC7000000", FactKind.CONTRACT_ACCEPTED)
    assert first.data["contract"]["pricing"]["retail_price"] != "2100.00", "the record holds revision 2 only"
    assert checked(exchange) == ()
    revised = fact_of(exchange, "VSC7000000", FactKind.CONTRACT_REVISED)
    exchange.journal.append([replace(revised, revision=3)])
    [newer] = checked(exchange)
    assert (newer.kind, newer.key) == (BreakKind.RECORD_MISMATCH, f"VSC7000000@{revised.position}")
    assert "revision 3 is newer than the exchange's record (revision 2)" in newer.detail


# ---- cancellations -------------------------------------------------------------------------------------------------


def test_a_refund_edited_in_a_cancellation_fact_is_an_amount_mismatch() -> None:
    exchange = day_of(2)
    decide(exchange, "cancellations", [cancellation("VSC7000001")], start=60)
    fact = fact_of(exchange, "VSC7000001", FactKind.CONTRACT_CANCELLED)
    sent = fact.data["refund"]["customer_refund"]
    edited(exchange, fact, "refund.customer_refund", "9999.99")
    [refund] = checked(exchange)
    assert (refund.kind, refund.key) == (BreakKind.AMOUNT_MISMATCH, f"VSC7000001@{fact.position}")
    assert f"refund.customer_refund '9999.99' in the journal, '{sent}' in the exchange's record" in refund.detail


def test_a_cancellation_fact_of_a_contract_the_exchange_holds_active_is_a_record_mismatch() -> None:
    exchange = day_of(2)
    decide(exchange, "cancellations", [cancellation("VSC7000001")], start=60)
    genuine = fact_of(exchange, "VSC7000001", FactKind.CONTRACT_CANCELLED)
    forged = replace(genuine, contract_number="VSC7000000", event_id="forged",
                     data={**genuine.data, "contract": fact_of(exchange, "VSC7000000",
                                                               FactKind.CONTRACT_ACCEPTED).data["contract"]},
                     position=genuine.position[:-8] + "f0f0f0f0")
    exchange.journal.append([forged])
    [status] = checked(exchange)
    assert (status.kind, status.contract_number) == (BreakKind.RECORD_MISMATCH, "VSC7000000")
    assert "has the contract not cancelled" in status.detail


# ---- the back office's changes ------------------------------------------------------------------------------------


def test_a_claim_paid_amount_edited_is_an_amount_mismatch_while_a_superseded_one_is_not() -> None:
    exchange = day_of(1)
    claim_paid(exchange, "VSC7000000", "88.10", 1)
    claim_paid(exchange, "VSC7000000", "90.00", 2)  # the same claim, paid again with a corrected amount
    first, second = [f for f in exchange.journal.read(DAY) if f.kind is FactKind.CLAIM_PAID]
    assert checked(exchange) == ()
    edited(exchange, first, "claim.paid_amount", "1.00")
    assert checked(exchange) == (), "a later change superseded it: the row no longer gives its amount"
    edited(exchange, second, "claim.paid_amount", "1.00")
    [amount] = checked(exchange)
    assert (amount.kind, amount.key) == (BreakKind.AMOUNT_MISMATCH, f"VSC7000000@{second.position}")


def test_the_latest_claim_paid_amount_and_total_are_checked_against_the_row() -> None:
    exchange = day_of(1)
    claim_paid(exchange, "VSC7000000", "88.10", 1)
    fact = fact_of(exchange, "VSC7000000", FactKind.CLAIM_PAID)
    edited(exchange, fact, "claim.paid_amount", "1.00")
    edited(exchange, fact_of(exchange, "VSC7000000", FactKind.CLAIM_PAID), "claims_paid", "1.00")
    [amount] = checked(exchange)
    assert amount.kind is BreakKind.AMOUNT_MISMATCH
    assert "claim.paid_amount '1.00' in the journal, '88.10' in the back office's row the exchange holds" \
        in amount.detail
    assert "claims_paid '1.00' in the journal, '88.10' over the back office's rows" in amount.detail


def test_a_status_change_edited_or_naming_a_row_never_reported_is_a_break() -> None:
    exchange = day_of(2)
    back_office(exchange, "VSC7000000", "SUSPENDED", 1)
    fact = fact_of(exchange, "VSC7000000", FactKind.STATUS_CHANGED)
    edited(exchange, fact, "back_office.status", "CANCELLED")
    [status] = checked(exchange)
    assert (status.kind, status.key) == (BreakKind.RECORD_MISMATCH, f"VSC7000000@{fact.position}")
    assert "back_office.status differs from the value in the back office's row the exchange holds" in status.detail
    other = fact_of(exchange, "VSC7000001", FactKind.CONTRACT_ACCEPTED).data["contract"]
    forged = replace(fact, contract_number="VSC7000001", event_id=fact.event_id.replace("VSC7000000", "VSC7000001"),
                     data={**fact.data, "contract": other}, oem=other["oem"], position=fact.position[:-8] + "f0f0f0f0")
    exchange.journal.append([forged])
    missing = [b for b in checked(exchange) if b.contract_number == "VSC7000001"]
    assert [(b.kind, b.key) for b in missing] == [(BreakKind.MISSING, f"VSC7000001@{forged.position}")]
    assert "contracts row VSC7000001 is not among those the exchange holds" in missing[0].detail


# ---- claims filed -------------------------------------------------------------------------------------------------


def claim_row(number: str, **amounts: str) -> ClaimRow:
    values = {"labor_amount": "100.00", "parts_amount": "50.00", "tax_amount": "10.00", "total_amount": "160.00"}
    values.update(amounts)
    return ClaimRow(row=7, claim_number="CLM-000009", contract_number=number, repair_order="RO-1",
                    failure_date=date(2026, 3, 1), odometer=12000, labor_amount=Decimal(values["labor_amount"]),
                    parts_amount=Decimal(values["parts_amount"]), tax_amount=Decimal(values["tax_amount"]),
                    total_amount=Decimal(values["total_amount"]), repair_facility_code="FAC-1", cause="worn part")


def filed(exchange: Exchange, number: str) -> tuple[JournalFact, Claims]:
    """A CLAIM_SUBMITTED fact as the claims intake writes it, and the registry's entry for it."""
    accepted = fact_of(exchange, number, FactKind.CONTRACT_ACCEPTED)
    row = claim_row(number)
    origin = ClaimOrigin("ab" * 32, row.row)
    fact = replace(accepted, kind=FactKind.CLAIM_SUBMITTED, position=accepted.position[:-8] + "c1c1c1c1",
                   event_id=str(origin), data={"contract": accepted.data["contract"],
                                               "claim": row.to_json() | {"status": "SUBMITTED"}, "file": "f.csv"})
    exchange.journal.append([fact])
    return fact, {(fact.administrator, row.claim_number): ClaimRecord(row.claim_number, content_hash(row), origin)}


def test_the_hash_of_a_claim_a_fact_carries_is_the_registry_s() -> None:
    row = claim_row("VSC7000000")
    assert claim_hash(row.to_json() | {"status": "SUBMITTED"}) == content_hash(row)


def test_a_claim_filed_is_checked_against_the_registry_and_its_own_amounts() -> None:
    exchange = day_of(1)
    fact, registry = filed(exchange, "VSC7000000")
    assert checked(exchange, registry) == ()
    [missing] = checked(exchange, {})
    assert (missing.kind, missing.key) == (BreakKind.MISSING, f"VSC7000000@{fact.position}")
    assert "claim CLM-000009 is not in the claims registry" in missing.detail
    edited(exchange, fact, "claim.parts_amount", "500.00")
    found = {b.kind: b.detail for b in checked(exchange, registry)}
    assert "claim.total_amount '160.00' in the journal, '610.00' by labor + parts + tax" in \
        found[BreakKind.AMOUNT_MISMATCH]
    assert "not what the claims registry accepted" in found[BreakKind.RECORD_MISMATCH]
    edited(exchange, fact_of(exchange, "VSC7000000", FactKind.CLAIM_SUBMITTED), "claim.total_amount", "610.00")
    [content] = checked(exchange, registry)
    assert content.kind is BreakKind.RECORD_MISMATCH, "amounts that add up: only the registry's hash tells"
    assert checked(exchange, None) == (), "without the registry, amounts that add up are all there is"


# ---- across runs ---------------------------------------------------------------------------------------------------


def test_a_fact_break_keeps_its_key_from_run_to_run_and_resolves_when_the_fact_is_put_back() -> None:
    exchange = day_of(2)
    original = fact_of(exchange, HONDA, FactKind.CONTRACT_ACCEPTED)
    edited(exchange, original, "contract.pricing.dealer_cost", "1.00")
    first, second = exchange.reconciliation.run(DAY), exchange.reconciliation.run(DAY)
    ours = [b.identity for b in first.source_of_record if "@" in b.key]
    assert ours == [f"source-of-record|AMOUNT_MISMATCH|{HONDA}@{original.position}"]
    assert ours == [b.identity for b in second.source_of_record if "@" in b.key]
    exchange.journal.append([original])
    later = exchange.reconciliation.run(DAY)
    assert [b.identity for b in later.resolved if "@" in b.key] == ours
    assert [b.identity for b in resolve(first.source_of_record, later.source_of_record) if "@" in b.key] == ours



def test_a_fact_copied_under_a_new_position_is_a_duplicate_though_it_agrees_with_its_record() -> None:
    exchange = day_of()
    original = fact_of(exchange, HONDA, FactKind.CONTRACT_ACCEPTED)
    twin = replace(original, position=original.position + "-copy")
    exchange.journal.append([twin])
    (found,) = checked(exchange)
    assert (found.kind, found.key, found.contract_number) == (BreakKind.DUPLICATE, f"{HONDA}@{twin.position}", HONDA)
    assert original.position in found.detail
