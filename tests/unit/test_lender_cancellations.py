"""Lender-initiated cancellations (REFUNDS.md): the payload names one party, a lender speaks from its own source,
for a payoff, a repossession or a total loss of a contract it finances; held and released like a dealer's."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from function_app.domain.kernel.feedback import ReasonCode, Status
from function_app.domain.kernel.journal import FactKind
from function_app.domain.kernel.messages import InboundMessage, short_hash
from function_app.domain.realtime.contracts import ContractRecord, ContractStatus, HeldRequest
from function_app.domain.realtime.decisions import RefundDue
from function_app.domain.realtime.parsing import parse_message
from function_app.domain.realtime.payloads import CancellationRequest
from tests.unit.test_contract_book import (
    BOOK,
    CANCEL_AT,
    CANCELLATION,
    CONTRACT,
    MID_TERM_REFUND,
    Event,
    active,
    assert_accepted,
    cancel,
    cancellation,
    contract,
    held,
    refund_json,
    rejected,
    submit,
    verdict,
)

LENDER = "FPCU"  # the lienholder of the spec's example contract


def lender_cancellation(reason: str = "REPOSSESSION", *, code: str = LENDER, source: str | None = None,
                        event_id: str = "FPCU-REPO-0001", **changes: Any) -> Event:
    event = cancellation({"reason": reason, **changes}, event_id=event_id)
    del event["data"]["dealer_code"]
    event["data"]["lienholder_code"] = code
    event["source"] = source or f"urn:lender:{code}"
    return event


def parsed_reasons(event: Event) -> list[tuple[ReasonCode, str | None]]:
    message = InboundMessage("cancellations", json.dumps(event).encode("utf-8"), "0", 1, CANCEL_AT)
    parsed = parse_message(message)
    assert parsed.payload is None
    return [(reason.code, reason.field) for reason in parsed.reasons]


# --- the payload ------------------------------------------------------------------------------------------


def test_a_dealer_request_dumps_and_hashes_exactly_as_before_lenders_could_send_one() -> None:
    request = CancellationRequest.model_validate(CANCELLATION["data"])

    # the content hash of every stored dealer request stays what it was: the JSON holds no lienholder_code
    assert request.model_dump_json() == (
        '{"contract_number":"VSC2501150001","dealer_code":"D10442","cancel_date":"2026-03-02",'
        '"odometer":30500,"reason":"CUSTOMER_REQUEST"}'
    )
    assert request.model_dump(mode="json") == CANCELLATION["data"]
    assert short_hash(request.model_dump_json(), 32) == short_hash(json.dumps(
        CANCELLATION["data"], separators=(",", ":")), 32)


def test_a_lender_request_names_its_lienholder_code_and_no_dealer() -> None:
    request = CancellationRequest.model_validate(lender_cancellation()["data"])

    assert request.by_lender and request.party == "LENDER:FPCU"
    assert request.model_dump(mode="json") == {
        "contract_number": "VSC2501150001", "lienholder_code": "FPCU", "cancel_date": "2026-03-02",
        "odometer": 30500, "reason": "REPOSSESSION",
    }
    assert CancellationRequest.model_validate(request.model_dump(mode="json")) == request


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        pytest.param({"dealer_code": "D10442", "lienholder_code": "FPCU"}, "lienholder_code", "not both", id="both"),
        pytest.param({}, "dealer_code", "has neither", id="neither"),
        pytest.param({"dealer_code": None, "lienholder_code": None}, "dealer_code", "has neither", id="both-null"),
    ],
)
def test_a_request_names_exactly_one_party(data: dict[str, Any], field: str, says: str) -> None:
    event = cancellation()
    del event["data"]["dealer_code"]
    event["data"].update(data)
    message = InboundMessage("cancellations", json.dumps(event).encode("utf-8"), "0", 1, CANCEL_AT)

    parsed = parse_message(message)

    assert parsed.payload is None
    assert [(r.code, r.field) for r in parsed.reasons] == [(ReasonCode.SCHEMA_INVALID, field)]
    assert says in parsed.reasons[0].message and field in parsed.reasons[0].message


def test_naming_both_parties_is_reported_with_the_other_schema_problems() -> None:
    event = lender_cancellation(odometer=-1)
    event["data"]["dealer_code"] = "D10442"

    assert parsed_reasons(event) == [(ReasonCode.SCHEMA_INVALID, "odometer"),
                                     (ReasonCode.SCHEMA_INVALID, "lienholder_code")]


@pytest.mark.parametrize("code", ["fpcu", "", "FP CU", "X" * 41])
def test_a_lienholder_code_follows_the_code_pattern(code: str) -> None:
    assert parsed_reasons(lender_cancellation(code=code, source="urn:lender:FPCU")) == [
        (ReasonCode.SCHEMA_INVALID, "lienholder_code")]


# --- the source ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["urn:dealer:D10442", "urn:lender:PSAF", "urn:lender:FPCU2", "urn:lender:fpcu",
                                    "urn:lender:", "https://fpcu.example/lender"])
def test_a_lender_request_from_another_source_is_not_authorized(source: str) -> None:
    assert parsed_reasons(lender_cancellation(source=source)) == [(ReasonCode.NOT_AUTHORIZED, "source")]


def test_the_urn_scheme_and_namespace_may_be_in_any_case() -> None:
    record, outcome, _ = cancel(active(), lender_cancellation(source="URN:Lender:FPCU"))

    assert_accepted(outcome)
    assert record.status is ContractStatus.CANCELLED


def test_a_dealer_request_is_not_checked_against_its_source() -> None:
    event = cancellation()
    event["source"] = "urn:lender:FPCU"

    _, outcome, _ = cancel(active(), event)

    assert_accepted(outcome)


# --- authorization and refund -----------------------------------------------------------------------------


@pytest.mark.parametrize(("reason", "payee"), [("REPOSSESSION", "LIENHOLDER"), ("TOTAL_LOSS", "LIENHOLDER"),
                                               ("LOAN_PAYOFF", "CUSTOMER")])
def test_the_lender_of_the_contract_cancels_for_its_reasons(reason: str, payee: str) -> None:
    before = active()
    event = lender_cancellation(reason)

    record, outcome, _ = cancel(before, event)

    fact = assert_accepted(outcome)
    assert refund_json(outcome) == {**MID_TERM_REFUND, "payee": payee}
    assert record.cancellation is not None
    assert (record.cancellation.source, record.cancellation.request.lienholder_code) == ("urn:lender:FPCU", "FPCU")
    assert fact.kind is FactKind.CONTRACT_CANCELLED
    assert fact.dealer_code == "D10442"  # the fact is the contract's, whoever asked
    assert fact.data["cancellation"] == event["data"]
    assert "dealer_code" not in fact.data["cancellation"]
    assert ContractRecord.from_json(json.loads(json.dumps(record.to_json()))) == record


@pytest.mark.parametrize("reason", ["CUSTOMER_REQUEST", "TRADE_IN"])
def test_a_lender_may_not_cancel_for_the_customer_s_reasons(reason: str) -> None:
    before = active()

    record, outcome, _ = cancel(before, lender_cancellation(reason))

    assert verdict(outcome.decision) == rejected(ReasonCode.NOT_AUTHORIZED, "reason")
    assert outcome.decision is not None
    assert "LOAN_PAYOFF, REPOSSESSION, TOTAL_LOSS only" in outcome.decision.reasons[0].message
    assert record is before and outcome.facts == []


def test_another_lender_may_not_cancel() -> None:
    before = active()

    record, outcome, _ = cancel(before, lender_cancellation(code="PSAF", event_id="PSAF-1"))

    assert verdict(outcome.decision) == rejected(ReasonCode.NOT_AUTHORIZED, "lienholder_code")
    assert outcome.decision is not None
    assert outcome.decision.reasons[0].message == "the contract is not financed by lienholder PSAF"
    assert record is before and outcome.facts == []


def test_no_lender_may_cancel_a_contract_without_a_lienholder() -> None:
    unfinanced = contract()
    del unfinanced["data"]["lienholder"]
    before = active(unfinanced)

    _, outcome, _ = cancel(before, lender_cancellation())

    assert verdict(outcome.decision) == rejected(ReasonCode.NOT_AUTHORIZED, "lienholder_code")


def test_another_lender_with_a_wrong_reason_hears_both() -> None:
    _, outcome, _ = cancel(active(), lender_cancellation("TRADE_IN", code="PSAF"))

    assert verdict(outcome.decision) == [(Status.REJECTED, ReasonCode.NOT_AUTHORIZED, "reason"),
                                         (Status.REJECTED, ReasonCode.NOT_AUTHORIZED, "lienholder_code")]


def test_another_lender_hears_not_authorized_before_already_cancelled() -> None:
    before, _, _ = cancel(active(), lender_cancellation())

    _, outcome, _ = cancel(before, lender_cancellation(code="PSAF", event_id="PSAF-1"))

    assert verdict(outcome.decision) == rejected(ReasonCode.NOT_AUTHORIZED, "lienholder_code")


def test_the_lender_s_request_again_is_a_duplicate_and_the_dealer_s_after_it_already_cancelled() -> None:
    before, _, _ = cancel(active(), lender_cancellation())

    _, again, _ = cancel(before, lender_cancellation(event_id="FPCU-REPO-0002"))
    _, dealer, _ = cancel(before, cancellation())

    assert again.decision is not None and again.decision.status is Status.DUPLICATE
    assert verdict(dealer.decision) == rejected(ReasonCode.ALREADY_CANCELLED, "contract_number")


def test_a_quote_for_a_lender_follows_the_same_rules() -> None:
    record = active()
    allowed = CancellationRequest.model_validate(lender_cancellation()["data"])
    refused = CancellationRequest.model_validate(lender_cancellation("CUSTOMER_REQUEST")["data"])

    quote = BOOK.assess_cancellation(record, allowed)
    refusal = BOOK.assess_cancellation(record, refused)

    assert isinstance(quote, RefundDue) and quote.refund.to_json()["payee"] == "LIENHOLDER"
    assert not isinstance(refusal, RefundDue)
    assert verdict(refusal) == rejected(ReasonCode.NOT_AUTHORIZED, "reason")


# --- held until the contract comes ------------------------------------------------------------------------


def test_a_held_lender_request_is_authorized_when_its_contract_arrives() -> None:
    before = held(lender_cancellation())
    stored = HeldRequest.from_json(json.loads(json.dumps(before.held[0].to_json())))
    assert stored == before.held[0] and stored.request.lienholder_code == LENDER

    record, outcomes, _ = submit(before, CONTRACT, at=CANCEL_AT + timedelta(hours=2))

    assert [o.decision.status if o.decision else None for o in outcomes] == [Status.ACCEPTED, Status.ACCEPTED]
    assert refund_json(outcomes[1]) == {**MID_TERM_REFUND, "payee": "LIENHOLDER"}
    assert outcomes[1].source == "urn:lender:FPCU"
    assert record.status is ContractStatus.CANCELLED


@pytest.mark.parametrize(
    ("event", "field"),
    [
        pytest.param(lender_cancellation(code="PSAF", event_id="PSAF-1"), "lienholder_code", id="other-lender"),
        pytest.param(lender_cancellation("CUSTOMER_REQUEST"), "reason", id="wrong-reason"),
    ],
)
def test_a_held_lender_request_is_refused_when_its_contract_arrives(event: Event, field: str) -> None:
    before = held(event)

    record, outcomes, _ = submit(before, CONTRACT, at=CANCEL_AT + timedelta(hours=2))

    assert verdict(outcomes[1].decision) == rejected(ReasonCode.NOT_AUTHORIZED, field)
    assert record.status is ContractStatus.ACTIVE and record.held == ()
