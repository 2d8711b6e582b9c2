"""The journal facts of accepted claims (CLAIM_SUBMITTED).

A chunk's facts are positioned by the time of the checkpoint before it (stored, so the same on a retry), not by
when the file was taken up: partner feeds read up to the oldest writer in flight (the file is registered from its
checkpoint's stamp), and the later chunks of a long file must not fall behind a watermark that has moved on.

`claim_facts` builds a chunk's facts at once: the stamp and business date once per chunk, and each contract's
submission as JSON once per contract (a pydantic dump costs more than the rest of a fact), shared by its facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
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
    return claim_facts(progress, [(claim, row.to_json(), contract)], zone)[0]


def claim_facts(
    progress: FileProgress, accepted: Iterable[tuple[AcceptedClaim, dict[str, Any], ContractRecord]], zone: ZoneInfo
) -> list[JournalFact]:
    """The facts of a chunk's accepted claims, each with its row's `to_json()`, in the order given: each exactly as
    `claim_fact` describes."""
    decided = datetime.fromisoformat(progress.checkpoint_at or progress.started_at)
    stamp = decided.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    business_date = decided.astimezone(zone).date()
    prefix, source = f"{stamp}-claims-{progress.partner}-{progress.sha256[:16]}-", f"urn:partner:{progress.partner}"
    submissions: dict[str, dict[str, Any] | None] = {}
    facts = []
    for claim, content, contract in accepted:
        submission = contract.submission
        if submission is None:  # decide_claim accepts no claim against a contract the exchange has not seen
            raise ValueError(f"claim {claim.origin} names contract {contract.contract_number}, "
                             "which holds no submission")
        key = f"{contract.contract_number}\0{contract.revision}"
        if key not in submissions:
            submissions[key] = contract.contract_json()
        content["status"] = "SUBMITTED"
        facts.append(JournalFact(
            business_date=business_date,
            position=f"{prefix}{claim.origin.row:010d}",
            kind=FactKind.CLAIM_SUBMITTED,
            contract_number=claim.contract_number,
            revision=contract.revision,
            dealer_code=contract.dealer_code,
            product_type=submission.product.type,
            oem=submission.oem,
            administrator=submission.administrator,
            event_id=str(claim.origin),
            source=source,
            data={"contract": submissions[key], "claim": content, "file": progress.name},
        ))
    return facts
