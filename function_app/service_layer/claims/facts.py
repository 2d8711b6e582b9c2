"""The journal facts of accepted claims (CLAIM_SUBMITTED).

A chunk's facts are positioned by the time of the checkpoint before it (stored, so the same on a retry), not by
when the file was taken up: partner feeds read up to the oldest writer in flight (the file is registered from its
checkpoint's stamp), and the later chunks of a long file must not fall behind a watermark that has moved on.

`claim_facts` says what the facts are. `rendered_claim_facts` writes the same facts straight as the JSON text the
journal stores (`render_fact`), for `Journal.append_rendered`: the stamp and business date once per chunk, and
what a contract's facts share (its submission above all: a pydantic dump costs more than the rest of a fact) once
per contract, so that a fact costs a few string joins and no objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from json.encoder import encode_basestring
from zoneinfo import ZoneInfo

from function_app.domain.claims.rows import ClaimRow
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.realtime.payloads import ContractSubmission
from function_app.service_layer.claims.ports import AcceptedClaim, FileProgress
from function_app.service_layer.kernel.ports import RenderedFact

_STATUS_AT = ',"tax_amount":'  # the key after "status" in a claim's canonical JSON: the last one of its kind there


def claim_fact(
    progress: FileProgress, claim: AcceptedClaim, row: ClaimRow, contract: ContractRecord, zone: ZoneInfo
) -> JournalFact:
    """CLAIM_SUBMITTED, positioned by the chunk's stamp (the checkpoint before it), file and row: the same on a
    retry, and a range of positions no other writer shares (the journal may store the chunk's facts as one)."""
    return claim_facts(progress, [(claim, row, contract)], zone)[0]


def claim_facts(
    progress: FileProgress, accepted: Iterable[tuple[AcceptedClaim, ClaimRow, ContractRecord]], zone: ZoneInfo
) -> list[JournalFact]:
    """The facts of a chunk's accepted claims, in the order given: each exactly as `claim_fact` describes."""
    business_date, prefix, source = _chunk(progress, zone)
    facts = []
    for claim, row, contract in accepted:
        submission = _submission(claim, contract)
        facts.append(JournalFact(
            business_date=business_date,
            position=f"{prefix}{row.row:010d}",
            kind=FactKind.CLAIM_SUBMITTED,
            contract_number=claim.contract_number,
            revision=contract.revision,
            dealer_code=contract.dealer_code,
            product_type=submission.product.type,
            oem=submission.oem,
            administrator=submission.administrator,
            event_id=str(claim.origin),
            source=source,
            data={"contract": contract.contract_json(), "claim": row.to_json() | {"status": "SUBMITTED"},
                  "file": progress.name},
        ))
    return facts


def rendered_claim_facts(
    progress: FileProgress, accepted: Iterable[tuple[AcceptedClaim, str, ContractRecord]], zone: ZoneInfo
) -> list[RenderedFact]:
    """`render_fact` of each of `claim_facts`, given each claim's `canonical_json` instead of its row."""
    business_date, prefix, source = _chunk(progress, zone)
    shared: dict[tuple[str, int], tuple[str, str, str, str]] = {}  # by contract and revision: text around a fact
    facts = []
    s = encode_basestring
    for claim, canonical, contract in accepted:
        key = contract.contract_number, contract.revision
        around = shared.get(key)
        if around is None:
            around = shared[key] = _around(claim, contract, business_date, source, progress.name)
        at = canonical.rindex(_STATUS_AT)
        position = f"{prefix}{claim.origin.row:010d}"
        text = "".join((around[0], canonical[:at], ',"status":"SUBMITTED"', canonical[at:], around[1],
                        s(str(claim.origin)), around[2], s(position), around[3]))
        facts.append(RenderedFact(business_date, position, claim.contract_number, text))
    return facts


def _around(
    claim: AcceptedClaim, contract: ContractRecord, business_date: date, source: str, file: str
) -> tuple[str, str, str, str]:
    """A contract's facts' text in four parts, around each fact's claim, event_id and position (`to_json`'s keys
    in sorted order, as `render_fact` writes them)."""
    submission = _submission(claim, contract)
    s = encode_basestring
    document = json.dumps(contract.contract_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    oem = "null" if submission.oem is None else s(submission.oem)
    return (
        f'{{"administrator":{s(submission.administrator)},"business_date":"{business_date.isoformat()}",'
        f'"contract_number":{s(claim.contract_number)},"data":{{"claim":',
        f',"contract":{document},"file":{s(file)}}},"dealer_code":{s(contract.dealer_code)},"event_id":',
        f',"kind":{s(FactKind.CLAIM_SUBMITTED.value)},"oem":{oem},"position":',
        f',"product_type":{s(submission.product.type)},"revision":{int(contract.revision)},"source":{s(source)}}}',
    )


def _chunk(progress: FileProgress, zone: ZoneInfo) -> tuple[date, str, str]:
    """The business date, position prefix and source of a chunk's facts."""
    decided = datetime.fromisoformat(progress.checkpoint_at or progress.started_at)
    stamp = decided.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    prefix = f"{stamp}-claims-{progress.partner}-{progress.sha256[:16]}-"
    return decided.astimezone(zone).date(), prefix, f"urn:partner:{progress.partner}"


def _submission(claim: AcceptedClaim, contract: ContractRecord) -> ContractSubmission:
    submission = contract.submission
    if submission is None:  # decide_claim accepts no claim against a contract the exchange has not seen
        raise ValueError(f"claim {claim.origin} names contract {contract.contract_number}, "
                         "which holds no submission")
    return submission

