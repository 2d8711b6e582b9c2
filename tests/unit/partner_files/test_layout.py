"""The published layout is the one the writer slices by: columns tile every line, and each value lies where
the layout says."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from function_app.adapters.delivery.partner_blobs import BLOCK_BYTES
from function_app.domain.delivery.fields import FIELDS, MONEY_FIELDS
from function_app.domain.delivery.formats import FixedWidthWriter
from function_app.domain.delivery.layout import COUNT_WIDTH, TOTAL_WIDTH, fixed_layout, layout_document
from function_app.domain.delivery.records import PiiLevel
from tests.unit.partner_files.facts import sample_facts
from tests.unit.partner_files.writing import write

FEED = ["record_type", "contract_number", "term_miles", "customer_last_name", "sale_date", "retail_price"]


def test_a_small_feed_s_layout_document() -> None:
    document = fixed_layout([FIELDS[name] for name in FEED]).to_json("first-prairie", "contracts")
    assert document["encoding"] == "ascii" and document["line_end"] == "\n"
    assert document["record_length"] == 118
    assert document["records"]["D"] == [
        {"name": "record", "start": 1, "width": 1, "type": "record", "alignment": "left", "padding": " "},
        {"name": "record_type", "start": 2, "width": 20, "type": "code", "alignment": "left", "padding": " "},
        {"name": "contract_number", "start": 22, "width": 20, "type": "code", "alignment": "left", "padding": " "},
        {"name": "term_miles", "start": 42, "width": 7, "type": "integer", "alignment": "right", "padding": " "},
        {"name": "customer_last_name", "start": 49, "width": 50, "type": "text", "alignment": "left", "padding": " "},
        {"name": "sale_date", "start": 99, "width": 8, "type": "date", "alignment": "left", "padding": " "},
        {"name": "retail_price", "start": 107, "width": 12, "type": "money", "alignment": "right", "padding": " "},
    ]
    assert [c["name"] for c in document["records"]["H"]] == [
        "record", "partner", "feed", "business_date", "sequence", "filler"]
    assert document["records"]["H"][-1] == {
        "name": "filler", "start": 96, "width": 23, "type": "filler", "alignment": "left", "padding": " "}
    assert document["records"]["T"][1:3] == [
        {"name": "record_count", "start": 2, "width": 10, "type": "counter", "alignment": "right", "padding": "0"},
        {"name": "retail_price", "start": 12, "width": 19, "type": "money", "alignment": "right", "padding": " "},
    ]


@pytest.mark.parametrize("fields", [list(FIELDS), FEED, ["vin"], sorted(MONEY_FIELDS)], ids=["all", "feed", "one",
                                                                                             "money"])
def test_columns_tile_every_record_from_the_first_byte_to_the_last(fields: list[str]) -> None:
    layout = fixed_layout([FIELDS[name] for name in fields])
    for record in layout.records():
        starts = [column.start for column in record.columns]
        ends = [column.end for column in record.columns]
        assert starts[0] == 1 and ends[-1] == layout.record_length
        assert starts[1:] == [end + 1 for end in ends[:-1]]


def test_each_detail_value_lies_where_the_layout_says() -> None:
    writer = FixedWidthWriter("first-prairie", "contracts", date(2026, 3, 2), 1, FEED)
    lines = write(writer, sample_facts(), FEED, PiiLevel.FULL).split(b"\n")
    columns = {column.name: column for column in writer.layout.detail.values}
    gap_cancelled = lines[4]

    def cell(name: str) -> bytes:
        return gap_cancelled[columns[name].start - 1 : columns[name].end]

    assert cell("contract_number") == b"GAP2505310007".ljust(20)
    assert cell("term_miles") == b" " * 7
    assert cell("customer_last_name") == b"Smith, Jr.".ljust(50)
    assert cell("sale_date") == b"20250531"
    assert cell("retail_price") == b"895.00".rjust(12)
    trailer = {column.name: column for column in writer.layout.trailer.values}
    assert lines[-2][trailer["record_count"].start - 1 : trailer["record_count"].end] == b"0000000007"


def test_counts_and_totals_hold_the_largest_file_a_blob_can_hold() -> None:
    shortest_line = fixed_layout([FIELDS["vin"]]).record_length + 1
    most_records = 50_000 * BLOCK_BYTES // shortest_line
    assert len(str(most_records)) <= COUNT_WIDTH
    assert len(f"{-most_records * Decimal('100000.00'):f}") <= TOTAL_WIDTH


def test_the_published_document_is_the_layout_as_json() -> None:
    fields = [FIELDS[name] for name in FEED]
    published = layout_document("first-prairie", "contracts", fields)
    assert json.loads(published) == fixed_layout(fields).to_json("first-prairie", "contracts")
    assert published == layout_document("first-prairie", "contracts", fields), "the same fields, the same bytes"
    assert published.endswith(b"}\n") and published.isascii()
