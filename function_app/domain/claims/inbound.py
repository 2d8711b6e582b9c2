"""Inbound claims files (spec/CLAIMS-INBOUND.md): reading an upload as a stream, deciding each row against the
exchange's state, writing the results file and checking the manifest. Pure: no I/O beyond iterating its input.

Reading. `read_claims` (or a `ClaimsReader`, which also keeps the manifest's control values) takes the file's
lines as bytes, each with or without its `\\n` / `\\r\\n`. The header must be exactly `COLUMNS`, in that order
(a UTF-8 byte-order mark before it is tolerated); anything else raises `ClaimsFileError` on the first `next()`.
Every data line then yields one `ClaimRow` or one `RowProblem` holding all of that row's problems, numbered
from 1 (header excluded). Each line is one row: a quoted field may hold commas and doubled quotes but not a
line break, so a quote left open at the end of its line is SCHEMA_INVALID. Trailing blank lines are ignored;
a blank line with data after it is a row (SCHEMA_INVALID).

Control values. `record_count` counts data rows, good or bad (every line after the header except trailing
blank ones); `total_amount` sums `total_amount` over the rows that split into exactly the header's cells
and whose `total_amount` cell obeys the amount rule (2 places, at most MAX_AMOUNT_DIGITS before the point),
whatever else is wrong with the row. Both are exact (integer cents) and complete once the rows are exhausted.
The file's sha256 is the caller's: it hashes the blob's bytes as stored.

Deciding. `decide_claim` applies the row rules in this order: CONTRACT_NOT_FOUND (no such contract, or one
another administrator administers: answered alike, so an administrator learns nothing of others' contracts),
then a retry (the same content accepted before from this very file and row) is ACCEPTED again, then
NOT_COVERED, DUPLICATE, CLAIM_CONFLICT. The retry comes before NOT_COVERED so that a crash, a cancellation in
between and a retry still give the same answer for rows already applied; it comes after the check that says
whether this partner may see the contract at all. Claim numbers are per administrator: `earlier` is this
administrator's claim of that number, never another's.

Results. `ResultsWriter` writes `row,claim_number,status,reasons` lines: `reasons` is the row's distinct
reason codes, in the order found, joined with `;` (empty when ACCEPTED). Row 0 answers for the whole file:
alone when the file is refused before any row is read (`0,,REJECTED,FILE_CONTROL_MISMATCH`, MANIFEST_INVALID,
DUPLICATE_FILE), or last, after the rows answered from the checked bytes, when the file changed part-way
(`0,,REJECTED,FILE_CHANGED`). The claim number is the partner's
own text, so it is made inert: control and bidi characters become U+FFFD, at most MAX_ECHO_CHARS are kept,
text starting like a formula gets a `'` (as outbound csv does) and RFC 4180 quoting applies.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from function_app.domain.delivery.fields import FieldKind
from function_app.domain.delivery.formats import csv_cell
from function_app.domain.kernel.feedback import Status
from function_app.domain.kernel.money import money_str, parse_money
from function_app.domain.realtime.contracts import ContractRecord, ContractStatus
from function_app.domain.realtime.refunds import add_months

MAX_LINE_BYTES = 64 * 1024
MAX_MANIFEST_BYTES = 64 * 1024  # CLAIMS-INBOUND.md: a manifest is at most 64 KiB of JSON
MAX_ECHO_CHARS = 40
MAX_AMOUNT_DIGITS = 15  # before the point: sums stay exact far below Decimal's 28 digits
COLUMNS = (
    "claim_number",
    "contract_number",
    "repair_order",
    "failure_date",
    "odometer",
    "labor_amount",
    "parts_amount",
    "tax_amount",
    "total_amount",
    "repair_facility_code",
    "cause",
)
AMOUNTS = ("labor_amount", "parts_amount", "tax_amount", "total_amount")
RESULTS_HEADER = ("row", "claim_number", "status", "reasons")
MAX_REPAIR_ORDER = 40
MAX_CAUSE = 200
MAX_ODOMETER = 9_999_999

_BOM = b"\xef\xbb\xbf"
_NUMBER = re.compile(r"[A-Z0-9-]{6,20}")
_FACILITY = re.compile(r"[A-Z0-9-]{1,20}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]{1,7}")
_QUOTED = re.compile(r'"([^"]*(?:""[^"]*)*)"')  # unrolled loop: linear, no catastrophic backtracking
_PLAIN = re.compile(r'[^,"]*')
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_UNSAFE_ECHO = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class ClaimReason(StrEnum):
    SCHEMA_INVALID = "SCHEMA_INVALID"
    AMOUNT_INCONSISTENT = "AMOUNT_INCONSISTENT"
    CONTRACT_NOT_FOUND = "CONTRACT_NOT_FOUND"
    NOT_COVERED = "NOT_COVERED"
    DUPLICATE = "DUPLICATE"
    CLAIM_CONFLICT = "CLAIM_CONFLICT"
    FILE_CONTROL_MISMATCH = "FILE_CONTROL_MISMATCH"
    MANIFEST_INVALID = "MANIFEST_INVALID"
    FILE_CHANGED = "FILE_CHANGED"
    DUPLICATE_FILE = "DUPLICATE_FILE"


@dataclass(frozen=True)
class Reason:
    code: ClaimReason
    field: str | None
    message: str

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code.value, "field": self.field, "message": self.message}


class ClaimsFileError(ValueError):
    """The whole file is refused (a bad header): no row of it is read."""

    def __init__(self, code: ClaimReason, message: str) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ClaimRow:
    row: int
    claim_number: str
    contract_number: str
    repair_order: str
    failure_date: date
    odometer: int
    labor_amount: Decimal
    parts_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    repair_facility_code: str
    cause: str

    def to_json(self) -> dict[str, Any]:
        """The claim's content (not its row): what the hash covers and what a journal fact can carry."""
        return {
            "claim_number": self.claim_number,
            "contract_number": self.contract_number,
            "repair_order": self.repair_order,
            "failure_date": self.failure_date.isoformat(),
            "odometer": self.odometer,
            "labor_amount": money_str(self.labor_amount),
            "parts_amount": money_str(self.parts_amount),
            "tax_amount": money_str(self.tax_amount),
            "total_amount": money_str(self.total_amount),
            "repair_facility_code": self.repair_facility_code,
            "cause": self.cause,
        }


@dataclass(frozen=True)
class RowProblem:
    """A data row that is not a claim. `claim_number` is its first cell as given (at most MAX_ECHO_CHARS), if
    the line could be split into cells and that cell is not empty."""

    row: int
    claim_number: str | None
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class ClaimOrigin:
    """Where a claim was accepted from: the file (by content) and the row."""

    file_sha256: str
    row: int

    def __str__(self) -> str:
        """As stored with the claim and named in its journal fact: `<file sha256>#<row>`."""
        return f"{self.file_sha256}#{self.row}"

    @classmethod
    def parse(cls, text: str) -> ClaimOrigin:
        digest, _, row = text.rpartition("#")
        return cls(digest, int(row))


@dataclass(frozen=True)
class ClaimRecord:
    """A claim the exchange accepted before, and where from."""

    claim_number: str
    content_hash: str
    origin: ClaimOrigin


@dataclass(frozen=True)
class ClaimDecision:
    status: Status
    reasons: tuple[Reason, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(reason.code.value for reason in self.reasons)


def content_hash(row: ClaimRow) -> str:
    """sha256 of the claim's canonical JSON: the same claim hashes alike in any file, at any row."""
    text = json.dumps(row.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- reading ---------------------------------------------------------------------------------------------


class _QuotingError(ValueError):
    pass


def split_cells(text: str, max_cells: int) -> list[str]:
    """RFC 4180 cells of one line, at most `max_cells` of them (the rest of the line is not looked at)."""
    cells: list[str] = []
    position = 0
    while len(cells) < max_cells:
        if text.startswith('"', position):
            match = _QUOTED.match(text, position)
            if match is None:
                raise _QuotingError("unbalanced quote: a quoted field must close on its own line "
                                    "(fields spanning lines are not supported)")
            cells.append(match.group(1).replace('""', '"'))
        else:
            match = _PLAIN.match(text, position)
            assert match is not None  # matches the empty string at least
            cells.append(match.group())
        position = match.end()
        if position == len(text):
            break
        if text[position] != ",":
            raise _QuotingError("malformed quoting: a quote inside an unquoted field, or text after a closing quote")
        position += 1
    return cells


def _strip_line_end(line: bytes) -> bytes:
    return line.removesuffix(b"\n").removesuffix(b"\r")


def _line_cells(content: bytes) -> list[str] | Reason:
    """The cells of one line (line end removed), or why it has none we can trust."""
    if len(content) > MAX_LINE_BYTES:
        return _schema(None, f"line longer than {MAX_LINE_BYTES} bytes")
    if b"\0" in content:
        return _schema(None, "NUL byte in the line")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        return _schema(None, f"not UTF-8 (invalid byte at offset {error.start})")
    if not text:
        return _schema(None, "blank line (only blank lines at the end of the file are ignored)")
    try:
        return split_cells(text, len(COLUMNS) + 1)
    except _QuotingError as error:
        return _schema(None, str(error))


def _schema(field: str | None, message: str) -> Reason:
    return Reason(ClaimReason.SCHEMA_INVALID, field, message)


def _shown(text: str) -> str:
    return repr(text[:MAX_ECHO_CHARS] + ("…" if len(text) > MAX_ECHO_CHARS else ""))


def check_header(line: bytes | None) -> None:
    """Raises ClaimsFileError unless the line is exactly the spec's header."""
    if line is None:
        raise ClaimsFileError(ClaimReason.SCHEMA_INVALID, "the file is empty: a header row is required")
    cells = _line_cells(_strip_line_end(line).removeprefix(_BOM))
    if isinstance(cells, Reason):
        raise ClaimsFileError(ClaimReason.SCHEMA_INVALID, f"header row: {cells.message}")
    problem = _header_problem(cells)
    if problem:
        expected = ",".join(COLUMNS)
        raise ClaimsFileError(ClaimReason.SCHEMA_INVALID, f"header row: {problem}; expected exactly {expected}")


def _header_problem(cells: list[str]) -> str:
    if len(cells) > len(COLUMNS):
        return f"more than {len(COLUMNS)} columns"
    missing = [name for name in COLUMNS if name not in cells]
    unexpected = [_shown(name) for name in cells if name not in COLUMNS]
    repeated = sorted({name for name in cells if name in COLUMNS and cells.count(name) > 1})
    problems = [
        f"{label}: {', '.join(names)}"
        for label, names in (("missing columns", missing), ("unexpected columns", unexpected),
                             ("repeated columns", repeated))
        if names
    ]
    if not problems and tuple(cells) != COLUMNS:
        problems.append(f"columns out of order ({','.join(cells)})")
    return "; ".join(problems)


class ClaimsReader:
    """Reads one claims file; `record_count` and `total_amount` are its control values once rows are exhausted."""

    def __init__(self) -> None:
        self.record_count = 0
        self._total_cents = 0

    @property
    def total_amount(self) -> Decimal:
        return _cents_text(self._total_cents)

    def read(self, lines: Iterable[bytes]) -> Iterator[ClaimRow | RowProblem]:
        stream = iter(lines)
        check_header(next(stream, None))
        blank = 0  # blank lines seen and not yet known to be trailing
        for line in stream:
            content = _strip_line_end(line)
            if not content:
                blank += 1
                continue
            for _ in range(blank):
                yield self._row(b"")
            blank = 0
            yield self._row(content)

    def _row(self, content: bytes) -> ClaimRow | RowProblem:
        self.record_count += 1
        cells = _line_cells(content)
        if isinstance(cells, Reason):
            return RowProblem(self.record_count, None, (cells,))
        self._total_cents += _total_cents(cells)
        return parse_row(self.record_count, cells)


def read_claims(lines: Iterable[bytes]) -> Iterator[ClaimRow | RowProblem]:
    return ClaimsReader().read(lines)


def row_total(line: bytes) -> Decimal:
    """One data line's share of the manifest's `total_amount`: the same rule as `ClaimsReader.total_amount`."""
    cells = _line_cells(_strip_line_end(line))
    return _cents_text(0 if isinstance(cells, Reason) else _total_cents(cells))


def _cents_text(cents: int) -> Decimal:
    whole, part = divmod(cents, 100)
    return Decimal(f"{whole}.{part:02d}")


def _total_cents(cells: Sequence[str]) -> int:
    if len(cells) != len(COLUMNS):
        return 0
    text = cells[COLUMNS.index("total_amount")]
    amount, _ = _amount(text)
    return 0 if amount is None else int(text.replace(".", ""))


# --- columns ---------------------------------------------------------------------------------------------


def _amount(text: str) -> tuple[Decimal | None, str]:
    if len(text.partition(".")[0]) > MAX_AMOUNT_DIGITS:
        return None, f"at most {MAX_AMOUNT_DIGITS} digits before the decimal point"
    amount = parse_money(text)
    return (amount, "") if amount is not None else (None, 'expected a decimal string with 2 places, e.g. "125.00"')


class _Cells:
    """One row's cells by column name, collecting every problem found."""

    def __init__(self, cells: Sequence[str]) -> None:
        self._cells = dict(zip(COLUMNS, cells, strict=True))
        self.reasons: list[Reason] = []

    def _fail(self, field: str, message: str) -> None:
        self.reasons.append(_schema(field, f"{field}: {message}"))

    def matching(self, field: str, pattern: re.Pattern[str], rule: str) -> str:
        text = self._cells[field]
        if not pattern.fullmatch(text):
            self._fail(field, f"expected {rule}")
        return text

    def text(self, field: str, longest: int, required: bool) -> str:
        text = self._cells[field]
        if required and not text.strip():
            self._fail(field, "must not be empty")
        elif len(text) > longest:
            self._fail(field, f"at most {longest} characters, got {len(text)}")
        return text

    def iso_date(self, field: str) -> date | None:
        day = _iso_date(self._cells[field])
        if day is None:
            self._fail(field, "expected a calendar date YYYY-MM-DD")
        return day

    def odometer(self, field: str) -> int | None:
        text = self._cells[field]
        if not _DIGITS.fullmatch(text):
            self._fail(field, f"expected a whole number of miles 0 to {MAX_ODOMETER:,}")
            return None
        return int(text)

    def amount(self, field: str) -> Decimal | None:
        amount, problem = _amount(self._cells[field])
        if amount is None:
            self._fail(field, problem)
        return amount


def _iso_date(text: str) -> date | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_row(row: int, cells: Sequence[str]) -> ClaimRow | RowProblem:
    """One data row's cells checked column by column; every problem of the row is reported together."""
    if len(cells) != len(COLUMNS):
        return RowProblem(row, _echo(cells), (_cell_count(cells),))
    c = _Cells(cells)
    claim_number = c.matching("claim_number", _NUMBER, "6 to 20 characters A-Z, 0-9 or -")
    contract_number = c.matching("contract_number", _NUMBER, "6 to 20 characters A-Z, 0-9 or -")
    repair_order = c.text("repair_order", MAX_REPAIR_ORDER, required=True)
    failure_date = c.iso_date("failure_date")
    odometer = c.odometer("odometer")
    labor, parts, tax, total = (c.amount(name) for name in AMOUNTS)
    facility = c.matching("repair_facility_code", _FACILITY, "1 to 20 characters A-Z, 0-9 or -")
    cause = c.text("cause", MAX_CAUSE, required=False)
    if labor is not None and parts is not None and tax is not None and total is not None:
        c.reasons.extend(_sum_problem(labor, parts, tax, total))
    if c.reasons or failure_date is None or odometer is None or labor is None or parts is None or tax is None \
            or total is None:
        return RowProblem(row, _echo(cells), tuple(c.reasons))
    return ClaimRow(row, claim_number, contract_number, repair_order, failure_date, odometer,
                    labor, parts, tax, total, facility, cause)


def _cell_count(cells: Sequence[str]) -> Reason:
    if len(cells) > len(COLUMNS):
        return _schema(None, f"more than {len(COLUMNS)} cells; the header has {len(COLUMNS)}")
    return _schema(None, f"{len(cells)} cells; the header has {len(COLUMNS)}")


def _sum_problem(labor: Decimal, parts: Decimal, tax: Decimal, total: Decimal) -> list[Reason]:
    parts_sum = labor + parts + tax
    if parts_sum == total:
        return []
    message = f"total_amount {total} is not labor + parts + tax = {parts_sum}"
    return [Reason(ClaimReason.AMOUNT_INCONSISTENT, "total_amount", message)]


def _echo(cells: Sequence[str]) -> str | None:
    return cells[0][:MAX_ECHO_CHARS] if cells and cells[0] else None


# --- deciding --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    effective: date
    expiry: date  # the first day not covered
    cancel_date: date | None  # the last day covered, when cancelled
    odometer_limit: int | None  # the last covered odometer reading, when the term has miles


def coverage_of(contract: ContractRecord) -> Coverage:
    """What an accepted contract covers, read from its submission (and cancellation)."""
    submission = contract.submission
    if submission is None:
        raise ValueError(f"contract {contract.contract_number} holds no submission")
    effective, miles = submission.effective, submission.term_miles
    limit = None if miles is None else submission.vehicle.odometer + miles
    return Coverage(effective, add_months(effective, submission.term_months), _cancel_date(contract), limit)


def _cancel_date(contract: ContractRecord) -> date | None:
    if contract.status is not ContractStatus.CANCELLED:
        return None
    if contract.cancellation is None:
        raise ValueError(f"contract {contract.contract_number} is cancelled but holds no cancel_date")
    return contract.cancellation.request.cancel_date


def decide_claim(
    row: ClaimRow,
    contract: ContractRecord | None,
    administrator_code: str,
    earlier: ClaimRecord | None,
    *,
    same_origin: bool,
) -> ClaimDecision:
    """One well-formed row against the contract it names and the claim accepted before under its number."""
    _check_inputs(row, contract, earlier)
    if contract is None or not contract.exists or contract.submission is None \
            or contract.submission.administrator != administrator_code:
        return _rejected(ClaimReason.CONTRACT_NOT_FOUND, "contract_number",
                         f"no contract {row.contract_number} at the exchange")
    same_content = earlier is not None and earlier.content_hash == content_hash(row)
    if same_content and same_origin:
        return ClaimDecision(Status.ACCEPTED)
    uncovered = coverage_problems(row, coverage_of(contract))
    if uncovered:
        return ClaimDecision(Status.REJECTED, tuple(uncovered))
    if earlier is None:
        return ClaimDecision(Status.ACCEPTED)
    if same_content:
        message = f"claim {row.claim_number} was accepted before with the same content: no change"
        return ClaimDecision(Status.DUPLICATE, (Reason(ClaimReason.DUPLICATE, "claim_number", message),))
    return _rejected(ClaimReason.CLAIM_CONFLICT, "claim_number",
                     f"claim {row.claim_number} was accepted before with different content")


def _check_inputs(row: ClaimRow, contract: ContractRecord | None, earlier: ClaimRecord | None) -> None:
    if contract is not None and contract.contract_number != row.contract_number:
        raise ValueError(f"row {row.row} names contract {row.contract_number}, not {contract.contract_number}")
    if earlier is not None and earlier.claim_number != row.claim_number:
        raise ValueError(f"row {row.row} is claim {row.claim_number}, not {earlier.claim_number}")


def _rejected(code: ClaimReason, field: str, message: str) -> ClaimDecision:
    return ClaimDecision(Status.REJECTED, (Reason(code, field, message),))


def coverage_problems(row: ClaimRow, coverage: Coverage) -> list[Reason]:
    """NOT_COVERED reasons: all of them, each naming the rule it breaks."""
    day = row.failure_date
    problems: list[tuple[str, str]] = []
    if day < coverage.effective:
        problems.append(("failure_date", f"failure_date {day} is before the contract's effective date "
                                         f"{coverage.effective}"))
    if day >= coverage.expiry:
        problems.append(("failure_date", f"failure_date {day} is on or after the contract's expiry {coverage.expiry}"))
    if coverage.cancel_date is not None and day > coverage.cancel_date:
        problems.append(("failure_date", f"failure_date {day} is after the contract's cancellation date "
                                         f"{coverage.cancel_date}"))
    if coverage.odometer_limit is not None and row.odometer > coverage.odometer_limit:
        problems.append(("odometer", f"odometer {row.odometer} is past the covered {coverage.odometer_limit} "
                                     "(sale odometer + term_miles)"))
    return [Reason(ClaimReason.NOT_COVERED, field, message) for field, message in problems]


# --- results ---------------------------------------------------------------------------------------------


class ResultsWriter:
    """The results file as a stream of lines: UTF-8, `\\n` line ends, the same input giving the same bytes."""

    def __init__(self) -> None:
        self._counts = dict.fromkeys(Status, 0)

    def header(self) -> bytes:
        return (",".join(RESULTS_HEADER) + "\n").encode("utf-8")

    def line(self, row: int, claim_number: str | None, status: str, reasons: Sequence[str]) -> bytes:
        """One row's answer. Row 0 is the file as a whole (always REJECTED, and not counted as a row)."""
        state = Status(status)
        if row < 0 or (row == 0 and state is not Status.REJECTED):
            raise ValueError(f"row numbers start at 1 (0: the whole file, REJECTED), got {row} {state.value}")
        codes = ";".join(dict.fromkeys(ClaimReason(code).value for code in reasons))
        if row:
            self._counts[state] += 1
        cells = (str(row), _inert(claim_number), state.value, codes)
        return (",".join(cells) + "\n").encode("utf-8")

    def file_line(self, reasons: Sequence[str]) -> bytes:
        """The one answer to a file refused whole (FILE_CONTROL_MISMATCH, or a header that is not the spec's)."""
        return self.line(0, None, Status.REJECTED, reasons)

    def problem_line(self, problem: RowProblem) -> bytes:
        return self.line(problem.row, problem.claim_number, Status.REJECTED, [r.code for r in problem.reasons])

    def decision_line(self, row: ClaimRow, decision: ClaimDecision) -> bytes:
        return self.line(row.row, row.claim_number, decision.status, decision.codes)

    @property
    def accepted(self) -> int:
        return self._counts[Status.ACCEPTED]

    @property
    def rejected(self) -> int:
        return self._counts[Status.REJECTED]

    @property
    def duplicate(self) -> int:
        return self._counts[Status.DUPLICATE]

    @property
    def record_count(self) -> int:
        return sum(self._counts.values())

    @property
    def counts(self) -> dict[str, int]:
        return {status.value: count for status, count in self._counts.items()}


def _inert(claim_number: str | None) -> str:
    text = _UNSAFE_ECHO.sub("\ufffd", (claim_number or "")[:MAX_ECHO_CHARS])
    return csv_cell(text, FieldKind.TEXT)


# --- file control ----------------------------------------------------------------------------------------


def parse_manifest(raw: bytes) -> dict[str, object] | str:
    """The manifest's JSON object, or why it is MANIFEST_INVALID (too large, not UTF-8 JSON, not an object)."""
    if len(raw) > MAX_MANIFEST_BYTES:
        return f"the manifest is more than {MAX_MANIFEST_BYTES} bytes"
    try:
        document = json.loads(raw)
    except RecursionError:  # 64 KiB of brackets nests deeper than the parser goes
        return "the manifest nests too deeply"
    except ValueError as error:  # not UTF-8, not JSON, or a number too long to convert
        return f"the manifest is not JSON: {str(error)[:100]}"
    if not isinstance(document, dict):
        return "the manifest is not a JSON object"
    return document


def check_manifest(
    manifest: Mapping[str, object], *, record_count: int, total_amount: Decimal, sha256: str
) -> list[str]:
    """What in the manifest disagrees with the file: one line per field, naming manifest value and actual."""
    mismatches = (
        _count_mismatch(manifest, record_count),
        _total_mismatch(manifest, total_amount),
        _sha_mismatch(manifest, sha256),
    )
    return [mismatch for mismatch in mismatches if mismatch]


def _manifest_value(value: object) -> str:
    shown = _shown(value) if isinstance(value, str) else repr(value)[:MAX_ECHO_CHARS]
    return f"{shown} ({type(value).__name__})"


def _count_mismatch(manifest: Mapping[str, object], actual: int) -> str:
    if "record_count" not in manifest:
        return f"record_count: missing from the manifest; actual {actual}"
    value = manifest["record_count"]
    if not isinstance(value, int) or isinstance(value, bool):
        return f"record_count: manifest {_manifest_value(value)} is not an integer; actual {actual}"
    return "" if value == actual else f"record_count: manifest {value}, actual {actual}"


def _total_mismatch(manifest: Mapping[str, object], actual: Decimal) -> str:
    shown = money_str(actual)
    if "total_amount" not in manifest:
        return f"total_amount: missing from the manifest; actual {shown}"
    value = manifest["total_amount"]
    amount = parse_money(value) if isinstance(value, str) else None
    if amount is None:
        return (f"total_amount: manifest {_manifest_value(value)} is not a decimal string with 2 places; "
                f"actual {shown}")
    return "" if amount == actual else f"total_amount: manifest {_shown(str(amount))}, actual {shown}"


def _sha_mismatch(manifest: Mapping[str, object], actual: str) -> str:
    if "sha256" not in manifest:
        return f"sha256: missing from the manifest; actual {actual}"
    value = manifest["sha256"]
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        return f"sha256: manifest {_manifest_value(value)} is not 64 hex digits; actual {actual}"
    return "" if value.lower() == actual.lower() else f"sha256: manifest {value}, actual {actual}"
