"""The journal facts of accepted claims (CLAIM_SUBMITTED).

A chunk's facts are positioned by the time of the checkpoint before it (stored, so the same on a retry), not by
when the file was taken up: partner feeds read up to the oldest writer in flight (the file is registered from its
checkpoint's stamp), and the later chunks of a long file must not fall behind a watermark that has moved on.

`claim_facts` builds a chunk's facts at once: the stamp and business date once per chunk, and each contract's
submission as JSON once per contract (a pydantic dump costs more than the rest of a fact), shared by its facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
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
    shared: dict[str, dict[str, Any]] = {}  # by contract and revision: what its facts have in common
    facts = []
    for claim, content, contract in accepted:
        key = f"{contract.contract_number}\0{contract.revision}"
        common = shared.get(key)
        if common is None:
            common = shared[key] = _common(claim, contract, business_date, source)
        content["status"] = "SUBMITTED"
        origin = claim.origin
        # JournalFact(...) with its fields set at once: a frozen dataclass's __init__ sets them one by one
        fact = _new(JournalFact)
        vars(fact).update(common)
        vars(fact).update({
            "position": f"{prefix}{origin.row:010d}", "contract_number": claim.contract_number,
            "event_id": f"{origin.file_sha256}#{origin.row}",  # str(origin)
            "data": {"contract": common["data"], "claim": content, "file": progress.name},
        })
        facts.append(fact)
    return facts


_new = object.__new__


def _common(claim: AcceptedClaim, contract: ContractRecord, business_date: date, source: str) -> dict[str, Any]:
    """The fields a contract's facts share (its submission as JSON once: a pydantic dump costs more than the rest
    of a fact), `data` standing for the submission until each fact's own replaces it."""
    submission = contract.submission
    if submission is None:  # decide_claim accepts no claim against a contract the exchange has not seen
        raise ValueError(f"claim {claim.origin} names contract {contract.contract_number}, "
                         "which holds no submission")
    return {
        "business_date": business_date, "kind": FactKind.CLAIM_SUBMITTED, "revision": contract.revision,
        "dealer_code": contract.dealer_code, "product_type": submission.product.type, "oem": submission.oem,
        "administrator": submission.administrator, "source": source, "data": contract.contract_json(),
    }
