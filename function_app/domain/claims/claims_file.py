"""A claims file read as a stream (spec/CLAIMS-INBOUND.md). Pure: no I/O beyond iterating its input.

`read_claims` (or a `ClaimsReader`, which also keeps the manifest's control values) takes the file's lines as
bytes, each with or without its `\\n` / `\\r\\n`. The header must be exactly `COLUMNS`, in that order (a UTF-8
byte-order mark before it is tolerated); anything else raises `ClaimsFileError` on the first `next()`. Every data
line then yields one `ClaimRow` or one `RowProblem`, numbered from 1 (header excluded). Trailing blank lines are
ignored; a blank line with data after it is a row (SCHEMA_INVALID).

Control values. `record_count` counts data rows, good or bad (every line after the header except trailing blank
ones); `total_amount` sums `total_amount` over the rows that split into exactly the header's cells and whose
`total_amount` cell obeys the amount rule, whatever else is wrong with the row. Both are exact (integer cents) and
complete once the rows are exhausted. The file's sha256 is the caller's: it hashes the blob's bytes as stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from function_app.domain.claims.csv_lines import MAX_LINE_BYTES, line_cells, strip_line_end
from function_app.domain.claims.reasons import ClaimReason, ClaimsFileError, Reason, shown
from function_app.domain.claims.rows import (
    COLUMNS,
    GOOD_LINE,
    GOOD_LINE_TOTAL,
    ClaimRow,
    RowProblem,
    fast_row,
    parse_row,
    total_cents,
)

_BOM = b"\xef\xbb\xbf"
_MAX_CELLS = len(COLUMNS) + 1  # one more than the header's: enough to know a line has too many


def check_header(line: bytes | None) -> None:
    """Raises ClaimsFileError unless the line is exactly the spec's header."""
    if line is None:
        raise ClaimsFileError(ClaimReason.SCHEMA_INVALID, "the file is empty: a header row is required")
    cells = line_cells(strip_line_end(line).removeprefix(_BOM), _MAX_CELLS)
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
    unexpected = [shown(name) for name in cells if name not in COLUMNS]
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

    def measure(self, lines: Iterable[bytes]) -> None:
        """Reads every line for the control values alone (the header still checked): what `read` counts and sums,
        without making the rows."""
        for _ in self._rows(lines, made=False):
            pass

    def read(self, lines: Iterable[bytes]) -> Iterator[ClaimRow | RowProblem]:
        return self._rows(lines, made=True)

    def _rows(self, lines: Iterable[bytes], made: bool) -> Iterator[ClaimRow | RowProblem]:
        stream = iter(lines)
        check_header(next(stream, None))
        blank = 0  # blank lines seen and not yet known to be trailing
        for line in stream:
            content = line.removesuffix(b"\n").removesuffix(b"\r")  # strip_line_end, inline: this runs per line
            if not content:
                blank += 1
                continue
            if blank:
                for _ in range(blank):
                    yield self._row(b"")
                blank = 0
            if made:
                yield self._row(content)
            else:
                self._count(content)

    def _row(self, content: bytes) -> ClaimRow | RowProblem:
        self.record_count += 1
        if len(content) <= MAX_LINE_BYTES:  # the common line: one regular expression instead of cell by cell
            try:
                claim = fast_row(self.record_count, content.decode("utf-8"))
            except UnicodeDecodeError:
                claim = None
            if claim is not None:
                self._total_cents += int(claim.total_amount * 100)
                return claim
        cells = line_cells(content, _MAX_CELLS)
        if isinstance(cells, Reason):
            return RowProblem(self.record_count, None, (cells,))
        self._total_cents += total_cents(cells)
        return parse_row(self.record_count, cells)

    def _count(self, content: bytes) -> None:
        self.record_count += 1
        if len(content) <= MAX_LINE_BYTES:  # the common line, without quotes: its cells are its text split at commas
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:
                return  # no cells: not counted in the total
            if '"' not in text and "\0" not in text:
                plain = text.split(",")
                if len(plain) == len(COLUMNS):
                    self._total_cents += total_cents(plain)
                return
            match = GOOD_LINE.fullmatch(text)  # quoted free text: a line GOOD_LINE matches has a good total
            if match is not None:
                self._total_cents += int(match.group(GOOD_LINE_TOTAL).replace(".", ""))
                return
        cells = line_cells(content, _MAX_CELLS)
        if not isinstance(cells, Reason):
            self._total_cents += total_cents(cells)


def read_claims(lines: Iterable[bytes]) -> Iterator[ClaimRow | RowProblem]:
    return ClaimsReader().read(lines)


def row_total(line: bytes) -> Decimal:
    """One data line's share of the manifest's `total_amount`: the same rule as `ClaimsReader.total_amount`."""
    cells = line_cells(strip_line_end(line), _MAX_CELLS)
    return _cents_text(0 if isinstance(cells, Reason) else total_cents(cells))


def _cents_text(cents: int) -> Decimal:
    whole, part = divmod(cents, 100)
    return Decimal(f"{whole}.{part:02d}")
