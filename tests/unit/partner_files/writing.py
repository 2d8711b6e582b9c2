"""Writing a whole partner file in tests, the way delivery streams it: header, rows, trailer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from function_app.domain.delivery.formats import FileWriter, writer_for
from function_app.domain.delivery.records import PiiLevel, record
from function_app.domain.kernel.journal import JournalFact

PARTNER = "first-prairie"
FEED = "contracts"
SEQUENCE = 1


def new_writer(format: str, fields: Sequence[str], day: date = date(2026, 3, 2)) -> FileWriter:
    return writer_for(format, PARTNER, FEED, day, SEQUENCE, fields)


def write(writer: FileWriter, facts: Iterable[JournalFact], fields: Sequence[str], pii: PiiLevel) -> bytes:
    rows = writer.rows(record(fact, fields, pii) for fact in facts)
    return writer.header() + b"".join(rows) + writer.trailer()


def file_bytes(format: str, facts: Iterable[JournalFact], fields: Sequence[str], pii: PiiLevel) -> bytes:
    return write(new_writer(format, fields), facts, fields, pii)
