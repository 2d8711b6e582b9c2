"""Deciding one well-formed claim row against the exchange's state.

`decide_claim` applies the row rules in this order: CONTRACT_NOT_FOUND (no such contract, or one another
administrator administers: answered alike, so an administrator learns nothing of others' contracts), then a retry
(the same content accepted before from this very file and row) is ACCEPTED again, then NOT_COVERED, DUPLICATE,
CLAIM_CONFLICT. The retry comes before NOT_COVERED so that a crash, a cancellation in between and a retry still
give the same answer for rows already applied; it comes after the check that says whether this partner may see the
contract at all. Claim numbers are per administrator: `earlier` is this administrator's claim of that number, never
another's.
"""

from __future__ import annotations

from dataclasses import dataclass

from function_app.domain.claims.coverage import Coverage, coverage_of, coverage_problems
from function_app.domain.claims.origin import ClaimRecord
from function_app.domain.claims.reasons import ClaimReason, Reason
from function_app.domain.claims.rows import ClaimRow, content_hash
from function_app.domain.kernel.feedback import Status
from function_app.domain.realtime.contracts import ContractRecord


@dataclass(frozen=True)
class ClaimDecision:
    status: Status
    reasons: tuple[Reason, ...] = ()

    @property
    def codes(self) -> tuple[ClaimReason, ...]:
        return tuple(reason.code for reason in self.reasons)


ACCEPTED = ClaimDecision(Status.ACCEPTED)


def decide_claim(
    row: ClaimRow,
    contract: ContractRecord | None,
    administrator_code: str,
    earlier: ClaimRecord | None,
    *,
    same_origin: bool,
    coverage: Coverage | None = None,
) -> ClaimDecision:
    """One well-formed row against the contract it names and the claim accepted before under its number.
    `coverage`: the contract's, when the caller has it already (a chunk decides many rows of one contract)."""
    _check_inputs(row, contract, earlier)
    if contract is None or not contract.exists or contract.submission is None \
            or contract.submission.administrator != administrator_code:
        return _rejected(ClaimReason.CONTRACT_NOT_FOUND, "contract_number",
                         f"no contract {row.contract_number} at the exchange")
    same_content = earlier is not None and earlier.content_hash == content_hash(row)
    if same_content and same_origin:
        return ACCEPTED
    uncovered = coverage_problems(row, coverage or coverage_of(contract))
    if uncovered:
        return ClaimDecision(Status.REJECTED, tuple(uncovered))
    if earlier is None:
        return ACCEPTED
    if same_content:
        message = f"claim {row.claim_number} was accepted before with the same content: no change"
        return ClaimDecision(Status.DUPLICATE, (Reason(ClaimReason.DUPLICATE, "claim_number", message),))
    return _rejected(ClaimReason.CLAIM_CONFLICT, "claim_number",
                     f"claim {row.claim_number} was accepted before with different content")


def _check_inputs(row: ClaimRow, contract: ContractRecord | None, earlier: ClaimRecord | None) -> None:
    if contract is not None and contract.contract_number != row.contract_number:
        raise ValueError(f"row {row.row} names contract {row.contract_number}, not {contract.contract_number}")
    if earlier is not None and earlier.claim_number != row.claim_number:
        raise ValueError(f"row {row.row} is claim {row.claim_number}, not {earlier.claim_number}")


def _rejected(code: ClaimReason, field: str, message: str) -> ClaimDecision:
    return ClaimDecision(Status.REJECTED, (Reason(code, field, message),))
