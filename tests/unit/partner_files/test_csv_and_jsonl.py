"""csv (RFC 4180, neutralised formulas) and jsonl writers; control totals and determinism for every format."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from function_app.domain.delivery.fields import FIELDS, MONEY_FIELDS, FieldKind
from function_app.domain.delivery.formats import EXTENSIONS, csv_cell, writer_for
from function_app.domain.delivery.records import PiiLevel
from tests.unit.partner_files.facts import sample_facts
from tests.unit.partner_files.writing import file_bytes, new_writer, write

NAMES = ["contract_number", "customer_first_name", "customer_last_name"]


@pytest.mark.parametrize(
    ("text", "written"),
    [('=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'), ("+1", "'+1"), ("-2", "'-2"), ("@SUM", "'@SUM"),
     ("\tTAB", "'\tTAB"), ("\rCR", "\"'\rCR\""), ("Smith, Jr.", '"Smith, Jr."'), ('Robert "Bob"', '"Robert ""Bob"""'),
     ("two\nlines", '"two\nlines"'), ("O'Neil", "O'Neil"), ("a=b", "a=b"), ("王小明", "王小明"), ("", "")],
)
def test_text_cells_are_neutralised_then_quoted(text: str, written: str) -> None:
    assert csv_cell(text, FieldKind.TEXT) == written
    assert csv_cell(text, FieldKind.CODE) == written


@pytest.mark.parametrize(
    ("cell", "kind", "written"),
    [(Decimal("-5.00"), FieldKind.MONEY, "-5.00"), (Decimal("5"), FieldKind.MONEY, "5.00"),
     (Decimal("0.005"), FieldKind.MONEY, "0.01"), (Decimal("0.791476"), FieldKind.DECIMAL, "0.791476"),
     (-3, FieldKind.INTEGER, "-3"), (date(2026, 2, 20), FieldKind.DATE, "2026-02-20"), (None, FieldKind.MONEY, ""),
     (None, FieldKind.TEXT, "")],
)
def test_money_numbers_and_dates_are_never_neutralised(cell: Decimal | int | date | None, kind: FieldKind,
                                                      written: str) -> None:
    assert csv_cell(cell, kind) == written


def test_a_csv_reader_reads_back_the_neutralised_values() -> None:
    rows = list(csv.reader(io.StringIO(file_bytes("csv", sample_facts(), NAMES, PiiLevel.FULL).decode("utf-8"))))
    assert rows[0] == NAMES
    assert rows[3] == ["GAP2505310007", 'Robert "Bob"', "Smith, Jr."]
    assert rows[5] == ["TW2602270003", '\'=HYPERLINK("x")', "'+1"]
    assert rows[6] == ["KEY2602280004", "'@SUM", "'-2"]
    assert rows[7] == ["PPM2603010005", "Zoë", "王小明"]


def test_jsonl_is_one_compact_object_a_line_in_field_order() -> None:
    fields = ["contract_number", "revision", "sale_date", "retail_price", "term_miles", "cancel_date", "payee"]
    lines = file_bytes("jsonl", sample_facts(), fields, PiiLevel.FULL).decode("utf-8").split("\n")
    assert lines[-1] == ""
    documents = [json.loads(line) for line in lines[:-1]]
    assert len(documents) == 7
    assert all(list(document) == fields for document in documents)
    assert documents[3] == {"contract_number": "GAP2505310007", "revision": 1, "sale_date": "2025-05-31",
                            "retail_price": "895.00", "term_miles": None, "cancel_date": "2026-02-20",
                            "payee": "LIENHOLDER"}
    assert ", " not in lines[0] and ": " not in lines[0]


def test_jsonl_escapes_unicode_line_separators() -> None:
    writer = writer_for("jsonl", "p-1", "f", date(2026, 3, 2), 1, ["customer_last_name"])
    line = b"".join(writer.rows([("a\u2028b\x85c",)])).decode("utf-8")
    assert len(line.splitlines()) == 1
    assert json.loads(line) == {"customer_last_name": "a\u2028b\x85c"}


def test_csv_and_jsonl_have_no_trailer_and_jsonl_no_header() -> None:
    assert new_writer("csv", NAMES).trailer() == b""
    assert new_writer("jsonl", NAMES).header() == b""
    assert new_writer("jsonl", NAMES).trailer() == b""


MONEY_PATHS = {name: ("refund", name) for name in MONEY_FIELDS} | {
    "retail_price": ("contract", "pricing", "retail_price"),
    "dealer_cost": ("contract", "pricing", "dealer_cost"),
}


@pytest.mark.parametrize("format", sorted(EXTENSIONS))
def test_control_totals_are_the_sums_of_the_money_columns(format: str) -> None:
    facts = sample_facts()
    writer = new_writer(format, list(FIELDS))
    write(writer, facts, list(FIELDS), PiiLevel.FULL)
    expected = {
        name: sum((Decimal(_dig(fact.data, *MONEY_PATHS[name]) or "0") for fact in facts), Decimal("0.00"))
        for name in FIELDS if name in MONEY_FIELDS
    }
    assert writer.control_totals == {name: f"{total:.2f}" for name, total in expected.items()}
    assert writer.control_totals["retail_price"] == "9379.49"
    assert writer.record_count == 7


def test_csv_control_totals_agree_with_the_files_own_columns() -> None:
    writer = new_writer("csv", list(FIELDS))
    rows = list(csv.DictReader(io.StringIO(write(writer, sample_facts(), list(FIELDS), PiiLevel.FULL).decode())))
    for name, total in writer.control_totals.items():
        assert Decimal(total) == sum(Decimal(row[name] or "0") for row in rows)


def _dig(data: dict[str, object], *path: str) -> str | None:
    node: object = data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, str) else None


@pytest.mark.parametrize("format", sorted(EXTENSIONS))
def test_every_money_column_has_a_total_even_when_nothing_was_refunded(format: str) -> None:
    fields = ["contract_number", "retail_price", "gross_refund", "dealer_chargeback"]
    writer = new_writer(format, fields)
    write(writer, sample_facts()[:2], fields, PiiLevel.FULL)
    assert writer.control_totals == {"retail_price": "5190.00", "gross_refund": "0.00", "dealer_chargeback": "0.00"}


@pytest.mark.parametrize("format", sorted(EXTENSIONS))
def test_an_empty_file_counts_zero_and_totals_zero(format: str) -> None:
    writer = new_writer(format, ["contract_number", "retail_price"])
    assert list(writer.rows([])) == []
    assert (writer.record_count, writer.control_totals) == (0, {"retail_price": "0.00"})


@pytest.mark.parametrize("format", sorted(EXTENSIONS))
def test_the_same_facts_give_the_same_bytes(format: str) -> None:
    fields = list(FIELDS)
    first = file_bytes(format, sample_facts(), fields, PiiLevel.FULL)
    second = file_bytes(format, sample_facts(), fields, PiiLevel.FULL)
    assert first == second
    assert b"\r\n" not in first and first.endswith(b"\n")


def test_writer_for_knows_three_formats_and_refuses_others() -> None:
    assert dict(EXTENSIONS) == {"csv": "csv", "fixed": "txt", "jsonl": "jsonl"}
    with pytest.raises(ValueError, match="'xml'"):
        writer_for("xml", "p-1", "f", date(2026, 3, 2), 1, NAMES)
    with pytest.raises(ValueError, match="shoe_size"):
        writer_for("csv", "p-1", "f", date(2026, 3, 2), 1, ["contract_number", "shoe_size"])


def test_a_lone_surrogate_never_stops_a_file_jsonl_keeps_it_escaped_csv_writes_a_question_mark() -> None:
    """JSON can carry one ("\\ud800"), and it has no UTF-8 form."""
    fields = ["contract_number", "customer_last_name"]
    jsonl = b"".join(writer_for("jsonl", "p-1", "f", date(2026, 3, 2), 1, fields).rows([("C1", "a\ud800b")]))
    assert jsonl == b'{"contract_number":"C1","customer_last_name":"a\\ud800b"}\n'
    assert json.loads(jsonl)["customer_last_name"] == "a\ud800b"
    csv_writer = writer_for("csv", "p-1", "f", date(2026, 3, 2), 1, fields)
    assert b"".join(csv_writer.rows([("C1", "a\ud800b")])) == b"C1,a?b\n"
