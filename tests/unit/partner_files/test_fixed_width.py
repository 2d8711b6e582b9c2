"""Fixed-width files: H / D / T records, ASCII, every line the same number of bytes, and no value ever stops a file."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from function_app.domain.delivery.fields import FIELDS, MONEY_FIELDS
from function_app.domain.delivery.formats import FixedWidthWriter, writer_for
from function_app.domain.delivery.records import PiiLevel
from tests.unit.partner_files.facts import sample_facts
from tests.unit.partner_files.writing import file_bytes, write

LENDER = ["record_type", "journal_position", "contract_number", "customer_last_name", "retail_price", "cancel_date",
          "customer_refund"]


def lines(written: bytes) -> list[str]:
    text = written.decode("ascii")
    assert text.endswith("\n")
    return text[:-1].split("\n")


@pytest.mark.parametrize(
    "fields",
    [list(FIELDS), LENDER, ["contract_number"], sorted(MONEY_FIELDS), ["customer_last_name", "vin"]],
    ids=["all", "lender", "header-longest", "trailer-longest", "names"],
)
def test_every_line_has_the_same_length_in_bytes(fields: list[str]) -> None:
    written = file_bytes("fixed", sample_facts(), fields, PiiLevel.FULL)
    assert written.isascii()
    assert [line[:1] for line in written.split(b"\n")[:-1]] == [b"H", *[b"D"] * 7, b"T"]
    assert len({len(line) for line in written.split(b"\n")[:-1]}) == 1


def test_the_line_is_as_long_as_the_longest_of_header_detail_and_trailer() -> None:
    def length(fields: list[str]) -> int:
        return FixedWidthWriter("p-1", "f", date(2026, 3, 2), 1, fields).line_length

    assert length(list(FIELDS)) == 1 + sum(field.width for field in FIELDS.values())
    assert length(["contract_number"]) == 1 + 40 + 40 + 8 + 6
    assert length(sorted(MONEY_FIELDS)) == 1 + 10 + 19 * len(MONEY_FIELDS)


def test_header_detail_and_trailer_layouts() -> None:
    writer = writer_for("fixed", "first-prairie", "contracts", date(2026, 3, 2), 7, LENDER)
    header, *details, trailer = lines(write(writer, sample_facts(), LENDER, PiiLevel.FULL))
    assert header.rstrip() == "Hfirst-prairie" + " " * 27 + "contracts" + " " * 31 + "20260302" + "000007"
    cancelled = details[3]
    assert cancelled[:21] == "DCONTRACT_CANCELLED  "
    assert cancelled[121:141] == "GAP2505310007       "
    assert cancelled[141:191] == "Smith, Jr.".ljust(50)
    assert cancelled[191:] == "      895.00" + "20260220" + "      683.37"
    assert trailer.rstrip() == "T0000000007" + "9379.49".rjust(19) + "683.37".rjust(19)


def test_letters_outside_ascii_are_transliterated_and_others_become_a_question_mark() -> None:
    non_latin = sample_facts()[-1]
    fields = ["customer_first_name", "customer_last_name", "vehicle_make"]
    line = lines(file_bytes("fixed", [non_latin], fields, PiiLevel.FULL))[1]
    assert line[1:51] == "Zoe".ljust(50)
    assert line[51:101] == "???".ljust(50)
    assert line[101:141] == "Skoda".ljust(40)


@pytest.mark.parametrize(
    ("value", "written"),
    [("two\nlines", "two lines"), ("carriage\rreturn", "carriage return"), ("line\u2028break", "line break"),
     ("para\u2029graph", "para graph"), ("tab\tbed", "tab bed"), ("nul\x00l", "nul l"), ("next\x85line", "next line"),
     ("zero\u200dwidth", "zerowidth"), ("soft\u00adhyphen", "softhyphen"), ("\ufeffbom", "bom")],
)
def test_control_and_format_characters_never_reach_a_line(value: str, written: str) -> None:
    writer = FixedWidthWriter("p-1", "f", date(2026, 3, 2), 1, ["contract_number", "customer_last_name"])
    detail = b"".join(writer.rows([("C1", value)]))
    assert detail.count(b"\n") == 1 and detail.endswith(b"\n")
    assert len(detail) == writer.line_length + 1
    assert detail[21:71] == written.ljust(50).encode("ascii")
    assert writer.overflows == (0, [])


def test_empty_cells_are_spaces_and_negative_amounts_keep_their_sign() -> None:
    writer = FixedWidthWriter("p-1", "f", date(2026, 3, 2), 1, ["cancel_date", "dealer_chargeback", "term_miles"])
    detail = b"".join(writer.rows([(None, Decimal("-5.00"), None)])).decode()
    assert detail == "D" + " " * 8 + "       -5.00" + " " * 7 + " " * (writer.line_length - 28) + "\n"
    assert writer.control_totals == {"dealer_chargeback": "-5.00"}




def test_a_value_too_long_fills_its_field_with_stars_names_the_record_and_the_field_and_the_file_goes_on() -> None:
    facts = sample_facts()
    long_model = {**facts[1].data["contract"]["vehicle"], "model": "Camry Hybrid XSE Nightshade Edition Premium AWD"}
    too_long = replace(facts[1], data={"contract": {**facts[1].data["contract"], "vehicle": long_model}})
    fields = ["journal_position", "contract_number", "vehicle_model"]
    writer = writer_for("fixed", "p-1", "f", date(2026, 3, 2), 1, fields)
    written = lines(write(writer, [facts[0], too_long, facts[2]], fields, PiiLevel.FULL))
    assert len(written) == 5 and len({len(line) for line in written}) == 1
    assert written[1][121:161] == "Camry".ljust(40)
    assert written[2][121:161] == "*" * 40
    count, notes = writer.overflows
    assert count == 1 and len(notes) == 1
    assert "record 2" in notes[0] and facts[1].position in notes[0] and "VSC2501150001" in notes[0]
    assert "'vehicle_model'" in notes[0] and "40 bytes" in notes[0]
    assert "Nightshade" not in notes[0]


def test_a_long_transliteration_falls_back_to_one_character_for_each_so_a_50_character_name_fits() -> None:
    writer = writer_for("fixed", "p-1", "f", date(2026, 3, 2), 1, ["customer_last_name", "customer_first_name"])
    detail = b"".join(writer.rows([("ß" * 50, "Straße")])).decode("ascii")
    assert detail[1:51] == "s" * 50
    assert detail[51:101] == "Strasse".ljust(50)
    assert writer.overflows == (0, [])


def test_a_header_value_too_long_is_starred_and_reported() -> None:
    writer = FixedWidthWriter("p-1", "f" * 41, date(2026, 3, 2), 1, ["contract_number"])
    header = writer.header().decode("ascii")
    assert header[41:81] == "*" * 40 and len(header) == writer.line_length + 1
    assert writer.overflows == (1, ["header record: field 'feed' does not fit its 40 bytes"])


def test_a_sequence_past_999_fits_the_header() -> None:
    writer = writer_for("fixed", "p-1", "f", date(2026, 3, 2), 2880, ["contract_number"])
    assert writer.header().decode("ascii")[89:95] == "002880"
    assert writer.overflows == (0, [])


def test_dates_before_the_year_1000_keep_eight_digits() -> None:
    writer = writer_for("fixed", "p-1", "f", date(5, 1, 2), 1, ["sale_date"])
    detail = b"".join(writer.rows([(date(999, 12, 31),)])).decode("ascii")
    assert writer.header().decode("ascii")[81:89] == "00050102"
    assert detail[1:9] == "09991231"


def test_amounts_beyond_28_digits_are_totalled_exactly() -> None:
    huge = Decimal("9" * 34 + ".99")
    writer = writer_for("csv", "p-1", "f", date(2026, 3, 2), 1, ["claim_paid_amount"])
    list(writer.rows([(huge,), (Decimal("0.01"),)]))
    assert writer.control_totals == {"claim_paid_amount": "1" + "0" * 34 + ".00"}
