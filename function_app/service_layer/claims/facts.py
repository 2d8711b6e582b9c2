"""The journal fact of an accepted claim (CLAIM_SUBMITTED).

A chunk's facts are positioned by the time of the checkpoint before it (stored, so the same on a retry), not by
when the file was taken up: partner feeds read up to the oldest writer in flight (the file is registered from its
checkpoint's stamp), and the later chunks of a long file must not fall behind a watermark that has moved on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from function_app.domain.claims.rows import ClaimRow
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.realtime.contracts import ContractRecord
from function_app.service_layer.claims.ports import AcceptedClaim, FileProgress


def claim_fact(
    progress: FileProgress, claim: AcceptedClaim, row: ClaimRow, contract: ContractRecord, zone: ZoneInfo
) -> JournalFact:
    """CLAIM_SUBMITTED, positioned by the chunk's stamp (the checkpoint before it), file and row: the same on a
    retry, and a range of positions no other writer shares (the journal may store the chunk's facts as one)."""
    decided = datetime.fromisoformat(progress.checkpoint_at or progress.started_at)
    submission = contract.submission
    if submission is None:  # decide_claim accepts no claim against a contract the exchange has not seen
        raise ValueError(f"claim {claim.origin} names contract {contract.contract_number}, which holds no submission")
    stamp = decided.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return JournalFact(
        business_date=decided.astimezone(zone).date(),
        position=f"{stamp}-claims-{progress.partner}-{progress.sha256[:16]}-{row.row:010d}",
        kind=FactKind.CLAIM_SUBMITTED,
        contract_number=claim.contract_number,
        revision=contract.revision,
        dealer_code=contract.dealer_code,
        product_type=submission.product.type,
        oem=submission.oem,
        administrator=submission.administrator,
        event_id=str(claim.origin),
        source=f"urn:partner:{progress.partner}",
        data={"contract": contract.contract_json(), "claim": row.to_json() | {"status": "SUBMITTED"},
              "file": progress.name},
    )
