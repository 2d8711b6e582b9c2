"""What reconciliation finds: per business date and partner feed, the counts and money on each side, and
each break with the contracts it concerns. Plain data, shared by the comparison and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class BreakKind(StrEnum):
    MISSING = "MISSING"  # in the journal (or the exchange), absent from the file (or the source of record)
    DUPLICATE = "DUPLICATE"  # delivered more than once
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"  # a record, a control total or a refund that differs
    LATE = "LATE"  # not delivered although its feed's SLA has passed
    STATUS_MISMATCH = "STATUS_MISMATCH"  # the exchange and the source of record disagree on a contract's status
    RECORD_MISMATCH = "RECORD_MISMATCH"  # a record's field other than money differs (a VIN, a name, a date)
    UNREADABLE_FILE = "UNREADABLE_FILE"  # a delivered file that does not parse in its format: one break, not one a row
    CONTENT_MISMATCH = "CONTENT_MISMATCH"  # a file's bytes differ from what its facts render to (order, line ends, ...)
    MANIFEST_MISMATCH = "MANIFEST_MISMATCH"  # a manifest missing, unreadable, or a field not what the exchange recorded
    UNKNOWN_FILE = "UNKNOWN_FILE"  # a blob under outbound/ that the exchange did not write
    DELIVERY_RECORD_MISMATCH = "DELIVERY_RECORD_MISMATCH"  # a delivery record missing for its blob, or not agreeing
    JOURNAL_CHAIN = "JOURNAL_CHAIN"  # a fact edited, removed, inserted or forged after a manifest or seal quoted it


@dataclass(frozen=True)
class Break:
    kind: BreakKind
    business_date: date
    scope: str  # "<partner>/<feed>" for file breaks, "source-of-record" for the exchange vs the back office
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
    resolved: tuple[Break, ...] = ()  # breaks of earlier runs that this run no longer finds
    journal_chain: tuple[Break, ...] = ()  # the journal against its seal and the manifests' journal_chain

    @property
    def breaks(self) -> tuple[Break, ...]:
        return tuple(b for f in self.feeds for b in f.breaks) + self.source_of_record + self.journal_chain

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
            "journal_chain": [b.to_json() for b in self.journal_chain],
            "resolved": [b.to_json() for b in self.resolved],
        }
