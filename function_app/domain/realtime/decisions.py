"""Decides contract submissions and cancellations against the contract's record, one event at a time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from function_app.domain.change_feed.records import RowChange
from function_app.domain.change_feed.source_of_record import Applied, apply_change
from function_app.domain.kernel import bounds
from function_app.domain.kernel.catalogue import Catalogue, ProductType
from function_app.domain.kernel.feedback import Decision, Reason, ReasonCode, Refund
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.kernel.messages import short_hash
from function_app.domain.kernel.state_rules import NO_STATE_RULES, StateRules
from function_app.domain.realtime.contracts import (
    Cancellation,
    ContractRecord,
    ContractStatus,
    EventContext,
    HeldRequest,
    Outcome,
)
from function_app.domain.realtime.payloads import LENDER_REASONS, CancellationRequest, ContractSubmission
from function_app.domain.realtime.refunds import CancellationFacts, RefundTerms, quote_refund


@dataclass(frozen=True)
class ContractBook:
    """The rules of EVENTS.md and REFUNDS.md, applied to one contract's record."""

    catalogue: Catalogue
    state_rules: StateRules = NO_STATE_RULES

    def submit(
        self, record: ContractRecord, contract: ContractSubmission, content_hash: str, ctx: EventContext
    ) -> tuple[ContractRecord, list[Outcome]]:
        rejection = _submission_rejection(record, contract, content_hash)
        if rejection is not None:
            return record, [_outcome(ctx, record, rejection)]
        kind = FactKind.CONTRACT_REVISED if record.exists else FactKind.CONTRACT_ACCEPTED
        updated = replace(
            record,
            status=ContractStatus.ACTIVE,
            submission=contract,
            revision=contract.revision,
            content_hash=content_hash,
            dealer_code=contract.dealer_code,
        )
        fact = _fact(kind, updated, ctx, {"contract": updated.contract_json()})
        outcomes = [_outcome(ctx, updated, Decision.accepted(), fact)]
        if kind is FactKind.CONTRACT_ACCEPTED:
            updated = self._release_held(updated, ctx, outcomes)
        return updated, outcomes

    def cancel(
        self, record: ContractRecord, request: CancellationRequest, content_hash: str, ctx: EventContext
    ) -> tuple[ContractRecord, Outcome]:
        if not record.exists:
            return _hold(record, request, content_hash, ctx)
        assessment = self.assess_cancellation(record, request, content_hash)
        if isinstance(assessment, Decision):
            return record, _outcome(ctx, record, assessment)
        refund = assessment.refund
        cancellation = Cancellation(content_hash, ctx.event_id, ctx.source, request, refund,
                                    decided_on=ctx.business_date, refund_due_days=assessment.refund_due_days)
        updated = replace(record, status=ContractStatus.CANCELLED, cancellation=cancellation)
        data = {"contract": record.contract_json(), "cancellation": request.model_dump(mode="json"),
                "refund": refund.to_json()}
        fact = _fact(FactKind.CONTRACT_CANCELLED, updated, ctx, data)
        return updated, _outcome(ctx, updated, Decision.accepted(refund), fact)

    def apply_change(
        self, record: ContractRecord, change: RowChange, ctx: EventContext
    ) -> tuple[ContractRecord, Outcome]:
        """A back-office row change, in LSN order per row; an older or repeated one changes nothing."""
        applied = apply_change(record.source_of_record, change)
        if applied.stale:
            return record, _outcome(ctx, record, Decision.duplicate())
        updated = replace(record, source_of_record=applied.state)
        fact = _back_office_fact(updated, change, applied, ctx)
        return updated, _outcome(ctx, updated, Decision.accepted(), fact)

    def expire(self, record: ContractRecord, held: HeldRequest, ctx: EventContext) -> tuple[ContractRecord, Outcome]:
        """A held request whose contract never came: CONTRACT_NOT_FOUND."""
        hours = int((ctx.received_at - held.received_at).total_seconds() // 3600)
        message = f"contract {record.contract_number} has not arrived within {hours} hours of the request"
        reason = Reason(ReasonCode.CONTRACT_NOT_FOUND, "contract_number", message)
        outcome = _outcome(ctx, record, Decision.rejected(reason))
        outcome.held = held
        return record.without_held([held.input_key]), outcome

    def _release_held(self, record: ContractRecord, ctx: EventContext, outcomes: list[Outcome]) -> ContractRecord:
        for held in sorted(record.held, key=lambda h: h.position):
            record = record.without_held([held.input_key])
            held_ctx = EventContext(
                input_key=held.input_key,
                event_id=held.event_id,
                source=held.source,
                position=f"{ctx.position}~{short_hash(held.input_key, 8)}",
                business_date=ctx.business_date,
                received_at=ctx.received_at,
                partition_key=held.partition_key,
            )
            record, outcome = self.cancel(record, held.request, held.content_hash, held_ctx)
            outcome.held = held
            outcomes.append(outcome)
        return record

    def assess_cancellation(
        self, record: ContractRecord, request: CancellationRequest, content_hash: str | None = None
    ) -> Decision | RefundDue:
        """The one decision path of a cancellation and of a quote (API.md): a rejection, a duplicate, or the
        refund the request gets now. `content_hash` None: a quote, which is never the duplicate of anything."""
        rejection = _cancellation_rejection(record, request, content_hash)
        if rejection is not None:
            return rejection
        refund = self.quote(record, request)
        assert record.submission is not None
        rule = self.state_rules.applying_to(record.submission.customer.state,
                                            ProductType(record.submission.product.type))
        return RefundDue(refund, refund_due_days=None if rule is None else rule.terms.refund_due_days)

    def quote(self, record: ContractRecord, request: CancellationRequest) -> Refund:
        """REFUNDS.md for this contract and request, with the claims the record holds as paid."""
        contract = record.submission
        assert contract is not None, "only an accepted contract is quoted"
        terms = RefundTerms(
            product_type=ProductType(contract.product.type),
            retail=contract.pricing.retail_price,
            cost=contract.pricing.dealer_cost,
            term_months=contract.term_months,
            term_miles=contract.term_miles,
            sale_date=contract.sale_date,
            effective_date=contract.effective,
            sale_odometer=contract.vehicle.odometer,
            has_lienholder=contract.lienholder is not None,
            state=contract.customer.state,
        )
        cancel = CancellationFacts(request.cancel_date, request.odometer, request.reason, record.claims_paid)
        return quote_refund(terms, cancel, self.catalogue, self.state_rules).refund()


def _back_office_fact(
    record: ContractRecord, change: RowChange, applied: Applied, ctx: EventContext
) -> JournalFact | None:
    before, after = applied.before or {}, applied.after or {}
    contract = record.contract_json()
    if change.table == "contracts" and after and before.get("status") != after["status"]:
        back_office = {"status": after["status"], "previous_status": before.get("status")}
        return _fact(FactKind.STATUS_CHANGED, record, ctx, {"contract": contract, "back_office": back_office})
    paid = after.get("status") == "PAID"
    newly = before.get("status") != "PAID" or before.get("paid_amount") != after.get("paid_amount")
    if change.table == "claims" and paid and newly:
        claim = {k: after.get(k) for k in ("claim_number", "status", "paid_amount", "paid_date")}
        data = {"contract": contract, "claim": claim, "claims_paid": str(record.claims_paid)}
        return _fact(FactKind.CLAIM_PAID, record, ctx, data)
    return None


def _submission_rejection(record: ContractRecord, contract: ContractSubmission, content_hash: str) -> Decision | None:
    if not record.exists:
        return None
    if contract.dealer_code != record.dealer_code:
        return _reject(ReasonCode.NOT_AUTHORIZED, "dealer_code", "the contract belongs to another dealer")
    if record.status is ContractStatus.CANCELLED:
        return _reject(ReasonCode.ALREADY_CANCELLED, "contract_number", "the contract is cancelled")
    if contract.revision == record.revision:
        if content_hash == record.content_hash:
            return Decision.duplicate()
        message = f"revision {contract.revision} was already accepted with different content"
        return _reject(ReasonCode.REVISION_CONFLICT, "revision", message)
    if contract.revision < record.revision:
        message = f"revision {contract.revision} is older than the accepted revision {record.revision}"
        return _reject(ReasonCode.STALE_REVISION, "revision", message)
    return None


@dataclass(frozen=True)
class RefundDue:
    """An acceptable cancellation's refund, and within how many days the state's rule says it must be paid."""

    refund: Refund
    refund_due_days: int | None


def _cancellation_rejection(
    record: ContractRecord, request: CancellationRequest, content_hash: str | None
) -> Decision | None:
    refusals = _party_refusals(record, request)
    if refusals:
        return Decision.rejected(*refusals)
    if record.status is ContractStatus.CANCELLED:
        if record.cancellation and content_hash is not None and record.cancellation.content_hash == content_hash:
            return Decision.duplicate()
        return _reject(ReasonCode.ALREADY_CANCELLED, "contract_number", "the contract is already cancelled")
    assert record.submission is not None
    sale_date = record.submission.sale_date
    reasons = []
    if request.cancel_date < sale_date:
        message = f"cancel_date {request.cancel_date} is before the contract's sale_date {sale_date}"
        reasons.append(Reason(ReasonCode.DATE_INCONSISTENT, "cancel_date", message))
    sale_odometer = record.submission.vehicle.odometer
    if request.odometer < sale_odometer:
        message = f"odometer {request.odometer} is below the contract's sale odometer {sale_odometer}"
        reasons.append(Reason(ReasonCode.SCHEMA_INVALID, "odometer", message))
    return Decision.rejected(*reasons) if reasons else None


def _party_refusals(record: ContractRecord, request: CancellationRequest) -> list[Reason]:
    """Who may cancel (EVENTS.md, REFUNDS.md "Lender-initiated cancellations"): the contract's dealer, for any reason;
    the lender its lienholder names, for a payoff, a repossession or a total loss only. Neither learns whose the
    contract is when it is not theirs."""
    if request.lienholder_code is None:
        if request.dealer_code == record.dealer_code:
            return []
        return [Reason(ReasonCode.NOT_AUTHORIZED, "dealer_code", "the contract belongs to another dealer")]
    refusals = []
    if request.reason not in LENDER_REASONS:
        message = (f"a lender may request a cancellation for {', '.join(sorted(LENDER_REASONS))} only, "
                   f"not {request.reason}")
        refusals.append(Reason(ReasonCode.NOT_AUTHORIZED, "reason", message))
    lienholder = record.submission.lienholder if record.submission else None
    if lienholder is None or lienholder.code != request.lienholder_code:
        message = f"the contract is not financed by lienholder {request.lienholder_code}"
        refusals.append(Reason(ReasonCode.NOT_AUTHORIZED, "lienholder_code", message))
    return refusals


def _hold(
    record: ContractRecord, request: CancellationRequest, content_hash: str, ctx: EventContext
) -> tuple[ContractRecord, Outcome]:
    if any(h.content_hash == content_hash for h in record.held):
        return record, _outcome(ctx, record, Decision.duplicate())
    if len(record.held) >= bounds.MAX_HELD_PER_CONTRACT:  # keeps the contract's arrival inside one transaction
        message = (f"contract {record.contract_number} has not arrived and already has "
                   f"{bounds.MAX_HELD_PER_CONTRACT} requests waiting for it")
        return record, _outcome(ctx, record, _reject(ReasonCode.CONTRACT_NOT_FOUND, "contract_number", message))
    held = HeldRequest(
        input_key=ctx.input_key,
        event_id=ctx.event_id,
        source=ctx.source,
        request=request,
        content_hash=content_hash,
        received_at=ctx.received_at,
        position=ctx.position,
        partition_key=ctx.partition_key,
    )
    return replace(record, held=(*record.held, held)), _outcome(ctx, record, None)


def _reject(code: ReasonCode, where: str, message: str) -> Decision:
    return Decision.rejected(Reason(code, where, message))


def _outcome(
    ctx: EventContext, record: ContractRecord, decision: Decision | None, fact: JournalFact | None = None
) -> Outcome:
    facts = [fact] if fact else []
    return Outcome(ctx.input_key, ctx.event_id, ctx.source, record.contract_number, decision, ctx.received_at, facts,
                   partition_key=ctx.partition_key)


def _fact(kind: FactKind, record: ContractRecord, ctx: EventContext, data: dict[str, Any]) -> JournalFact:
    """Facts carry the contract's identifying fields; a back-office fact about a contract the exchange has not
    seen carries empty ones (no partner filter matches it; reconciliation reports it)."""
    submission = record.submission
    return JournalFact(
        business_date=ctx.business_date,
        position=f"{ctx.position}-{short_hash(ctx.input_key, 8)}",
        kind=kind,
        contract_number=record.contract_number,
        revision=record.revision,
        dealer_code=record.dealer_code,
        product_type=submission.product.type.value if submission else "",
        oem=submission.oem if submission else None,
        administrator=submission.administrator if submission else "",
        event_id=ctx.event_id,
        source=ctx.source,
        data=data,
    )
