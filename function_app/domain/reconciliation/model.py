"""What reconciliation finds: per business date and partner feed, the counts and money on each side, and
each break with the contracts it concerns. Plain data, shared by the comparison and the report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple


class BreakKind(StrEnum):
    MISSING = "MISSING"  # in the journal (or the exchange), absent from the file (or the source of record)
    DUPLICATE = "DUPLICATE"  # delivered more than once, or a fact the journal holds twice
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"  # a record, a control total or a refund that differs
    LATE = "LATE"  # not delivered within its feed's SLA plus its timer's longest gap
    STATUS_MISMATCH = "STATUS_MISMATCH"  # the exchange and the source of record disagree on a contract's status
    RECORD_MISMATCH = "RECORD_MISMATCH"  # a record's field other than money differs (a VIN, a name, a date)
    UNREADABLE_FILE = "UNREADABLE_FILE"  # a delivered file that does not parse in its format: one break, not one a row
    CONTENT_MISMATCH = "CONTENT_MISMATCH"  # a file's bytes differ from what its facts render to (order, line ends, ...)
    MANIFEST_MISMATCH = "MANIFEST_MISMATCH"  # a manifest missing, unreadable, or a field not what the exchange recorded
    UNKNOWN_FILE = "UNKNOWN_FILE"  # a blob under outbound/ that the exchange did not write
    DELIVERY_RECORD_MISMATCH = "DELIVERY_RECORD_MISMATCH"  # a delivery record missing for its blob, or not agreeing
    JOURNAL_CHAIN = "JOURNAL_CHAIN"  # a fact edited, removed, inserted or forged after a manifest or seal quoted it
    REFUND_OVERDUE = "REFUND_OVERDUE"  # a cancellation's refund not reported paid within its state rule's days

    @property
    def label(self) -> str:
        return KIND_MEANINGS[self].label

    @property
    def meaning(self) -> str:
        return KIND_MEANINGS[self].meaning


class KindMeaning(NamedTuple):
    label: str
    meaning: str


# One source for what each kind means: the report page's legend and the README's table (held to it by a test).
KIND_MEANINGS: Mapping[BreakKind, KindMeaning] = {
    BreakKind.MISSING: KindMeaning(
        "Missing", "A fact of the journal that no delivered file holds (its file removed, or the record taken "
        "out), a contract the source of record has never reported, or a journal fact whose contract (or claim) "
        "the exchange holds no record of."),
    BreakKind.DUPLICATE: KindMeaning("Duplicate", "A fact delivered more than once, in one file or across two, or "
                                     "held twice by the journal under two positions."),
    BreakKind.AMOUNT_MISMATCH: KindMeaning(
        "Amount mismatch", "Money that differs: a record's amount, a manifest's control total, a refund "
        "against the one due now, or a journal fact's amount against the exchange's record."),
    BreakKind.LATE: KindMeaning(
        "Late", "A fact not delivered within its feed's SLA plus the longest wait for the timer that cuts its "
        "files (the break says which)."),
    BreakKind.STATUS_MISMATCH: KindMeaning(
        "Status mismatch", "The exchange and the source of record disagree on a contract's status."),
    BreakKind.RECORD_MISMATCH: KindMeaning(
        "Record mismatch", "A delivered record, or a journal fact against the exchange's record, whose other "
        "fields differ (a VIN, a name, a date): the record and the columns are named, never the values."),
    BreakKind.UNREADABLE_FILE: KindMeaning(
        "Unreadable file", "A delivered file that does not parse in its format (a byte order mark, a blank "
        "line, a cut line): one break for the file, its records not counted."),
    BreakKind.CONTENT_MISMATCH: KindMeaning(
        "Content mismatch", "A file's bytes differ from what its facts render to (order, line ends, quoting, "
        "header or trailer) although every record reads the same."),
    BreakKind.MANIFEST_MISMATCH: KindMeaning(
        "Manifest mismatch", "A manifest missing or unreadable, or a field of it (identity, lineage, counts, "
        "sha256, journal_chain) not what the exchange recorded."),
    BreakKind.UNKNOWN_FILE: KindMeaning("Unknown file", "A blob under outbound/ that the exchange did not write."),
    BreakKind.DELIVERY_RECORD_MISMATCH: KindMeaning(
        "Delivery record mismatch", "A blob without its delivery record, or a delivery record whose sha256 or "
        "totals disagree with its blob."),
    BreakKind.JOURNAL_CHAIN: KindMeaning(
        "Journal chain", "A journal fact edited, removed, inserted or forged after a manifest or a seal quoted "
        "the chain: named by its position and contract."),
    BreakKind.REFUND_OVERDUE: KindMeaning(
        "Refund overdue", "A cancellation whose state rule gives its refund a deadline, and whose refund the back "
        "office has not reported paid by then: named by its contract, the state rule, the due date and the days "
        "overdue; resolved when the payment is reported."),
}


@dataclass(frozen=True)
class Break:
    kind: BreakKind
    business_date: date
    scope: str  # "<partner>/<feed>" for file breaks, "source-of-record" for the exchange vs the back office,
    # "refunds-owed" for a refund overdue
    key: str  # what is broken: a contract number, a file name, "<file>#<row>"
    contract_number: str | None
    detail: str

    @property
    def identity(self) -> str:
        """Stable across runs, so a break found again is the same break, and one no longer found is resolved."""
        return f"{self.scope}|{self.kind.value}|{self.key}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "business_date": self.business_date.isoformat(),
            "scope": self.scope,
            "key": self.key,
            "contract_number": self.contract_number,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Break:
        return cls(BreakKind(raw["kind"]), date.fromisoformat(raw["business_date"]), raw["scope"], raw["key"],
                   raw.get("contract_number"), raw["detail"])

    def without_values(self) -> Break:
        """The break as a resolved one is kept: what and where, no detail (which may quote amounts)."""
        return replace(self, detail="")


def merged(breaks: Iterable[Break]) -> tuple[Break, ...]:
    """One break per identity, in the order first found, the details of the others of its identity joined to it:
    a contract's two facts missing are one break, so a report counts what the store keeps and a later run
    resolves."""
    first: dict[str, Break] = {}
    for found in breaks:
        kept = first.setdefault(found.identity, found)
        if kept is not found and found.detail not in kept.detail:
            first[found.identity] = replace(kept, detail=f"{kept.detail}; {found.detail}")
    return tuple(first.values())


@dataclass(frozen=True)
class Side:
    """One side of a comparison: how many records, and the total of each money column."""

    records: int
    totals: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"records": self.records, "totals": dict(sorted(self.totals.items()))}


@dataclass(frozen=True)
class FeedReconciliation:
    partner: str
    feed: str
    journal: Side  # the facts of the date the feed subscribes to
    files: Side  # what its delivered files hold for the date
    manifests: Side  # what their manifests claim
    file_names: tuple[str, ...]
    breaks: tuple[Break, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "breaks", merged(self.breaks))  # frozen: normalised once, as built

    @property
    def agrees(self) -> bool:
        return not self.breaks

    def to_json(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "feed": self.feed,
            "journal": self.journal.to_json(),
            "files": self.files.to_json(),
            "manifests": self.manifests.to_json(),
            "file_names": list(self.file_names),
            "breaks": [b.to_json() for b in self.breaks],
            "agrees": self.agrees,
        }


@dataclass(frozen=True)
class ReconciliationReport:
    business_date: date
    generated_at: str
    feeds: tuple[FeedReconciliation, ...]
    source_of_record: tuple[Break, ...]  # the exchange's view against the back office's
    contracts_checked: int
    resolved: tuple[Break, ...] = ()  # breaks of earlier runs that this run no longer finds, kept without values
    outbound: tuple[Break, ...] = ()  # blobs under a partner's outbound/ outside every feed's folder, unaccounted for
    journal_chain: tuple[Break, ...] = ()  # the journal against its seal and the manifests' journal_chain
    refunds_overdue: tuple[Break, ...] = ()  # every refund still owed past its due date, whatever its date

    def __post_init__(self) -> None:
        object.__setattr__(self, "source_of_record", merged(self.source_of_record))
        object.__setattr__(self, "resolved", tuple(b.without_values() for b in merged(self.resolved)))

    @property
    def breaks(self) -> tuple[Break, ...]:
        feeds = tuple(b for f in self.feeds for b in f.breaks)
        return feeds + self.source_of_record + self.outbound + self.journal_chain + self.refunds_overdue

    @property
    def agrees(self) -> bool:
        return not self.breaks

    def to_json(self) -> dict[str, Any]:
        return {
            "business_date": self.business_date.isoformat(),
            "generated_at": self.generated_at,
            "agrees": self.agrees,
            "break_count": len(self.breaks),
            "contracts_checked": self.contracts_checked,
            "feeds": [f.to_json() for f in self.feeds],
            "source_of_record": [b.to_json() for b in self.source_of_record],
            "outbound": [b.to_json() for b in self.outbound],
            "journal_chain": [b.to_json() for b in self.journal_chain],
            "refunds_overdue": [b.to_json() for b in self.refunds_overdue],
            "resolved": [b.to_json() for b in self.resolved],
        }
