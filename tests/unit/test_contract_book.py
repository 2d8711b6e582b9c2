"""The decision rules of spec/EVENTS.md (revisions, cancellations, held requests) and REFUNDS.md figures."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from function_app.domain.kernel.catalogue import DEFAULT_CATALOGUE
from function_app.domain.kernel.feedback import Decision, ReasonCode, Refund, Status
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.kernel.messages import InboundMessage
from function_app.domain.realtime.contracts import ContractRecord, ContractStatus, EventContext, HeldRequest, Outcome
from function_app.domain.realtime.decisions import ContractBook
from function_app.domain.realtime.parsing import ParsedEvent, parse_message
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission

Event = dict[str, Any]

# spec/examples/contracts.jsonl line 1, spec/examples/cancellations.jsonl line 1, verbatim
CONTRACT: Event = json.loads(
    '{"specversion":"1.0","id":"D10442-000187","source":"urn:dealer:D10442","type":"fni.contract.submitted.v1",'
    '"time":"2025-01-15T16:42:05-06:00","subject":"VSC2501150001","datacontenttype":"application/json",'
    '"data":{"contract_number":"VSC2501150001","revision":1,"dealer_code":"D10442",'
    '"product":{"code":"VSC-PLAT-60","type":"VSC"},"term_months":60,"term_miles":60000,'
    '"sale_date":"2025-01-15","effective_date":"2025-01-15","vehicle":{"vin":"4T1BF1FK3GU123456",'
    '"year":2016,"make":"Toyota","model":"Camry","odometer":12000,"condition":"USED"},'
    '"customer":{"first_name":"María","last_name":"Núñez","state":"TX","postal_code":"75201"},'
    '"lienholder":{"name":"First Prairie Credit Union","code":"FPCU"},'
    '"pricing":{"retail_price":"2495.00","dealer_cost":"1100.00","currency":"USD"},'
    '"oem":"TOYOTA","administrator":"ADM-01"}}'
)
CANCELLATION: Event = json.loads(
    '{"specversion":"1.0","id":"D10442-000952","source":"urn:dealer:D10442",'
    '"type":"fni.contract.cancel_requested.v1","time":"2026-03-02T09:12:44-06:00","subject":"VSC2501150001",'
    '"data":{"contract_number":"VSC2501150001","dealer_code":"D10442","cancel_date":"2026-03-02",'
    '"odometer":30500,"reason":"CUSTOMER_REQUEST"}}'
)
# spec/examples/contracts.jsonl line 2 (GAP, RULE_OF_78, sold on a month's last day)
GAP_CONTRACT: Event = json.loads(
    '{"specversion":"1.0","id":"D20117-004411","source":"urn:dealer:D20117","type":"fni.contract.submitted.v1",'
    '"time":"2025-05-31T11:05:00-04:00","subject":"GAP2505310007","data":{"contract_number":"GAP2505310007",'
    '"revision":1,"dealer_code":"D20117","product":{"code":"GAP-STD-72","type":"GAP"},"term_months":72,'
    '"term_miles":null,"sale_date":"2025-05-31","vehicle":{"vin":"JTDKN3DU6A0123456","year":2025,'
    '"make":"Honda","model":"CR-V","odometer":8,"condition":"NEW"},"customer":{"first_name":"Dana",'
    '"last_name":"O\'Neil","state":"GA","postal_code":"30303-1234"},"lienholder":{"name":"Peach State Auto '
    'Finance","code":"PSAF"},"pricing":{"retail_price":"895.00","dealer_cost":"400.00","currency":"USD"},'
    '"oem":"HONDA","administrator":"ADM-02"}}'
)

NUMBER = "VSC2501150001"
BOOK = ContractBook(DEFAULT_CATALOGUE)
ZONE = ZoneInfo("America/Chicago")
# enqueued times: 03:00Z is still the previous day in Chicago, so business dates differ from UTC dates
CONTRACT_AT = datetime(2025, 1, 16, 3, 0, tzinfo=UTC)
CANCEL_AT = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)

# REFUNDS.md worked examples, as the feedback carries them
MID_TERM_REFUND = {
    "method": "PRO_RATA",
    "unearned_fraction": "0.691667",
    "days_used": 411,
    "miles_used": 18500,
    "gross_refund": "1725.71",
    "cancellation_fee": "50.00",
    "claims_deducted": "0.00",
    "customer_refund": "1675.71",
    "provider_refund": "760.83",
    "dealer_chargeback": "914.88",
    "payee": "CUSTOMER",
    "state_rule": None,
}
FREE_LOOK_REFUND = {
    "method": "PRO_RATA",
    "unearned_fraction": "1.000000",
    "days_used": 45,
    "miles_used": 1000,
    "gross_refund": "2495.00",
    "cancellation_fee": "0.00",
    "claims_deducted": "0.00",
    "customer_refund": "2495.00",
    "provider_refund": "1100.00",
    "dealer_chargeback": "1395.00",
    "payee": "CUSTOMER",
    "state_rule": None,
}


# --- building events, contexts and records ----------------------------------------------------------------


def mutated(
    base: Event,
    changes: Mapping[str, object] | None = None,
    *,
    event_id: str | None = None,
    dealer: str | None = None,
) -> Event:
    """A copy of `base` with dotted `data` paths set (e.g. {"vehicle.model": "Corolla"})."""
    event = copy.deepcopy(base)
    for path, value in (changes or {}).items():
        *parents, leaf = path.split(".")
        node = event["data"]
        for part in parents:
            node = node[part]
        node[leaf] = value
    if event_id is not None:
        event["id"] = event_id
    if dealer is not None:
        event["source"] = f"urn:dealer:{dealer}"
        event["data"]["dealer_code"] = dealer
    return event


def contract(changes: Mapping[str, object] | None = None, **options: Any) -> Event:
    return mutated(CONTRACT, changes, **options)


def cancellation(changes: Mapping[str, object] | None = None, **options: Any) -> Event:
    return mutated(CANCELLATION, changes, **options)


def delivered(hub: str, event: Event, at: datetime, partition: str, sequence: int) -> tuple[ParsedEvent, EventContext]:
    """The event as the real-time service sees it: parsed, and placed by its message."""
    message = InboundMessage(hub, json.dumps(event).encode("utf-8"), partition, sequence, at)
    parsed = parse_message(message)
    assert parsed.reasons == ()
    ctx = EventContext(
        input_key=parsed.input_key,
        event_id=event["id"],
        source=event["source"],
        position=message.position(),
        business_date=message.business_date(ZONE),
        received_at=at,
    )
    return parsed, ctx


def submit(
    record: ContractRecord, event: Event, *, at: datetime = CONTRACT_AT, partition: str = "0", sequence: int = 7
) -> tuple[ContractRecord, list[Outcome], EventContext]:
    parsed, ctx = delivered("contracts", event, at, partition, sequence)
    assert isinstance(parsed.payload, ContractSubmission)
    updated, outcomes = BOOK.submit(record, parsed.payload, parsed.content_hash, ctx)
    return updated, outcomes, ctx


def cancel(
    record: ContractRecord, event: Event, *, at: datetime = CANCEL_AT, partition: str = "0", sequence: int = 3
) -> tuple[ContractRecord, Outcome, EventContext]:
    parsed, ctx = delivered("cancellations", event, at, partition, sequence)
    assert isinstance(parsed.payload, CancellationRequest)
    updated, outcome = BOOK.cancel(record, parsed.payload, parsed.content_hash, ctx)
    return updated, outcome, ctx


def empty(number: str = NUMBER) -> ContractRecord:
    return ContractRecord.empty(number)


def active(event: Event = CONTRACT) -> ContractRecord:
    record, _, _ = submit(empty(event["subject"]), event)
    return record


def cancelled(event: Event = CANCELLATION) -> ContractRecord:
    record, _, _ = cancel(active(), event)
    return record


def held(*events: Event) -> ContractRecord:
    record = empty()
    for index, event in enumerate(events):
        record, outcome, _ = cancel(record, event, sequence=index)
        assert outcome.decision is None
    return record


def only(outcomes: list[Outcome]) -> Outcome:
    assert len(outcomes) == 1
    return outcomes[0]


def rejected(code: ReasonCode, field: str) -> list[tuple[Status, ReasonCode, str | None]]:
    return [(Status.REJECTED, code, field)]


def verdict(decision: Decision | None) -> list[tuple[Status, ReasonCode, str | None]]:
    assert decision is not None
    return [(decision.status, reason.code, reason.field) for reason in decision.reasons]


def refund_json(outcome: Outcome) -> dict[str, Any]:
    """The refund as the dealer reads it in the feedback."""
    assert outcome.decision is not None and outcome.decision.refund is not None
    return outcome.decision.refund.to_json()


def assert_accepted(outcome: Outcome) -> JournalFact:
    assert outcome.decision is not None
    assert outcome.decision.status is Status.ACCEPTED
    assert outcome.decision.reasons == ()
    assert len(outcome.facts) == 1
    return outcome.facts[0]


# --- contract submissions ---------------------------------------------------------------------------------


def test_first_submission_is_accepted_as_an_active_contract() -> None:
    record, outcomes, ctx = submit(empty(), CONTRACT)

    outcome = only(outcomes)
    fact = assert_accepted(outcome)
    assert outcome.decision == Decision.accepted()
    assert (outcome.input_key, outcome.event_id, outcome.source) == (ctx.input_key, "D10442-000187", CONTRACT["source"])
    assert outcome.contract_number == NUMBER
    assert record.status is ContractStatus.ACTIVE
    assert record.exists
    assert (record.revision, record.dealer_code, record.cancellation, record.held) == (1, "D10442", None, ())
    assert record.submission is not None
    pricing = record.submission.pricing.model_dump(mode="json")
    assert pricing == {"retail_price": "2495.00", "dealer_cost": "1100.00", "currency": "USD"}
    assert record.submission.customer.first_name == "María"
    assert record.content_hash
    assert fact.kind is FactKind.CONTRACT_ACCEPTED
    assert (fact.contract_number, fact.revision, fact.dealer_code) == (NUMBER, 1, "D10442")
    assert (fact.product_type, fact.oem, fact.administrator) == ("VSC", "TOYOTA", "ADM-01")
    assert (fact.event_id, fact.source) == ("D10442-000187", "urn:dealer:D10442")
    assert fact.data == {"contract": record.contract_json()}


@pytest.mark.parametrize("revision", [2, 9])
def test_higher_revision_replaces_the_active_contract(revision: int) -> None:
    before = active()
    event = contract({"revision": revision, "vehicle.model": "Corolla"}, event_id="D10442-000190")

    record, outcomes, _ = submit(before, event, at=CONTRACT_AT + timedelta(days=1))

    fact = assert_accepted(only(outcomes))
    assert fact.kind is FactKind.CONTRACT_REVISED
    assert fact.revision == revision
    assert fact.event_id == "D10442-000190"
    assert record.status is ContractStatus.ACTIVE
    assert record.revision == revision
    assert record.submission is not None and record.submission.vehicle.model == "Corolla"
    assert fact.data == {"contract": record.contract_json()}
    assert record.content_hash != before.content_hash


def test_same_revision_with_the_same_content_is_a_duplicate() -> None:
    before = active()

    record, outcomes, _ = submit(before, contract(event_id="D10442-000999"), at=CONTRACT_AT + timedelta(hours=5))

    outcome = only(outcomes)
    assert outcome.decision == Decision.duplicate()
    assert outcome.facts == []
    assert record is before


REVISION_REJECTIONS = [
    pytest.param(
        contract({"revision": 2, "vehicle.model": "Prius"}),
        rejected(ReasonCode.REVISION_CONFLICT, "revision"),
        id="same-revision-different-content",
    ),
    pytest.param(
        contract({"revision": 2, "pricing.retail_price": "2495.01"}),
        rejected(ReasonCode.REVISION_CONFLICT, "revision"),
        id="same-revision-one-cent-more",
    ),
    pytest.param(contract(), rejected(ReasonCode.STALE_REVISION, "revision"), id="lower-revision-as-first-sent"),
    pytest.param(
        contract({"vehicle.model": "Prius"}),
        rejected(ReasonCode.STALE_REVISION, "revision"),
        id="lower-revision-new-content",
    ),
    pytest.param(
        contract({"revision": 3}, dealer="D20117"),
        rejected(ReasonCode.NOT_AUTHORIZED, "dealer_code"),
        id="higher-revision-other-dealer",
    ),
    pytest.param(
        contract({"revision": 2, "vehicle.model": "Corolla"}, dealer="D20117"),
        rejected(ReasonCode.NOT_AUTHORIZED, "dealer_code"),
        id="same-revision-other-dealer",
    ),
]


@pytest.mark.parametrize(("event", "expected"), REVISION_REJECTIONS)
def test_revision_rules_on_an_active_contract(event: Event, expected: list[Any]) -> None:
    revision_2 = contract({"revision": 2, "vehicle.model": "Corolla"}, event_id="D10442-000190")
    before, _, _ = submit(active(), revision_2, at=CONTRACT_AT + timedelta(days=1))

    record, outcomes, _ = submit(before, mutated(event, event_id="D10442-000400"), at=CONTRACT_AT + timedelta(days=2))

    outcome = only(outcomes)
    assert verdict(outcome.decision) == expected
    assert outcome.facts == []
    assert record is before
    assert record.revision == 2


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(contract(event_id="D10442-000500"), id="revision-1-same-content"),
        pytest.param(contract({"vehicle.model": "Prius"}, event_id="D10442-000501"), id="revision-1-new-content"),
        pytest.param(contract({"revision": 2}, event_id="D10442-000502"), id="revision-2"),
        pytest.param(contract({"revision": 40, "term_months": 72}, event_id="D10442-000503"), id="revision-40"),
    ],
)
def test_any_revision_of_a_cancelled_contract_is_already_cancelled(event: Event) -> None:
    before = cancelled()

    record, outcomes, _ = submit(before, event, at=CANCEL_AT + timedelta(days=1))

    outcome = only(outcomes)
    assert verdict(outcome.decision) == rejected(ReasonCode.ALREADY_CANCELLED, "contract_number")
    assert outcome.facts == []
    assert record is before
    assert record.status is ContractStatus.CANCELLED


# --- cancellations ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "refund"),
    [
        pytest.param({}, MID_TERM_REFUND, id="mid-term"),
        pytest.param({"cancel_date": "2025-03-01", "odometer": 13000}, FREE_LOOK_REFUND, id="free-look"),
    ],
)
def test_cancellation_of_the_worked_example(changes: dict[str, object], refund: dict[str, Any]) -> None:
    before = active()
    event = cancellation(changes)

    record, outcome, ctx = cancel(before, event)

    fact = assert_accepted(outcome)
    assert outcome.decision is not None
    assert refund_json(outcome) == refund
    assert (outcome.input_key, outcome.event_id, outcome.contract_number) == (ctx.input_key, event["id"], NUMBER)
    assert record.status is ContractStatus.CANCELLED
    assert (record.revision, record.submission, record.content_hash) == (1, before.submission, before.content_hash)
    assert record.cancellation is not None
    assert record.cancellation.refund.to_json() == refund
    assert record.cancellation.request.model_dump(mode="json") == event["data"]
    assert (record.cancellation.event_id, record.cancellation.source) == (event["id"], event["source"])
    assert fact.kind is FactKind.CONTRACT_CANCELLED
    assert (fact.contract_number, fact.revision, fact.dealer_code) == (NUMBER, 1, "D10442")
    assert (fact.product_type, fact.oem, fact.administrator) == ("VSC", "TOYOTA", "ADM-01")
    assert (fact.event_id, fact.source) == (event["id"], event["source"])
    assert fact.data == {"contract": before.contract_json(), "cancellation": event["data"], "refund": refund}


@pytest.mark.parametrize(
    ("reason", "payee"),
    [
        ("CUSTOMER_REQUEST", "CUSTOMER"),
        ("LOAN_PAYOFF", "CUSTOMER"),
        ("TRADE_IN", "CUSTOMER"),
        ("TOTAL_LOSS", "LIENHOLDER"),
        ("REPOSSESSION", "LIENHOLDER"),
    ],
)
def test_refund_payee_follows_the_reason_and_the_lienholder(reason: str, payee: str) -> None:
    _, with_lien, _ = cancel(active(), cancellation({"reason": reason}))
    no_lien = contract()
    del no_lien["data"]["lienholder"]
    _, without_lien, _ = cancel(active(no_lien), cancellation({"reason": reason}))

    assert with_lien.decision is not None and with_lien.decision.refund is not None
    assert without_lien.decision is not None and without_lien.decision.refund is not None
    assert refund_json(with_lien) == {**MID_TERM_REFUND, "payee": payee}
    assert refund_json(without_lien) == MID_TERM_REFUND


def test_cancellation_uses_the_latest_accepted_revision() -> None:
    revised, _, _ = submit(active(), contract({"revision": 2, "pricing.retail_price": "2995.00"}, event_id="r2"))

    record, outcome, _ = cancel(revised, cancellation())

    fact = assert_accepted(outcome)
    assert fact.revision == 2
    assert outcome.decision is not None and outcome.decision.refund is not None
    # 2995.00 × 41500/60000 = 2071.541666… → 2071.54; cost and mileage as in the worked example
    assert refund_json(outcome)["gross_refund"] == "2071.54"
    assert refund_json(outcome)["customer_refund"] == "2021.54"
    assert refund_json(outcome)["provider_refund"] == "760.83"
    assert record.revision == 2


def test_gap_cancellation_uses_rule_of_78_with_month_end_clamping() -> None:
    gap, _, _ = submit(empty(GAP_CONTRACT["subject"]), GAP_CONTRACT, at=datetime(2025, 5, 31, 16, tzinfo=UTC))
    request = mutated(
        CANCELLATION,
        {"contract_number": "GAP2505310007", "cancel_date": "2026-03-02", "odometer": 9000, "reason": "TOTAL_LOSS"},
        dealer="D20117",
    )
    request["subject"] = "GAP2505310007"

    _, outcome, _ = cancel(gap, request)

    fact = assert_accepted(outcome)
    # 2025-05-31 + 9 months = 2026-02-28 ≤ 2026-03-02 < 2026-03-31: k = 9; unearned = 63·64 / (72·73) = 56/73
    assert outcome.decision is not None
    assert refund_json(outcome) == {
        "method": "RULE_OF_78",
        "unearned_fraction": "0.767123",
        "days_used": 275,
        "miles_used": None,
        "gross_refund": "686.58",
        "cancellation_fee": "25.00",
        "claims_deducted": "0.00",
        "customer_refund": "661.58",
        "provider_refund": "306.85",
        "dealer_chargeback": "354.73",
        "payee": "LIENHOLDER",
        "state_rule": None,
    }
    assert (fact.product_type, fact.oem, fact.administrator) == ("GAP", "HONDA", "ADM-02")


def test_the_same_cancellation_again_under_a_new_id_is_a_duplicate() -> None:
    before = cancelled()

    record, outcome, _ = cancel(before, cancellation(event_id="D10442-000953"), at=CANCEL_AT + timedelta(hours=1))

    assert outcome.decision == Decision.duplicate()
    assert outcome.facts == []
    assert record is before


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"odometer": 30501}, id="other-odometer"),
        pytest.param({"cancel_date": "2026-03-03"}, id="other-date"),
        pytest.param({"reason": "TRADE_IN"}, id="other-reason"),
    ],
)
def test_a_different_cancellation_of_a_cancelled_contract_is_already_cancelled(changes: dict[str, object]) -> None:
    before = cancelled()

    record, outcome, _ = cancel(before, cancellation(changes, event_id="D10442-000960"))

    assert verdict(outcome.decision) == rejected(ReasonCode.ALREADY_CANCELLED, "contract_number")
    assert outcome.facts == []
    assert record is before


@pytest.mark.parametrize("state", ["active", "cancelled"])
def test_cancellation_by_another_dealer_is_not_authorized(state: str) -> None:
    before = active() if state == "active" else cancelled()

    record, outcome, _ = cancel(before, cancellation(dealer="D20117", event_id="D20117-000001"))

    assert verdict(outcome.decision) == rejected(ReasonCode.NOT_AUTHORIZED, "dealer_code")
    assert outcome.facts == []
    assert record is before


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"cancel_date": "2025-01-14"},
            [(Status.REJECTED, ReasonCode.DATE_INCONSISTENT, "cancel_date")],
            id="cancel-date-before-sale",
        ),
        pytest.param(
            {"odometer": 11999},
            [(Status.REJECTED, ReasonCode.SCHEMA_INVALID, "odometer")],
            id="odometer-below-sale-odometer",
        ),
        pytest.param(
            {"cancel_date": "2024-12-31", "odometer": 0},
            [
                (Status.REJECTED, ReasonCode.DATE_INCONSISTENT, "cancel_date"),
                (Status.REJECTED, ReasonCode.SCHEMA_INVALID, "odometer"),
            ],
            id="both",
        ),
    ],
)
def test_cancellation_inconsistent_with_the_contract_is_rejected(
    changes: dict[str, object], expected: list[Any]
) -> None:
    before = active()

    record, outcome, _ = cancel(before, cancellation(changes))

    assert verdict(outcome.decision) == expected
    assert outcome.facts == []
    assert record is before


def test_odometer_below_sale_is_rejected_with_field_odometer() -> None:
    _, outcome, _ = cancel(active(), cancellation({"odometer": 11999}))

    assert outcome.decision is not None
    assert outcome.decision.status is Status.REJECTED
    assert [reason.field for reason in outcome.decision.reasons] == ["odometer"]
    assert "12000" in outcome.decision.reasons[0].message


def test_cancellation_on_the_sale_date_at_the_sale_odometer_is_accepted() -> None:
    _, outcome, _ = cancel(active(), cancellation({"cancel_date": "2025-01-15", "odometer": 12000}))

    assert_accepted(outcome)
    assert outcome.decision is not None and outcome.decision.refund is not None
    assert refund_json(outcome)["days_used"] == 0
    assert refund_json(outcome)["miles_used"] == 0
    assert refund_json(outcome)["customer_refund"] == "2495.00"


# --- held cancellations -----------------------------------------------------------------------------------


def test_cancellation_for_an_absent_contract_is_held() -> None:
    event = cancellation()

    record, outcome, ctx = cancel(empty(), event)

    assert outcome.decision is None
    assert outcome.facts == []
    assert (outcome.input_key, outcome.contract_number) == (ctx.input_key, NUMBER)
    assert not record.exists
    assert record.status is None and record.submission is None
    assert record.held == (
        HeldRequest(
            input_key=ctx.input_key,
            event_id=event["id"],
            source=event["source"],
            request=CancellationRequest.model_validate(event["data"]),
            content_hash=record.held[0].content_hash,
            received_at=CANCEL_AT,
            position=ctx.position,
        ),
    )
    assert record.held[0].content_hash


def test_the_same_request_again_while_held_is_a_duplicate() -> None:
    before = held(cancellation())

    record, outcome, _ = cancel(before, cancellation(event_id="D10442-000953"), at=CANCEL_AT + timedelta(hours=1))

    assert outcome.decision == Decision.duplicate()
    assert outcome.facts == []
    assert record is before
    assert len(record.held) == 1


def test_arriving_contract_releases_the_held_cancellation() -> None:
    before = held(cancellation())
    waiting = before.held[0]

    record, outcomes, ctx = submit(before, CONTRACT, at=CANCEL_AT + timedelta(hours=2))

    assert [o.decision.status if o.decision else None for o in outcomes] == [Status.ACCEPTED, Status.ACCEPTED]
    accepted_fact = assert_accepted(outcomes[0])
    cancelled_fact = assert_accepted(outcomes[1])
    assert outcomes[0].input_key == ctx.input_key
    assert outcomes[0].decision == Decision.accepted()
    assert outcomes[1].decision == Decision.accepted(Refund.from_json(MID_TERM_REFUND))
    assert (outcomes[1].input_key, outcomes[1].event_id) == (waiting.input_key, waiting.event_id)
    assert outcomes[1].held == waiting
    assert (accepted_fact.kind, cancelled_fact.kind) == (FactKind.CONTRACT_ACCEPTED, FactKind.CONTRACT_CANCELLED)
    assert cancelled_fact.event_id == waiting.event_id
    assert cancelled_fact.data["refund"] == MID_TERM_REFUND
    assert record.held == ()
    assert record.status is ContractStatus.CANCELLED
    assert record.cancellation is not None and record.cancellation.event_id == waiting.event_id


@pytest.mark.parametrize("arrival", ["earlier-position-held-first", "earlier-position-held-second"])
def test_of_two_held_requests_the_first_by_position_wins(arrival: str) -> None:
    earlier = cancellation({"odometer": 30000}, event_id="D10442-000950")
    later = cancellation({"reason": "TRADE_IN"}, event_id="D10442-000951")
    deliveries = [(earlier, CANCEL_AT, "5"), (later, CANCEL_AT + timedelta(minutes=1), "1")]
    if arrival == "earlier-position-held-second":
        deliveries.reverse()
    record = empty()
    for event, at, partition in deliveries:
        record, outcome, _ = cancel(record, event, at=at, partition=partition)
        assert outcome.decision is None
    assert [h.event_id for h in record.held] == [e["id"] for e, _, _ in deliveries]

    record, outcomes, _ = submit(record, CONTRACT, at=CANCEL_AT + timedelta(hours=1))

    assert [(o.event_id, verdict(o.decision)) for o in outcomes] == [
        ("D10442-000187", []),
        ("D10442-000950", []),
        ("D10442-000951", rejected(ReasonCode.ALREADY_CANCELLED, "contract_number")),
    ]
    assert outcomes[1].decision is not None and outcomes[1].decision.status is Status.ACCEPTED
    assert outcomes[1].decision.refund is not None and refund_json(outcomes[1])["miles_used"] == 18000
    assert [len(o.facts) for o in outcomes] == [1, 1, 0]
    assert record.held == ()
    assert record.cancellation is not None and record.cancellation.event_id == "D10442-000950"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(
            cancellation(dealer="D20117", event_id="D20117-000001"),
            rejected(ReasonCode.NOT_AUTHORIZED, "dealer_code"),
            id="wrong-dealer",
        ),
        pytest.param(
            cancellation({"cancel_date": "2025-01-01"}),
            rejected(ReasonCode.DATE_INCONSISTENT, "cancel_date"),
            id="cancel-date-before-sale",
        ),
        pytest.param(
            cancellation({"odometer": 100}),
            rejected(ReasonCode.SCHEMA_INVALID, "odometer"),
            id="odometer-below-sale",
        ),
    ],
)
def test_held_request_is_released_with_its_rejection(event: Event, expected: list[Any]) -> None:
    before = held(event)

    record, outcomes, _ = submit(before, CONTRACT, at=CANCEL_AT + timedelta(hours=1))

    assert len(outcomes) == 2
    assert_accepted(outcomes[0])
    assert verdict(outcomes[1].decision) == expected
    assert outcomes[1].facts == []
    assert outcomes[1].held == before.held[0]
    assert record.held == ()
    assert record.status is ContractStatus.ACTIVE
    assert record.cancellation is None


# --- expiry -----------------------------------------------------------------------------------------------


def expiry_context(request: HeldRequest, now: datetime) -> EventContext:
    """As the hold sweeper builds it: the held request's own identity and position, decided now."""
    return EventContext(
        request.input_key, request.event_id, request.source, request.position, now.astimezone(ZONE).date(), now
    )


def test_expired_held_request_is_contract_not_found() -> None:
    before = held(cancellation())
    request = before.held[0]
    now = CANCEL_AT + timedelta(hours=73)

    record, outcome = BOOK.expire(before, request, expiry_context(request, now))

    assert verdict(outcome.decision) == rejected(ReasonCode.CONTRACT_NOT_FOUND, "contract_number")
    assert outcome.decision is not None and NUMBER in outcome.decision.reasons[0].message
    assert (outcome.input_key, outcome.event_id, outcome.held) == (request.input_key, request.event_id, request)
    assert outcome.decided_at == now
    assert outcome.facts == []
    assert record.held == ()
    assert not record.exists


def test_expiring_one_held_request_keeps_the_others() -> None:
    first = cancellation(event_id="D10442-000950")
    second = cancellation({"reason": "TRADE_IN"}, event_id="D10442-000951")
    before = held(first, second)

    record, outcome = BOOK.expire(before, before.held[0], expiry_context(before.held[0], CANCEL_AT + timedelta(days=4)))

    assert outcome.event_id == "D10442-000950"
    assert record.held == (before.held[1],)


def test_contract_after_expiry_has_nothing_left_to_release() -> None:
    before = held(cancellation())
    expired, _ = BOOK.expire(before, before.held[0], expiry_context(before.held[0], CANCEL_AT + timedelta(hours=73)))

    record, outcomes, _ = submit(expired, CONTRACT, at=CANCEL_AT + timedelta(hours=80))

    assert [o.event_id for o in outcomes] == ["D10442-000187"]
    assert record.status is ContractStatus.ACTIVE


# --- facts: business date and position --------------------------------------------------------------------


def test_facts_carry_business_date_and_sort_after_their_event() -> None:
    accepted_record, accepted, accepted_ctx = submit(empty(), CONTRACT)
    revision = contract({"revision": 2, "vehicle.model": "Corolla"}, event_id="r2")
    revised_record, revised, revised_ctx = submit(accepted_record, revision, at=CONTRACT_AT + timedelta(days=3))
    _, cancelled_outcome, cancel_ctx = cancel(revised_record, cancellation())

    steps = [(only(accepted), accepted_ctx), (only(revised), revised_ctx), (cancelled_outcome, cancel_ctx)]
    facts = []
    for outcome, ctx in steps:
        fact = assert_accepted(outcome)
        assert fact.business_date == ctx.business_date
        assert fact.position > ctx.position
        facts.append(fact)
    assert [f.business_date for f in facts] == [date(2025, 1, 15), date(2025, 1, 18), date(2026, 3, 2)]
    assert [f.kind for f in sorted(facts, key=lambda f: f.position)] == [
        FactKind.CONTRACT_ACCEPTED,
        FactKind.CONTRACT_REVISED,
        FactKind.CONTRACT_CANCELLED,
    ]


def test_released_cancellation_fact_sorts_after_the_contract_that_released_it() -> None:
    before = held(cancellation())
    arrival = CANCEL_AT + timedelta(days=1)

    _, outcomes, ctx = submit(before, CONTRACT, at=arrival)

    contract_fact, cancel_fact = (assert_accepted(o) for o in outcomes)
    assert contract_fact.business_date == cancel_fact.business_date == ctx.business_date == date(2026, 3, 3)
    assert before.held[0].position < ctx.position < contract_fact.position < cancel_fact.position
    assert sorted([cancel_fact, contract_fact], key=lambda f: f.position) == [contract_fact, cancel_fact]
