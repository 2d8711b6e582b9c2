"""One chunk of a file's rows answered: every row decided, the accepted claims registered and their facts
journaled, and the chunk's block of the results file rendered.

The registry is the arbiter of claim numbers: a chunk's accepted claims are inserted without asking first, and
only a chunk whose insert finds a number taken is decided again against what the registry holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha256
from zoneinfo import ZoneInfo

from function_app.domain.claims.coverage import Coverage, coverage_of, coverage_problems
from function_app.domain.claims.decisions import ACCEPTED, decide_claim
from function_app.domain.claims.origin import ClaimOrigin, ClaimRecord
from function_app.domain.claims.results import ResultsWriter
from function_app.domain.claims.rows import ClaimRow, RowProblem, canonical_json
from function_app.domain.kernel.feedback import Status
from function_app.domain.kernel.partners import Partner
from function_app.domain.realtime.contracts import ContractRecord
from function_app.service_layer.claims.facts import rendered_claim_facts
from function_app.service_layer.claims.ports import AcceptedClaim, ClaimsRegistry, FileProgress
from function_app.service_layer.kernel.ports import ContractStore, Journal, StoredContract

DECIDE_ATTEMPTS = 4  # a chunk decided again this often (its numbers taken by other files meanwhile) gives up


@dataclass(frozen=True)
class ChunkAnswer:
    block: bytes  # the chunk's block of the results file
    met_registered: bool  # it met claim numbers already in the registry: the next chunk asks first


@dataclass(frozen=True)
class _Decisions:
    lines: list[bytes]
    accepted: list[AcceptedClaim]
    canonical: list[str]  # each accepted claim's `canonical_json`, made once for its hash and its fact
    counts: dict[str, int]
    met_registered: bool


class ChunkAnswerer:
    def __init__(self, registry: ClaimsRegistry, contracts: ContractStore, journal: Journal, zone: ZoneInfo) -> None:
        self._registry = registry
        self._contracts = contracts
        self._journal = journal
        self._zone = zone

    def answer(
        self, partner: Partner, progress: FileProgress, chunk: list[ClaimRow | RowProblem], look_up: bool
    ) -> ChunkAnswer:
        """Decides a chunk's rows, records its accepted claims and facts and adds its counts to `progress`;
        `look_up`: ask the registry for the chunk's claim numbers before deciding."""
        claims = [item for item in chunk if isinstance(item, ClaimRow)]
        contracts = self._contracts.load(sorted({c.contract_number for c in claims}), {}).contracts
        met = False
        for _attempt in range(DECIDE_ATTEMPTS):
            decisions = self._decide(partner, progress, chunk, contracts, look_up)
            met = met or decisions.met_registered
            if not self._registry.add(administrator_of(partner), decisions.accepted):
                break
            look_up = met = True  # a claim number was taken before: decide again against the registry
        else:
            raise RuntimeError(f"claims of {progress.name} kept being taken by other files; retry the file")
        self._journal.append_rendered(rendered_claim_facts(
            progress, ((claim, text, contracts[claim.contract_number].record)
                       for claim, text in zip(decisions.accepted, decisions.canonical, strict=True)), self._zone))
        for status, count in decisions.counts.items():
            progress.counts[status] = progress.counts.get(status, 0) + count
        header = ResultsWriter().header() if progress.blocks == 0 else b""
        return ChunkAnswer(header + b"".join(decisions.lines), met)

    def _decide(
        self, partner: Partner, progress: FileProgress, chunk: list[ClaimRow | RowProblem],
        contracts: Mapping[str, StoredContract], look_up: bool,
    ) -> _Decisions:
        administrator = administrator_of(partner)
        claims = [item for item in chunk if isinstance(item, ClaimRow)]
        known = self._registry.load(administrator, (c.claim_number for c in claims)) if look_up else {}
        earlier = {n: ClaimRecord(n, c.content_hash, c.origin) for n, c in known.items()}
        writer = ResultsWriter()
        lines: list[bytes] = []
        accepted: list[AcceptedClaim] = []
        canonical: list[str] = []
        taken: dict[str, AcceptedClaim] = {}  # accepted from this chunk, by number
        coverages = {number: _coverage(stored.record, administrator) for number, stored in contracts.items()}
        file = progress.sha256
        for item in chunk:
            if isinstance(item, RowProblem):
                lines.append(writer.problem_line(item))
                continue
            number = item.claim_number
            before = earlier.get(number)
            if before is None and number in taken:
                mine = taken[number]
                before = ClaimRecord(number, mine.content_hash, mine.origin)
            coverage = coverages.get(item.contract_number)
            if before is None and coverage is not None and not coverage_problems(item, coverage):
                decision = ACCEPTED  # what decide_claim answers a covered claim of a number not seen before
            else:
                stored = contracts.get(item.contract_number)
                here = ClaimOrigin(file, item.row)
                decision = decide_claim(item, stored.record if stored is not None else None, administrator, before,
                                        same_origin=before is not None and before.origin == here, coverage=coverage)
            if decision.status is Status.ACCEPTED:
                text = canonical_json(item)
                origin = ClaimOrigin(file, item.row)
                claim = AcceptedClaim(number, sha256(text.encode("utf-8")).hexdigest(), origin, item.contract_number)
                accepted.append(claim)
                canonical.append(text)
                taken[number] = claim
                earlier.pop(number, None)
            lines.append(writer.decision_line(item, decision))
        return _Decisions(lines, accepted, canonical, writer.counts, bool(known))


def _coverage(contract: ContractRecord, administrator: str) -> Coverage | None:
    """The contract's coverage once for the chunk, when a row of this administrator can reach it; None leaves it to
    decide_claim (which then finds it, or the inconsistency, exactly as it would alone)."""
    submission = contract.submission
    if not contract.exists or submission is None or submission.administrator != administrator:
        return None
    try:
        return coverage_of(contract)
    except ValueError:
        return None


def administrator_of(partner: Partner) -> str:
    if partner.administrator_code is None:
        raise ValueError(f"partner {partner.id} takes no claims files (no administrator_code)")
    return partner.administrator_code
