"""The manifest beside each data file (spec/PARTNER-FILES.md, "Manifest"): what the file holds and which journal
positions it came from; partners check the file against it."""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

SCHEMA_VERSION = 1


@dataclass(slots=True)
class Span:
    """The first and last journal position of a file's facts of one business date (the last grows as it is read)."""

    first: str
    last: str


@dataclass(frozen=True)
class FileManifest:
    partner: str
    feed: str
    business_date: date
    sequence: int
    file: str
    format: str
    record_count: int
    control_totals: dict[str, str]
    sha256: str
    bytes: int
    created_at: datetime
    lineage: dict[str, Span] = field(default_factory=dict)  # business date -> span of positions
    # The link of the business date's journal chain (domain/kernel/chain.py) at the last position of that date the
    # file holds; for a file without facts of its date, at the last fact of the date its range reached (or genesis).
    journal_chain: str = ""

    def to_json(self) -> dict[str, Any]:
        spans = sorted(self.lineage.items())
        return {
            "partner": self.partner,
            "feed": self.feed,
            "business_date": self.business_date.isoformat(),
            "sequence": self.sequence,
            "file": self.file,
            "format": self.format,
            "record_count": self.record_count,
            "control_totals": self.control_totals,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "created_at": self.created_at.isoformat(),
            "schema_version": SCHEMA_VERSION,
            "lineage": {
                "first_position": spans[0][1].first if spans else None,
                "last_position": spans[-1][1].last if spans else None,
                "by_business_date": {day: {"first": span.first, "last": span.last} for day, span in spans},
            },
            "journal_chain": self.journal_chain,
        }

    def is_stored_as(self, data: builtins.bytes | None) -> bool:
        """Whether stored bytes hold this very document (whatever their layout)."""
        try:
            return data is not None and json.loads(data) == self.to_json()
        except ValueError:
            return False
