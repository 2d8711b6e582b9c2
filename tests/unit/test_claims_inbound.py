"""Inbound claims files (CLAIMS-INBOUND.md): reading, column rules, row decisions, results file, manifest."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from function_app.domain.claims.claims_file import ClaimsReader, read_claims, row_total
from function_app.domain.claims.coverage import coverage_of
from function_app.domain.claims.csv_lines import MAX_LINE_BYTES, split_cells
from function_app.domain.claims.decisions import ClaimDecision, decide_claim
from function_app.domain.claims.manifest import check_manifest, parse_manifest
from function_app.domain.claims.origin import ClaimOrigin, ClaimRecord
from function_app.domain.claims.reasons import ClaimReason, ClaimsFileError
from function_app.domain.claims.results import ResultsWriter
from function_app.domain.claims.rows import COLUMNS, ClaimRow, RowProblem, content_hash
from function_app.domain.kernel.catalogue import RefundMethod
from function_app.domain.kernel.feedback import Payee, Refund, Status
from function_app.domain.realtime.contracts import Cancellation, ContractRecord, ContractStatus
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission
from tests.events import example_cancellation, example_contract

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "claims"
HEADER = ",".join(COLUMNS).encode()
GOOD = {
    "claim_number": "CLM-000001",
    "contract_number": "VSC2501150001",
    "repair_order": "RO-778812",
    "failure_date": "2025-06-10",
    "odometer": "30500",
    "labor_amount": "350.00",
    "parts_amount": "289.99",
    "tax_amount": "51.20",
    "total_amount": "691.19",
    "repair_facility_code": "RF-TX-0042",
    "cause": "Water pump failure",
}
FILE_SHA = "ab" * 32
ADMIN = "ADM-01"


def line(**changes: str) -> bytes:
    return ",".join({**GOOD, **changes}.values()).encode()


def read(*lines: bytes) -> list[ClaimRow | RowProblem]:
    return list(read_claims([HEADER, *lines]))


def one(*lines: bytes) -> ClaimRow | RowProblem:
    [item] = read(*lines)
    return item


def problem(*lines: bytes) -> RowProblem:
    item = one(*lines)
    assert isinstance(item, RowProblem), item
    return item


def claim(**changes: str) -> ClaimRow:
    item = one(line(**changes))
    assert isinstance(item, ClaimRow), item
    return item


def found(item: RowProblem) -> set[tuple[str, str | None]]:
    return {(reason.code.value, reason.field) for reason in item.reasons}


def active_contract(**changes: object) -> ContractRecord:
    data = {**example_contract()["data"], **changes}
    submission = ContractSubmission.model_validate(data)
    return ContractRecord(data["contract_number"], ContractStatus.ACTIVE, submission, revision=1, dealer_code="D10442")


def cancelled_contract(cancel_date: str = "2026-03-02") -> ContractRecord:
    request = CancellationRequest.model_validate({**example_cancellation()["data"], "cancel_date": cancel_date})
    nil = Decimal("0.00")
    refund = Refund(RefundMethod.PRO_RATA, Decimal("1.000000"), 0, 0, nil, nil, nil, nil, nil, nil, Payee.CUSTOMER)
    cancellation = Cancellation("c" * 64, "x", "urn:dealer:D10442", request, refund)
    return replace(active_contract(), status=ContractStatus.CANCELLED, cancellation=cancellation)


ACTIVE = active_contract()


def decide(
    row: ClaimRow,
    contract: ContractRecord | None = ACTIVE,
    earlier: ClaimRecord | None = None,
    *,
    administrator: str = ADMIN,
    same_origin: bool = False,
) -> ClaimDecision:
    return decide_claim(row, contract, administrator, earlier, same_origin=same_origin)


# --- reading ---------------------------------------------------------------------------------------------


def test_a_good_row_becomes_a_typed_claim_row_numbered_from_1() -> None:
    assert claim() == ClaimRow(
        row=1,
        claim_number="CLM-000001",
        contract_number="VSC2501150001",
        repair_order="RO-778812",
        failure_date=date(2025, 6, 10),
        odometer=30500,
        labor_amount=Decimal("350.00"),
        parts_amount=Decimal("289.99"),
        tax_amount=Decimal("51.20"),
        total_amount=Decimal("691.19"),
        repair_facility_code="RF-TX-0042",
        cause="Water pump failure",
    )


def test_line_ends_may_be_lf_or_crlf_kept_or_already_removed() -> None:
    items = list(read_claims([HEADER + b"\r\n", line() + b"\r\n", line(claim_number="CLM-000002") + b"\n",
                              line(claim_number="CLM-000003") + b"\r", line(claim_number="CLM-000004")]))
    assert [(i.row, i.claim_number) for i in items if isinstance(i, ClaimRow)] == [
        (1, "CLM-000001"), (2, "CLM-000002"), (3, "CLM-000003"), (4, "CLM-000004")]


def test_trailing_blank_lines_are_ignored_but_a_blank_line_before_data_is_a_row() -> None:
    assert len(read(line(), b"", b"\r\n", b"")) == 1
    _, blank, last = read(line(), b"", line(claim_number="CLM-000002"))
    assert isinstance(blank, RowProblem) and blank.row == 2 and "blank line" in blank.reasons[0].message
    assert isinstance(last, ClaimRow) and last.row == 3


def test_a_file_with_only_a_header_has_no_rows_and_an_empty_file_is_refused() -> None:
    assert read() == []
    with pytest.raises(ClaimsFileError, match="empty"):
        list(read_claims([]))


# --- header ----------------------------------------------------------------------------------------------


def header_error(header: bytes) -> ClaimsFileError:
    with pytest.raises(ClaimsFileError) as raised:
        list(read_claims([header, line()]))
    assert raised.value.code is ClaimReason.SCHEMA_INVALID
    return raised.value


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (",".join(COLUMNS[:-1]), "missing columns: cause"),
        (",".join((*COLUMNS[:3], *COLUMNS[4:])), "missing columns: failure_date"),
        (",".join(COLUMNS[1:]), "missing columns: claim_number"),
        (",".join((*COLUMNS, "notes")), "more than 11 columns"),
        (",".join((*COLUMNS[:-1], "notes")), "unexpected columns: 'notes'"),
        (",".join((COLUMNS[1], COLUMNS[0], *COLUMNS[2:])), "columns out of order"),
        (",".join((*COLUMNS[:-1], "claim_number")), "repeated columns: claim_number"),
        (",".join(c.upper() for c in COLUMNS), "missing columns"),
        (",".join(f" {c}" for c in COLUMNS), "unexpected columns"),
    ],
)
def test_the_header_must_be_exactly_the_spec_columns_in_order(header: str, says: str) -> None:
    error = header_error(header.encode())
    assert says in error.message
    assert "expected exactly claim_number,contract_number," in error.message


def test_a_quoted_header_and_a_byte_order_mark_are_accepted() -> None:
    quoted = ",".join(f'"{c}"' for c in COLUMNS).encode()
    assert len(list(read_claims([b"\xef\xbb\xbf" + quoted + b"\r\n", line()]))) == 1


def test_a_header_with_10000_columns_is_refused_quickly_without_splitting_it_all() -> None:
    header = b",".join(b"c" for _ in range(10_000))
    started = time.perf_counter()
    error = header_error(header)
    assert time.perf_counter() - started < 0.5
    assert "more than 11 columns" in error.message
    assert len(error.message) < 400
    assert len(split_cells(header.decode(), 12)) == 12  # stops after 12 cells: the other 9,988 are never built


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (b"c" * (MAX_LINE_BYTES + 1), "longer than 65536 bytes"),
        (HEADER.replace(b"cause", b"caus\xe9"), "not UTF-8"),
        (HEADER.replace(b"cause", b"cau\0se"), "NUL byte"),
        (HEADER.replace(b"cause", b'"cause'), "unbalanced quote"),
        (b"", "blank line"),
    ],
)
def test_a_header_line_that_is_not_text_is_refused(header: bytes, says: str) -> None:
    assert says in header_error(header).message


def test_the_file_error_names_its_code() -> None:
    error = header_error(b"x")
    assert str(error).startswith("SCHEMA_INVALID: header row:")


# --- column rules ----------------------------------------------------------------------------------------


def amounts(labor: str = "350.00", parts: str = "289.99", tax: str = "51.20", total: str = "691.19") -> dict[str, str]:
    return {"labor_amount": labor, "parts_amount": parts, "tax_amount": tax, "total_amount": total}


VALID_CELLS: list[dict[str, str]] = [
    {"claim_number": "CLM-01"},
    {"claim_number": "A" * 20},
    {"claim_number": "123456"},
    {"claim_number": "------"},
    {"contract_number": "GAP-2501"},
    {"repair_order": "R"},
    {"repair_order": "R" * 40},
    {"repair_order": "RO 77/88, bay 3".join('""')},
    {"failure_date": "2025-01-15"},
    {"failure_date": "2024-02-29"},
    {"odometer": "0"},
    {"odometer": "9999999"},
    {"odometer": "0030500"},
    amounts("0.00", "0.00", "0.00", "0.00"),
    amounts("999999999999999.99", "0.00", "0.00", "999999999999999.99"),
    amounts("0.01", "0.02", "0.03", "0.06"),
    {"repair_facility_code": "R"},
    {"repair_facility_code": "RF-" + "9" * 17},
    {"cause": ""},
    {"cause": "c" * 200},
    {"cause": "é" * 200},
    {"cause": "=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")".join('""')},
]


@pytest.mark.parametrize("changes", VALID_CELLS, ids=lambda c: ",".join(f"{k}={v[:12]}" for k, v in c.items()))
def test_valid_cells_make_a_claim(changes: dict[str, str]) -> None:
    assert isinstance(one(line(**changes)), ClaimRow)


INVALID_CELLS: list[tuple[str, str]] = [
    ("claim_number", ""),
    ("claim_number", "CLM01"),
    ("claim_number", "C" * 21),
    ("claim_number", "clm-000001"),
    ("claim_number", "CLM 000001"),
    ("claim_number", "CLM_000001"),
    ("claim_number", "CLM-000001\u00a0"),
    ("claim_number", "ＣＬＭ-000001"),
    ("contract_number", ""),
    ("contract_number", "VSC25"),
    ("contract_number", "vsc2501150001"),
    ("contract_number", "VSC.2501150001"),
    ("repair_order", ""),
    ("repair_order", "   "),
    ("repair_order", "R" * 41),
    ("failure_date", ""),
    ("failure_date", "2025-6-10"),
    ("failure_date", "2025-02-30"),
    ("failure_date", "2025-13-01"),
    ("failure_date", "0000-01-01"),
    ("failure_date", "10/06/2025"),
    ("failure_date", "20250610"),
    ("failure_date", "2025-06-10T00:00:00"),
    ("failure_date", " 2025-06-10"),
    ("failure_date", "٢٠٢٥-٠٦-١٠"),
    ("odometer", ""),
    ("odometer", "-1"),
    ("odometer", "+5"),
    ("odometer", "1.5"),
    ("odometer", "1e5"),
    ("odometer", "10000000"),
    ("odometer", " 30500"),
    ("odometer", "３０５００"),
    ("repair_facility_code", ""),
    ("repair_facility_code", "R" * 21),
    ("repair_facility_code", "rf-tx-0042"),
    ("repair_facility_code", "RF TX"),
    ("cause", "c" * 201),
]


@pytest.mark.parametrize(("column", "value"), INVALID_CELLS)
def test_an_invalid_cell_is_schema_invalid_for_its_column(column: str, value: str) -> None:
    item = problem(line(**{column: value}))
    assert found(item) == {("SCHEMA_INVALID", column)}
    assert item.reasons[0].message.startswith(f"{column}: ")


@pytest.mark.parametrize("column", ["labor_amount", "parts_amount", "tax_amount", "total_amount"])
@pytest.mark.parametrize("value", ["", "350", "350.0", "350.000", "-1.00", '"1,000.00"', "1e2", ".50", "3 50.00",
                                   "1000000000000000.00", "NaN", "٣٥٠.٠٠"])
def test_an_amount_is_a_non_negative_decimal_string_with_2_places(column: str, value: str) -> None:
    assert found(problem(line(**{column: value}))) == {("SCHEMA_INVALID", column)}


def test_the_total_must_be_the_sum_of_its_parts() -> None:
    item = problem(line(**amounts(total="691.20")))
    assert found(item) == {("AMOUNT_INCONSISTENT", "total_amount")}
    assert "691.19" in item.reasons[0].message
    assert isinstance(one(line(**amounts("1.10", "2.20", "3.30", "6.60"))), ClaimRow)


def test_the_sum_is_only_checked_when_every_amount_is_readable() -> None:
    assert found(problem(line(**amounts(tax="51.2", total="1.00")))) == {("SCHEMA_INVALID", "tax_amount")}


def test_every_problem_of_a_row_is_reported_together() -> None:
    item = problem(line(claim_number="clm", failure_date="2025-02-30", odometer="x", repair_order="",
                        cause="c" * 201, **amounts(total="1.00")))
    assert found(item) == {
        ("SCHEMA_INVALID", "claim_number"),
        ("SCHEMA_INVALID", "repair_order"),
        ("SCHEMA_INVALID", "failure_date"),
        ("SCHEMA_INVALID", "odometer"),
        ("SCHEMA_INVALID", "cause"),
        ("AMOUNT_INCONSISTENT", "total_amount"),
    }
    assert item.claim_number == "clm"


@pytest.mark.parametrize("cells", [10, 12, 1])
def test_a_row_must_have_as_many_cells_as_the_header(cells: int) -> None:
    values = [*GOOD.values(), "extra"][:cells]
    item = problem(",".join(values).encode())
    assert found(item) == {("SCHEMA_INVALID", None)}
    assert item.claim_number == "CLM-000001"
    assert "the header has 11" in item.reasons[0].message


def test_bad_rows_do_not_stop_the_good_ones() -> None:
    items = read(line(), b"garbage", line(claim_number="CLM-000003"), line(odometer="x"))
    assert [type(i).__name__ for i in items] == ["ClaimRow", "RowProblem", "ClaimRow", "RowProblem"]
    assert [i.row for i in items] == [1, 2, 3, 4]


# --- quoting ---------------------------------------------------------------------------------------------


def test_quoted_fields_may_hold_commas_and_doubled_quotes() -> None:
    row = claim(cause='"Pump, seal and ""gasket"" replaced"', repair_order='"RO,1"')
    assert (row.cause, row.repair_order) == ('Pump, seal and "gasket" replaced', "RO,1")


def test_any_field_may_be_quoted_and_an_empty_quoted_field_is_empty() -> None:
    quoted = ",".join(f'"{v}"' for v in {**GOOD, "cause": ""}.values()).encode()
    item = one(quoted)
    assert isinstance(item, ClaimRow) and item.cause == "" and item.odometer == 30500


def test_a_field_spanning_lines_is_not_supported() -> None:
    first, second = read(line(cause='"starts here'), b'and ends here"')
    assert isinstance(first, RowProblem) and isinstance(second, RowProblem)
    assert "unbalanced quote" in first.reasons[0].message
    assert "spanning lines are not supported" in first.reasons[0].message
    assert found(first) == found(second) == {("SCHEMA_INVALID", None)}


@pytest.mark.parametrize("cause", ['Pump "seal"', '"seal" pump', '"seal"x', ' "seal"', '"seal""'])
def test_stray_quotes_are_schema_invalid(cause: str) -> None:
    item = problem(line(cause=cause))
    assert found(item) == {("SCHEMA_INVALID", None)}
    assert "quot" in item.reasons[0].message


def test_a_lone_carriage_return_inside_a_line_is_text() -> None:
    assert claim(cause='"a\rb"').cause == "a\rb"


# --- hostile input ---------------------------------------------------------------------------------------


def test_a_line_over_64_kib_is_a_row_problem_and_the_file_goes_on() -> None:
    huge = line(cause="x" * 200_000)
    items = read(huge, line(claim_number="CLM-000002"))
    assert isinstance(items[0], RowProblem) and "longer than 65536 bytes" in items[0].reasons[0].message
    assert items[0].claim_number is None
    assert isinstance(items[1], ClaimRow) and items[1].row == 2


def test_a_line_of_exactly_64_kib_is_read() -> None:
    exact = line(cause="")
    padded = exact[: exact.rindex(b",") + 1] + b'"' + b"x" * (MAX_LINE_BYTES - len(exact) - 2) + b'"'
    assert len(padded) == MAX_LINE_BYTES
    assert found(problem(padded)) == {("SCHEMA_INVALID", "cause")}  # read, and too long a cause


def test_binary_garbage_is_a_row_problem() -> None:
    garbage = bytes(range(256)) * 3
    for chunk in garbage.split(b"\n"):
        items = read(chunk or b"x")
        assert all(isinstance(i, RowProblem) for i in items)


def test_latin_1_text_is_not_utf_8() -> None:
    item = problem(line(cause="Réparation pompe").decode().encode("latin-1"))
    assert found(item) == {("SCHEMA_INVALID", None)}
    assert "not UTF-8" in item.reasons[0].message


def test_nul_bytes_are_refused() -> None:
    item = problem(line(cause="pump\0failure"))
    assert "NUL" in item.reasons[0].message and item.claim_number is None


def test_formula_text_in_the_cause_is_kept_as_plain_text() -> None:
    assert claim(cause="=cmd|'/C calc'!A0").cause == "=cmd|'/C calc'!A0"


def test_an_echoed_claim_number_is_cut_to_40_characters() -> None:
    assert problem(line(claim_number="=" + "A" * 500)).claim_number == "=" + "A" * 39


# --- control values --------------------------------------------------------------------------------------


def test_control_values_count_data_lines_and_sum_the_readable_totals() -> None:
    reader = ClaimsReader()
    lines = [
        HEADER,
        line(),  # 691.19
        line(claim_number="bad", **amounts(total="10.00")),  # a bad row, a readable total: counted
        line(total_amount="1.5"),  # unreadable total: not summed
        b"a,b",  # wrong cell count: not summed
        b"\xff\xfe",  # not UTF-8: not summed
        b"",  # blank before data: a row
        line(**amounts("1.00", "0.00", "0.00", "1.00")),
        b"",  # trailing: not a row
    ]
    items = list(reader.read(lines))
    assert reader.record_count == len(items) == 7
    assert reader.total_amount == Decimal("702.19")
    assert str(reader.total_amount) == "702.19"


def test_row_total_is_one_lines_share_of_the_control_total() -> None:
    assert row_total(line() + b"\r\n") == Decimal("691.19")
    assert row_total(line(claim_number="bad")) == Decimal("691.19")
    for unread in (line(total_amount="1.5"), b"a,b", b"\xff", b"", line(cause="x" * 70_000)):
        assert row_total(unread) == Decimal("0.00")


def test_control_values_start_at_zero() -> None:
    reader = ClaimsReader()
    assert list(reader.read([HEADER])) == []
    assert (reader.record_count, str(reader.total_amount)) == (0, "0.00")


# --- content hash ----------------------------------------------------------------------------------------


def test_the_content_hash_ignores_the_row_number_and_nothing_else() -> None:
    row = claim()
    assert content_hash(row) == content_hash(replace(row, row=99)) == content_hash(claim())
    assert len(content_hash(row)) == 64
    for column, value in [("cause", "Water pump failure."), ("odometer", "30501"), ("repair_order", "RO-778813"),
                          ("failure_date", "2025-06-11"), ("repair_facility_code", "RF-TX-0043")]:
        assert content_hash(claim(**{column: value})) != content_hash(row), column
    assert content_hash(claim(**amounts("351.00", "288.99"))) != content_hash(row)


def test_the_content_hash_is_over_values_so_leading_zeros_do_not_count() -> None:
    assert content_hash(claim(odometer="0030500")) == content_hash(claim())


def test_the_content_hash_is_stable_across_releases() -> None:
    assert content_hash(claim()) == hashlib.sha256(
        b'{"cause":"Water pump failure","claim_number":"CLM-000001","contract_number":"VSC2501150001",'
        b'"failure_date":"2025-06-10","labor_amount":"350.00","odometer":30500,"parts_amount":"289.99",'
        b'"repair_facility_code":"RF-TX-0042","repair_order":"RO-778812","tax_amount":"51.20",'
        b'"total_amount":"691.19"}'
    ).hexdigest()


# --- row decisions ---------------------------------------------------------------------------------------


def codes(decision: ClaimDecision) -> tuple[str, ...]:
    return decision.codes


def test_a_covered_claim_on_the_partners_contract_is_accepted() -> None:
    assert decide(claim()) == ClaimDecision(Status.ACCEPTED)


def test_coverage_comes_from_the_contract_submission() -> None:
    coverage = coverage_of(ACTIVE)
    assert (coverage.effective, coverage.expiry, coverage.cancel_date, coverage.odometer_limit) == (
        date(2025, 1, 15), date(2030, 1, 15), None, 72_000)
    assert coverage_of(cancelled_contract()).cancel_date == date(2026, 3, 2)


@pytest.mark.parametrize("contract", [None, ContractRecord.empty("VSC2501150001")])
def test_no_contract_or_one_not_yet_arrived_is_contract_not_found(contract: ContractRecord | None) -> None:
    decision = decide(claim(), contract)
    assert (decision.status, codes(decision)) == (Status.REJECTED, ("CONTRACT_NOT_FOUND",))


def test_another_administrators_contract_is_answered_exactly_as_one_that_does_not_exist() -> None:
    """CLAIMS-INBOUND.md: an administrator learns nothing of others' contracts, not even that they exist."""
    row = claim(failure_date="2024-01-01", odometer="999999")
    decision = decide(row, administrator="ADM-02")
    assert decision == decide(row, None, administrator="ADM-02")
    assert (decision.status, codes(decision)) == (Status.REJECTED, ("CONTRACT_NOT_FOUND",))
    assert "2025-01-15" not in decision.reasons[0].message and "72000" not in decision.reasons[0].message


def test_an_unknown_contract_is_not_found_whoever_asks() -> None:
    assert codes(decide(claim(), None, administrator="ADM-02")) == ("CONTRACT_NOT_FOUND",)


@pytest.mark.parametrize(
    ("failure_date", "covered"),
    [
        ("2025-01-14", False),
        ("2025-01-15", True),
        ("2030-01-14", True),
        ("2030-01-15", False),
        ("2031-06-01", False),
    ],
)
def test_the_failure_must_fall_from_the_effective_date_to_before_expiry(failure_date: str, covered: bool) -> None:
    decision = decide(claim(failure_date=failure_date))
    assert codes(decision) == (() if covered else ("NOT_COVERED",))
    assert all(r.field == "failure_date" for r in decision.reasons)


def test_expiry_counts_calendar_months_from_the_effective_date() -> None:
    contract = active_contract(sale_date="2024-02-29", effective_date="2024-02-29", term_months=12)
    assert codes(decide(claim(failure_date="2025-02-27"), contract)) == ()
    assert codes(decide(claim(failure_date="2025-02-28"), contract)) == ("NOT_COVERED",)


@pytest.mark.parametrize(("failure_date", "covered"), [("2026-03-02", True), ("2026-03-03", False)])
def test_a_cancelled_contract_covers_up_to_its_cancel_date(failure_date: str, covered: bool) -> None:
    decision = decide(claim(failure_date=failure_date), cancelled_contract())
    assert (decision.status, codes(decision)) == (
        (Status.ACCEPTED, ()) if covered else (Status.REJECTED, ("NOT_COVERED",)))


@pytest.mark.parametrize(("odometer", "covered"), [("72000", True), ("72001", False), ("11999", True)])
def test_the_odometer_must_not_pass_sale_odometer_plus_term_miles(odometer: str, covered: bool) -> None:
    decision = decide(claim(odometer=odometer))
    assert codes(decision) == (() if covered else ("NOT_COVERED",))
    if not covered:
        assert decision.reasons[0].field == "odometer" and "72000" in decision.reasons[0].message


def test_without_term_miles_any_odometer_is_covered() -> None:
    assert codes(decide(claim(odometer="9999999"), active_contract(term_miles=None))) == ()


def test_every_coverage_problem_is_named() -> None:
    decision = decide(claim(failure_date="2026-04-01", odometer="80000"), cancelled_contract())
    assert [(r.code.value, r.field) for r in decision.reasons] == [
        ("NOT_COVERED", "failure_date"), ("NOT_COVERED", "odometer")]


ELSEWHERE = ClaimOrigin("cd" * 32, 7)


def earlier_claim(row: ClaimRow, *, at: ClaimOrigin = ELSEWHERE, content: str | None = None) -> ClaimRecord:
    return ClaimRecord(row.claim_number, content or content_hash(row), at)


def test_the_same_claim_accepted_before_from_another_file_is_a_duplicate() -> None:
    row = claim()
    decision = decide(row, earlier=earlier_claim(row))
    assert (decision.status, codes(decision)) == (Status.DUPLICATE, ("DUPLICATE",))


def test_the_same_claim_again_later_in_the_same_file_is_a_duplicate() -> None:
    first = claim()
    again = replace(first, row=5)
    assert decide(again, earlier=earlier_claim(first, at=ClaimOrigin(FILE_SHA, 1))).status is Status.DUPLICATE


def test_a_retry_of_the_same_file_and_row_is_accepted_again() -> None:
    row = claim()
    decision = decide(row, earlier=earlier_claim(row, at=ClaimOrigin(FILE_SHA, 1)), same_origin=True)
    assert decision == ClaimDecision(Status.ACCEPTED)


def test_a_retry_is_accepted_again_even_if_the_contract_was_cancelled_in_between() -> None:
    row = claim(failure_date="2026-06-01")
    assert decide(row).status is Status.ACCEPTED
    after = decide(row, cancelled_contract(), earlier_claim(row, at=ClaimOrigin(FILE_SHA, 1)), same_origin=True)
    assert after.status is Status.ACCEPTED


def test_a_retry_still_needs_the_partner_to_administer_the_contract() -> None:
    row = claim()
    decision = decide(row, earlier=earlier_claim(row), administrator="ADM-02", same_origin=True)
    assert codes(decision) == ("CONTRACT_NOT_FOUND",)


@pytest.mark.parametrize("same_origin", [False, True])
def test_the_same_claim_number_with_other_content_is_a_conflict(same_origin: bool) -> None:
    row = claim()
    decision = decide(row, earlier=earlier_claim(row, content="0" * 64), same_origin=same_origin)
    assert (decision.status, codes(decision)) == (Status.REJECTED, ("CLAIM_CONFLICT",))


def test_contract_rules_come_before_duplicates() -> None:
    row = claim(failure_date="2031-01-01")
    assert codes(decide(row, None, earlier_claim(row))) == ("CONTRACT_NOT_FOUND",)
    assert codes(decide(row, earlier=earlier_claim(row))) == ("NOT_COVERED",)
    assert codes(decide(row, earlier=earlier_claim(row), administrator="ADM-09")) == ("CONTRACT_NOT_FOUND",)


def test_a_contract_or_earlier_claim_for_another_number_is_a_caller_error() -> None:
    row = claim()
    with pytest.raises(ValueError, match="names contract"):
        decide(row, ContractRecord.empty("OTHER-000001"))
    with pytest.raises(ValueError, match="is claim"):
        decide(row, earlier=ClaimRecord("CLM-999999", content_hash(row), ClaimOrigin(FILE_SHA, 1)))


def test_a_cancelled_contract_without_its_cancel_date_is_corrupt_state() -> None:
    broken = replace(cancelled_contract(), cancellation=None)
    with pytest.raises(ValueError, match="holds no cancel_date"):
        decide(claim(), broken)


# --- results file ----------------------------------------------------------------------------------------


def test_the_results_header_and_lines() -> None:
    writer = ResultsWriter()
    assert writer.header() == b"row,claim_number,status,reasons\n"
    assert writer.line(1, "CLM-000001", "ACCEPTED", []) == b"1,CLM-000001,ACCEPTED,\n"
    assert writer.line(2, "CLM-000002", "REJECTED", ["SCHEMA_INVALID", "AMOUNT_INCONSISTENT", "SCHEMA_INVALID"]) == (
        b"2,CLM-000002,REJECTED,SCHEMA_INVALID;AMOUNT_INCONSISTENT\n")
    assert writer.line(3, None, "REJECTED", ["SCHEMA_INVALID"]) == b"3,,REJECTED,SCHEMA_INVALID\n"
    assert writer.line(4, "CLM-000001", Status.DUPLICATE, [ClaimReason.DUPLICATE]) == (
        b"4,CLM-000001,DUPLICATE,DUPLICATE\n")
    assert (writer.accepted, writer.rejected, writer.duplicate, writer.record_count) == (1, 2, 1, 4)
    assert writer.counts == {"ACCEPTED": 1, "REJECTED": 2, "DUPLICATE": 1}


def test_row_0_answers_for_a_file_refused_whole_and_is_not_counted_as_a_row() -> None:
    writer = ResultsWriter()
    assert writer.file_line(["FILE_CONTROL_MISMATCH"]) == b"0,,REJECTED,FILE_CONTROL_MISMATCH\n"
    assert writer.line(0, None, "REJECTED", ["SCHEMA_INVALID"]) == b"0,,REJECTED,SCHEMA_INVALID\n"
    assert writer.counts == {"ACCEPTED": 0, "REJECTED": 0, "DUPLICATE": 0}


@pytest.mark.parametrize(("row", "status", "reasons"), [
    (-1, "REJECTED", []), (0, "ACCEPTED", []), (0, "DUPLICATE", []), (1, "SUBMITTED", []),
    (1, "REJECTED", ["MALFORMED"]), (1, "REJECTED", ["A;B"])])
def test_the_writer_refuses_what_the_results_file_cannot_say(row: int, status: str, reasons: list[str]) -> None:
    with pytest.raises(ValueError):
        ResultsWriter().line(row, "CLM-000001", status, reasons)


@pytest.mark.parametrize(
    ("claim_number", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tX", "\ufffdX"),
        ("\rX", "\ufffdX"),
        ('=HYPERLINK("http://evil","x")', '"\'=HYPERLINK(""http://evil"",""x"")"'),
        ("=cmd|'/C calc'!A0", "'=cmd|'/C calc'!A0"),
        ("a,b", '"a,b"'),
        ('a"b', '"a""b"'),
        ("a\nb\r\nc", "a\ufffdb\ufffd\ufffdc"),
        ("a\u2028b\x85c\x0bd", "a\ufffdb\ufffdc\ufffdd"),
        ("\u202eCLM", "\ufffdCLM"),
        ("=" + "A" * 100, "'=" + "A" * 39),
    ],
)
def test_a_claim_number_is_inert_in_the_results_file(claim_number: str, cell: str) -> None:
    written = ResultsWriter().line(7, claim_number, "REJECTED", ["SCHEMA_INVALID"])
    assert written == f"7,{cell},REJECTED,SCHEMA_INVALID\n".encode()
    text = written.decode()
    assert len(text.splitlines()) == 1 and text.endswith("\n")


def test_formula_claim_numbers_from_an_upload_stay_inert_end_to_end() -> None:
    upload = line(claim_number='"=HYPERLINK(""http://evil"",""x"")"', cause="@SUM(A1:A9)")
    [item] = read(upload)
    assert isinstance(item, RowProblem)
    written = ResultsWriter().problem_line(item)
    assert written == b'1,"\'=HYPERLINK(""http://evil"",""x"")",REJECTED,SCHEMA_INVALID\n'


# --- whole file, deterministic ---------------------------------------------------------------------------


def upload() -> list[bytes]:
    """A file with a bit of everything, as the caller streams it (split on \\n)."""
    return (b"\n".join([
        HEADER,
        line(),
        line(claim_number="CLM-000002", failure_date="2031-01-01"),
        line(claim_number="CLM-000003", contract_number="GAP2501150009"),
        line(claim_number="CLM-000004", contract_number="VSC2501150002"),
        line(),
        line(cause="a different cause"),
        line(claim_number="CLM-000005", **amounts(total="691.18")),
        line(claim_number='"=1+2,3"'),
        "x,Réparation".encode("latin-1"),
        line(claim_number="CLM-000006", cause="x" * 70_000),
        line(claim_number="CLM-000007", cause='"unclosed'),
        b"",
    ]) + b"\n").split(b"\n")


def process(lines: Iterable[bytes], file_sha: str, registry: dict[str, ClaimRecord]) -> tuple[bytes, ResultsWriter]:
    """What the service does with this module: read, decide against state, record accepted claims, write."""
    contracts = {"VSC2501150001": ACTIVE,
                 "VSC2501150002": active_contract(contract_number="VSC2501150002", administrator="ADM-02")}
    writer = ResultsWriter()
    out = [writer.header()]
    for item in read_claims(lines):
        if isinstance(item, RowProblem):
            out.append(writer.problem_line(item))
            continue
        earlier = registry.get(item.claim_number)
        here = ClaimOrigin(file_sha, item.row)
        decision = decide_claim(item, contracts.get(item.contract_number), ADMIN, earlier,
                                same_origin=earlier is not None and earlier.origin == here)
        if decision.status is Status.ACCEPTED and earlier is None:
            registry[item.claim_number] = ClaimRecord(item.claim_number, content_hash(item), here)
        out.append(writer.decision_line(item, decision))
    return b"".join(out), writer


def test_a_whole_file_gives_the_golden_results_byte_for_byte() -> None:
    results, writer = process(upload(), FILE_SHA, {})
    golden = GOLDEN / "results.csv"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(results)
    assert results == golden.read_bytes()
    assert (writer.accepted, writer.rejected, writer.duplicate) == (1, 9, 1)


def test_processing_a_file_twice_gives_the_same_results_and_applies_nothing_new() -> None:
    registry: dict[str, ClaimRecord] = {}
    first, _ = process(upload(), FILE_SHA, registry)
    recorded = dict(registry)
    second, _ = process(upload(), FILE_SHA, registry)
    assert first == second and registry == recorded


def test_a_crash_half_way_and_a_retry_give_the_same_results() -> None:
    registry: dict[str, ClaimRecord] = {}
    whole, _ = process(upload(), FILE_SHA, {})
    process(upload()[:3], FILE_SHA, registry)  # crashed after row 2
    retried, _ = process(upload(), FILE_SHA, registry)
    assert retried == whole


def test_the_same_rows_in_another_file_are_duplicates() -> None:
    registry: dict[str, ClaimRecord] = {}
    process(upload(), FILE_SHA, registry)
    results, writer = process(upload(), "ef" * 32, registry)
    assert b"1,CLM-000001,DUPLICATE,DUPLICATE\n" in results
    assert writer.accepted == 0


# --- manifest --------------------------------------------------------------------------------------------


SHA = hashlib.sha256(b"the file").hexdigest()
MANIFEST: dict[str, object] = {"record_count": 3, "total_amount": "691.19", "sha256": SHA}


def mismatches(**changes: object) -> list[str]:
    manifest = {k: v for k, v in {**MANIFEST, **changes}.items() if v is not None}
    return check_manifest(manifest, record_count=3, total_amount=Decimal("691.19"), sha256=SHA)


def test_a_matching_manifest_has_no_mismatches() -> None:
    assert mismatches() == []
    assert mismatches(sha256=SHA.upper(), total_amount="691.19", extra="ignored") == []


def test_each_mismatch_names_the_field_the_manifest_value_and_the_actual_one() -> None:
    assert mismatches(record_count=4) == ["record_count: manifest 4, actual 3"]
    assert mismatches(total_amount="691.20") == ["total_amount: manifest '691.20', actual 691.19"]
    assert mismatches(sha256="0" * 64) == [f"sha256: manifest {'0' * 64}, actual {SHA}"]


def test_every_mismatch_is_reported() -> None:
    assert [m.split(":")[0] for m in mismatches(record_count=0, total_amount="0.00", sha256="1" * 64)] == [
        "record_count", "total_amount", "sha256"]


def test_missing_fields_are_mismatches() -> None:
    assert check_manifest({}, record_count=3, total_amount=Decimal("691.19"), sha256=SHA) == [
        "record_count: missing from the manifest; actual 3",
        "total_amount: missing from the manifest; actual 691.19",
        f"sha256: missing from the manifest; actual {SHA}",
    ]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("record_count", "3", "'3' (str) is not an integer"),
        ("record_count", True, "True (bool) is not an integer"),
        ("record_count", 3.0, "3.0 (float) is not an integer"),
        ("record_count", None, "missing"),
        ("total_amount", 691.19, "691.19 (float) is not a decimal string with 2 places"),
        ("total_amount", "691.2", "'691.2' (str) is not a decimal string"),
        ("total_amount", "-691.19", "is not a decimal string"),
        ("total_amount", "691,19", "is not a decimal string"),
        ("total_amount", ["691.19"], "(list) is not a decimal string"),
        ("sha256", 12, "12 (int) is not 64 hex digits"),
        ("sha256", "xyz", "'xyz' (str) is not 64 hex digits"),
        ("sha256", SHA + "0", "is not 64 hex digits"),
        ("sha256", {"v": SHA}, "(dict) is not 64 hex digits"),
    ],
)
def test_wrong_types_are_mismatches(field: str, value: object, says: str) -> None:
    [mismatch] = mismatches(**{field: value})
    assert mismatch.startswith(f"{field}: ") and says in mismatch


def test_a_hostile_manifest_value_is_not_echoed_whole() -> None:
    [mismatch] = mismatches(total_amount="9" * 100_000)
    assert len(mismatch) < 200


def test_the_manifest_is_checked_against_the_readers_control_values() -> None:
    data = upload()
    reader = ClaimsReader()
    items = list(reader.read(data))
    raw = b"\n".join(data)
    manifest = {"record_count": len(items), "total_amount": "5529.51",
                "sha256": hashlib.sha256(raw).hexdigest()}
    found_total = reader.total_amount
    assert check_manifest(manifest, record_count=reader.record_count, total_amount=found_total,
                          sha256=hashlib.sha256(raw).hexdigest()) == []


def test_results_have_one_line_per_data_row() -> None:
    results, _ = process(upload(), FILE_SHA, {})
    lines: Sequence[str] = results.decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 13


def test_the_row_rules_use_only_the_specs_reason_codes() -> None:
    spec = {"SCHEMA_INVALID", "AMOUNT_INCONSISTENT", "CONTRACT_NOT_FOUND", "NOT_COVERED", "DUPLICATE",
            "CLAIM_CONFLICT", "FILE_CONTROL_MISMATCH", "MANIFEST_INVALID", "FILE_CHANGED", "DUPLICATE_FILE"}
    assert {code.value for code in ClaimReason} == spec


@pytest.mark.parametrize(("raw", "says"), [
    (b"{}" + b" " * (64 * 1024 - 1), "more than 65536 bytes"),
    (b"[" * 30_000 + b"]" * 30_000, "nests too deeply"),
    (b"{not json", "not JSON"),
    (b"\xff{}", "not JSON"),
    (b'{"record_count": ' + b"9" * 5000 + b"}", "not JSON"),
    (b"[]", "not a JSON object"),
    (b"null", "not a JSON object"),
])
def test_a_manifest_that_is_not_64_kib_of_json_object_is_invalid(raw: bytes, says: str) -> None:
    problem = parse_manifest(raw)
    assert isinstance(problem, str) and says in problem and len(problem) < 200


def test_a_manifest_of_64_kib_exactly_is_read() -> None:
    raw = b'{"record_count": 3}'
    raw += b" " * (64 * 1024 - len(raw))
    assert parse_manifest(raw) == {"record_count": 3}
