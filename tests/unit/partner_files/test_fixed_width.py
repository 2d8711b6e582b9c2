"""Fixed-width files: H / D / T records, every line the same length, and no value ever silently cut."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from function_app.domain.partner_files.fields import FIELDS, MONEY_FIELDS
from function_app.domain.partner_files.formats import (
    FieldContentError,
    FieldOverflowError,
    FixedWidthWriter,
    writer_for,
)
from function_app.domain.partner_files.records import PiiLevel
from tests.unit.partner_files.facts import sample_facts
from tests.unit.partner_files.writing import file_bytes, write

LENDER = ["record_type", "journal_position", "contract_number", "customer_last_name", "retail_price", "cancel_date",
          "customer_refund"]


def lines(written: bytes) -> list[str]:
    text = written.decode("utf-8")
    assert text.endswith("\n")
    return text[:-1].split("\n")


@pytest.mark.parametrize(
    "fields",
    [list(FIELDS), LENDER, ["contract_number"], sorted(MONEY_FIELDS), ["customer_last_name", "vin"]],
    ids=["all", "lender", "header-longest", "trailer-longest", "names"],
)
def test_every_line_has_the_same_length_in_code_points(fields: list[str]) -> None:
    written = lines(file_bytes("fixed", sample_facts(), fields, PiiLevel.FULL))
    assert [line[0] for line in written] == ["H", *"D" * 7, "T"]
    assert len({len(line) for line in written}) == 1


def test_the_line_is_as_long_as_the_longest_of_header_detail_and_trailer() -> None:
    def length(fields: list[str]) -> int:
        return FixedWidthWriter("p-1", "f", date(2026, 3, 2), 1, fields).line_length

    assert length(list(FIELDS)) == 1 + sum(field.width for field in FIELDS.values())
    assert length(["contract_number"]) == 1 + 40 + 40 + 8 + 3
    assert length(sorted(MONEY_FIELDS)) == 1 + 9 + 15 * len(MONEY_FIELDS)


def test_header_detail_and_trailer_layouts() -> None:
    writer = writer_for("fixed", "first-prairie", "contracts", date(2026, 3, 2), 7, LENDER)
    header, *details, trailer = lines(write(writer, sample_facts(), LENDER, PiiLevel.FULL))
    assert header.rstrip() == "Hfirst-prairie" + " " * 27 + "contracts" + " " * 31 + "20260302" + "007"
    cancelled = details[3]
    assert cancelled[:21] == "DCONTRACT_CANCELLED  "
    assert cancelled[121:141] == "GAP2505310007       "
    assert cancelled[141:191] == "Smith, Jr.".ljust(50)
    assert cancelled[191:] == "      895.00" + "20260220" + "      683.37"
    assert trailer.rstrip() == "T000000007" + "9379.49".rjust(15) + "683.37".rjust(15)


def test_code_points_count_once_however_many_bytes_they_take() -> None:
    non_latin = sample_facts()[-1]
    line = lines(file_bytes("fixed", [non_latin], ["customer_last_name", "vehicle_make"], PiiLevel.FULL))[1]
    assert line[1:51] == "王小明" + " " * 47
    assert line[51:91] == "Škoda" + " " * 35
    assert len(line.encode("utf-8")) > len(line)


def test_empty_cells_are_spaces_and_negative_amounts_keep_their_sign() -> None:
    writer = FixedWidthWriter("p-1", "f", date(2026, 3, 2), 1, ["cancel_date", "dealer_chargeback", "term_miles"])
    detail = b"".join(writer.rows([(None, Decimal("-5.00"), None)])).decode()
    assert detail == "D" + " " * 8 + "       -5.00" + " " * 7 + " " * (writer.line_length - 28) + "\n"
    assert writer.control_totals == {"dealer_chargeback": "-5.00"}


def test_a_value_too_long_names_the_record_and_the_field_and_is_never_cut() -> None:
    facts = sample_facts()
    long_model = {**facts[1].data["contract"]["vehicle"], "model": "Camry Hybrid XSE Nightshade Edition Premium AWD"}
    too_long = replace(facts[1], data={"contract": {**facts[1].data["contract"], "vehicle": long_model}})
    with pytest.raises(FieldOverflowError) as error:
        file_bytes("fixed", [facts[0], too_long], ["journal_position", "contract_number", "vehicle_model"],
                   PiiLevel.FULL)
    message = str(error.value)
    assert "record 2" in message
    assert facts[1].position in message and "VSC2501150001" in message
    assert "'vehicle_model'" in message and "47 characters" in message and "width is 40" in message
    assert "Nightshade" not in message


def test_without_a_position_column_the_contract_number_names_the_record() -> None:
    writer = writer_for("fixed", "p-1", "f", date(2026, 3, 2), 1, ["contract_number", "customer_state"])
    with pytest.raises(FieldOverflowError, match=r"record 1 \(contract_number TW2602270003\): field 'customer_state'"):
        list(writer.rows([("TW2602270003", "TEXAS")]))


def test_a_header_value_too_long_names_the_header() -> None:
    writer = writer_for("fixed", "p-1", "f" * 41, date(2026, 3, 2), 1, ["contract_number"])
    with pytest.raises(FieldOverflowError, match="header record: field 'feed' has 41 characters"):
        writer.header()


def test_a_sequence_past_999_is_an_error_not_a_wider_header() -> None:
    writer = writer_for("fixed", "p-1", "f", date(2026, 3, 2), 1000, ["contract_number"])
    with pytest.raises(FieldOverflowError, match="'sequence'"):
        writer.header()


@pytest.mark.parametrize("value", ["two\nlines", "carriage\rreturn", "line\u2028separator"])
def test_a_line_break_inside_a_value_is_an_error(value: str) -> None:
    writer = writer_for("fixed", "p-1", "f", date(2026, 3, 2), 1, ["contract_number", "customer_last_name"])
    with pytest.raises(FieldContentError, match="'customer_last_name'"):
        list(writer.rows([("C1", value)]))
