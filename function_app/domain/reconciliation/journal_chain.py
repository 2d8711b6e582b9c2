"""The journal of a business date against the evidence kept outside its table (spec/PARTNER-FILES.md, "Evidence that
outlives the exchange's own tables"): the date's seal, entry by entry, and the `journal_chain` every delivered
manifest quotes. Each fact edited, removed, inserted or forged since the seal is one break keyed by its position;
a manifest the journal no longer gives, where the seal names no fact that explains it, is one break keyed by its
file. Details name positions, contracts and files, never a fact's values."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from function_app.domain.kernel.chain import LINK_PREFIX, ChainSeal, SealEntry, chained, fact_digest, genesis
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.reconciliation.model import Break, BreakKind

SCOPE = "journal"
_STAMP = "%Y%m%dT%H%M%S%fZ"
_NAMED_FILES = 3  # files named in one break's detail; the rest are counted


@dataclass(frozen=True)
class QuotedChain:
    """A delivered manifest's `journal_chain` and the position of its business date it was taken at: the last
    position of the date the file holds, or, for a file without facts of its date, the end of its range there."""

    file: str  # "<partner>:<blob name>"
    at: str
    journal_chain: str


def quoted_chain(file: str, manifest: bytes | None, business_date: str, range_end: str) -> QuotedChain | None:
    """What a manifest quotes, read as whatever it holds: None when it quotes no journal_chain (a manifest missing,
    unreadable or without one is a manifest break, not the chain's). Taken at the file's last position of the date,
    or, with none in its lineage, at `range_end`, where the file's range of the date stopped."""
    try:
        document = json.loads(manifest) if manifest is not None else None
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("journal_chain"), str):
        return None
    span = _walk(document, "lineage", "by_business_date", business_date)
    last = span.get("last") if isinstance(span, dict) else None
    return QuotedChain(file, last if isinstance(last, str) else range_end, document["journal_chain"])


def _walk(document: object, *keys: str) -> object:
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document


@dataclass(frozen=True)
class _Current:
    """The date's chain as the journal gives it now."""

    positions: list[str]
    links: list[str]
    digests: dict[str, str]
    contracts: dict[str, str]
    head: str

    @classmethod
    def of(cls, business_date: date, facts: Iterable[JournalFact]) -> _Current:
        positions, values, digests, contracts = [], [], {}, {}
        value = genesis(business_date)
        for fact in facts:  # a fact stored under another date changes its digest: it is judged, not refused
            digest = fact_digest(fact)
            value = chained(value, digest)
            positions.append(fact.position)
            values.append(value)
            digests[fact.position], contracts[fact.position] = digest, fact.contract_number
        return cls(positions, values, digests, contracts, genesis(business_date))

    def at(self, position: str) -> str:
        """The link at a position: that of the last fact at or before it (the genesis before the first)."""
        index = bisect_right(self.positions, position)
        return self.links[index - 1] if index else self.head

    def position_of(self, value: str) -> str | None:
        return next((p for p, v in zip(self.positions, self.links, strict=True) if v == value), None)


def chain_breaks(
    business_date: date,
    facts: Iterable[JournalFact],
    seal: ChainSeal | None,
    quoted: Sequence[QuotedChain],
    settle: timedelta,
) -> list[Break]:
    """Every fact the seal contradicts, with the manifests that contradict it too, then every manifest the journal
    no longer gives that no such fact explains. Facts decided within `settle` of the seal, or after it, were
    possibly not written when it was made: the seal says nothing about them (later manifests do)."""
    current = _Current.of(business_date, facts)
    contradicted = [q for q in quoted if current.at(q.at) != q.journal_chain]
    found = _sealed_breaks(business_date, current, seal, settle) if seal is not None else []
    breaks = [_with_manifests(b, contradicted) for b in found]
    explained = {q.file for q in contradicted for b in found if b.key <= q.at}
    checkpoints = sorted(q.at for q in quoted if q not in contradicted)  # not the seal's: it may postdate a tamper
    breaks += [_manifest_break(business_date, q, current, checkpoints) for q in contradicted if q.file not in explained]
    return breaks


def _sealed_breaks(business_date: date, current: _Current, seal: ChainSeal, settle: timedelta) -> list[Break]:
    sealed = {entry.position: entry for entry in seal.entries}
    sealed_at = seal.sealed_at.astimezone(UTC)
    judged_upto = (sealed_at - settle).strftime(_STAMP)
    when = f"the seal of {business_date.isoformat()} (made {sealed_at:%Y-%m-%d %H:%M} UTC)"
    breaks = []
    for position in sorted(set(sealed) | set(current.digests)):
        entry = sealed.get(position)
        if entry is None:
            if position[: len(judged_upto)] <= judged_upto:
                breaks.append(_fact_break(business_date, position, current.contracts[position],
                                          f"the fact at {position} is not in {when}: inserted or forged since"))
        elif position not in current.digests:
            breaks.append(_fact_break(business_date, position, entry.contract_number,
                                      f"the fact at {position} is in {when} and no longer in the journal: removed"))
        elif current.digests[position][:LINK_PREFIX] != entry.digest:
            breaks.append(_fact_break(business_date, position, entry.contract_number,
                                      f"the fact at {position} differs from {when}: edited{_renamed(entry, current)}"))
    return breaks


def _renamed(entry: SealEntry, current: _Current) -> str:
    now = current.contracts[entry.position]
    return f" (sealed under contract {entry.contract_number}, now under {now})" if now != entry.contract_number else ""


def _fact_break(business_date: date, position: str, contract: str, detail: str) -> Break:
    return Break(BreakKind.JOURNAL_CHAIN, business_date, SCOPE, position, contract, detail)


def _with_manifests(found: Break, contradicted: Sequence[QuotedChain]) -> Break:
    files = sorted(q.file for q in contradicted if found.key <= q.at)
    if not files:
        return found
    named = ", ".join(files[:_NAMED_FILES]) + (f" and {len(files) - _NAMED_FILES} more" if len(files) > _NAMED_FILES
                                               else "")
    detail = f"{found.detail}; the journal_chain of the manifest of {named} contradicts it too"
    return Break(found.kind, found.business_date, found.scope, found.key, found.contract_number, detail)


def _manifest_break(business_date: date, quoted: QuotedChain, current: _Current, checkpoints: list[str]) -> Break:
    index = bisect_right(checkpoints, quoted.at)
    while index and checkpoints[index - 1] >= quoted.at:
        index -= 1
    since = f"after {checkpoints[index - 1]}, where the chain still agrees" if index else "from the date's start"
    elsewhere = current.position_of(quoted.journal_chain)
    if elsewhere is not None:
        cause = f"it is the link at {elsewhere}, not at {quoted.at}: the manifest's lineage or chain was changed"
    else:
        cause = (f"no fact of the date gives it: a fact at or before {quoted.at} ({since}) was edited, removed, "
                 "inserted or forged, or the manifest was")
    return Break(BreakKind.JOURNAL_CHAIN, business_date, SCOPE, quoted.file, None,
                 f"the journal no longer gives the journal_chain of the manifest of {quoted.file}; {cause}")
