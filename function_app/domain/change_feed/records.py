"""What one message of the change feed is: a row change at its log position, a side record, or the reasons it is
neither."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from function_app.domain.kernel.feedback import Reason

# A decoded row image: the columns the exchange uses by name, each as stored text (debezium.decode) or None for null.
# A mapping because the columns differ per table and a column absent from the image is left out, never invented.
Columns = Mapping[str, str | None]


class ChangeOp(StrEnum):
    CREATE = "c"
    UPDATE = "u"
    DELETE = "d"
    READ = "r"  # a snapshot read: the row as it was when the connector started


class SideRecord(StrEnum):
    """A record on the change feed that carries no row change: skipped and counted, never dead-lettered."""

    TOMBSTONE = "tombstone"  # empty body or null, sent after a delete for log compaction
    HEARTBEAT = "heartbeat"
    TRANSACTION = "transaction"  # BEGIN / END transaction metadata
    SCHEMA_CHANGE = "schema_change"


@dataclass(frozen=True, order=True)
class Lsn:
    """SQL Server's position of a change: commit, then change within it, then the event's serial number."""

    commit: str
    change: str
    serial: int

    def __str__(self) -> str:
        return f"{self.commit.lower()}|{self.change.lower()}|{self.serial:010d}"

    @classmethod
    def parse(cls, text: str) -> Lsn:
        commit, change, serial = text.split("|")
        return cls(commit, change, int(serial))


@dataclass(frozen=True)
class RowChange:
    table: str
    op: ChangeOp
    contract_number: str
    claim_number: str | None
    row: Columns  # `after`, or `before` for a delete
    lsn: Lsn
    ts_ms: int  # source.ts_ms: when the database made the change; 0 when the connector did not say

    @property
    def row_key(self) -> str:
        return self.claim_number or self.contract_number

    def time(self) -> datetime | None:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=self.ts_ms) if self.ts_ms > 0 else None

    def business_date(self, zone: ZoneInfo) -> date | None:
        """The change's business date: the day of `source.ts_ms` in the business time zone."""
        when = self.time()
        return when.astimezone(zone).date() if when else None


@dataclass(frozen=True)
class ChangeRecord:
    """One message of the change feed: a row change, a side record, or the reasons it is neither."""

    change: RowChange | None = None
    side: SideRecord | None = None
    reasons: tuple[Reason, ...] = ()
