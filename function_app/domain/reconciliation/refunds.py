"""The refund a cancellation carries against the one due now: the back office may since have reported claims
paid that the refund should have deducted."""

from __future__ import annotations

from function_app.domain.kernel.catalogue import Catalogue
from function_app.domain.kernel.feedback import Refund
from function_app.domain.kernel.state_rules import NO_STATE_RULES, StateRules
from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.realtime.decisions import ContractBook


def refund_due(current: ContractRecord, catalogue: Catalogue, state_rules: StateRules = NO_STATE_RULES) -> Refund:
    """The refund a cancelled contract's cancellation should carry now, with the claims its record holds as paid."""
    assert current.submission is not None and current.cancellation is not None
    return ContractBook(catalogue, state_rules).quote(current, current.cancellation.request)


def refund_differences(
    current: ContractRecord, catalogue: Catalogue, state_rules: StateRules = NO_STATE_RULES
) -> list[str]:
    """Each figure of the refund the exchange sent that differs from the refund due; none when it sent none."""
    if current.cancellation is None or current.submission is None:
        return []
    sent = current.cancellation.refund.to_json()  # both in the form the cancellation stores the refund it sent
    due = refund_due(current, catalogue, state_rules).to_json()
    return [f"{name} {sent.get(name)} sent, {due_now} due" for name, due_now in due.items()
            if sent.get(name) != due_now]
