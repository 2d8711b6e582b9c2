"""A large file streams: the writer pulls records as it goes and yields bounded chunks, never the whole file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from function_app.domain.delivery.fields import Cell
from function_app.domain.delivery.formats import CHUNK_CHARS, EXTENSIONS
from function_app.domain.delivery.records import PiiLevel, record
from tests.unit.partner_files.facts import sample_facts
from tests.unit.partner_files.writing import new_writer

RECORDS = 50_000
FIELDS = ["record_type", "journal_position", "contract_number", "revision", "customer_first_name",
          "customer_last_name", "vin", "vehicle_model", "retail_price", "cancel_date", "customer_refund", "payee"]


class Source:
    """Hands out the same few records over and over, counting how many the writer has pulled so far."""

    def __init__(self) -> None:
        self.pulled = 0
        self._cells = [record(fact, FIELDS, PiiLevel.FULL) for fact in sample_facts()]

    def __iter__(self) -> Iterator[tuple[Cell, ...]]:
        for self.pulled in range(1, RECORDS + 1):
            yield self._cells[self.pulled % len(self._cells)]


@pytest.mark.parametrize("format", sorted(EXTENSIONS))
def test_fifty_thousand_records_stream_through_in_bounded_chunks(format: str) -> None:
    source = Source()
    writer = new_writer(format, FIELDS)
    sizes, pulled_at_each_chunk = [], []
    for chunk in writer.rows(source):
        sizes.append(len(chunk))
        pulled_at_each_chunk.append(source.pulled)
    longest_line = 4 * 1024
    assert writer.record_count == RECORDS
    assert max(sizes) <= 4 * (CHUNK_CHARS + longest_line)  # UTF-8 takes at most 4 bytes a character
    assert sum(sizes) > 20 * max(sizes)
    assert pulled_at_each_chunk[0] < RECORDS // 20
    assert pulled_at_each_chunk == sorted(pulled_at_each_chunk)
    assert len(set(pulled_at_each_chunk)) == len(sizes)
