"""The results file (spec/CLAIMS-INBOUND.md) and its manifest.

`ResultsWriter` writes `row,claim_number,status,reasons` lines: `reasons` is the row's distinct reason codes, in the
order found, joined with `;` (empty when ACCEPTED). Row 0 answers for the whole file: alone when the file is refused
before any row is read (`0,,REJECTED,FILE_CONTROL_MISMATCH`, MANIFEST_INVALID, DUPLICATE_FILE), or last, after the
rows answered from the checked bytes, when the file changed part-way (`0,,REJECTED,FILE_CHANGED`). The claim number
is the partner's own text, so it is made inert: control and bidi characters become U+FFFD, at most MAX_ECHO_CHARS
are kept, text starting like a formula gets a `'` (as outbound csv does) and RFC 4180 quoting applies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from function_app.domain.claims.decisions import ClaimDecision
from function_app.domain.claims.reasons import MAX_ECHO_CHARS, ClaimReason
from function_app.domain.claims.rows import ClaimRow, RowProblem
from function_app.domain.delivery.fields import FieldKind
from function_app.domain.delivery.formats import csv_cell
from function_app.domain.kernel.feedback import Status

RESULTS_HEADER = ("row", "claim_number", "status", "reasons")

# A claim number as the row rules allow it, not starting like a formula: `_inert` leaves it as it is.
_PLAIN_NUMBER = re.compile(f"[A-Z0-9][A-Z0-9-]{{0,{MAX_ECHO_CHARS - 1}}}")
_ACCEPTED = Status.ACCEPTED  # a module name: an enum member looked up on its class costs more, on every line
_UNSAFE_ECHO = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class ResultsWriter:
    """The results file as a stream of lines: UTF-8, `\\n` line ends, the same input giving the same bytes."""

    def __init__(self) -> None:
        self._counts = dict.fromkeys(Status, 0)
        self._accepted = 0  # lines of `decision_line`'s common case, counted apart (an enum's hash is Python code)

    def header(self) -> bytes:
        return (",".join(RESULTS_HEADER) + "\n").encode("utf-8")

    def line(self, row: int, claim_number: str | None, status: Status | str, reasons: Sequence[str]) -> bytes:
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
        if decision.status is _ACCEPTED and not decision.reasons and row.row > 0:  # most lines: as `line` does
            self._accepted += 1
            number = row.claim_number
            return f"{row.row},{number if _PLAIN_NUMBER.fullmatch(number) else _inert(number)},ACCEPTED,\n".encode()
        return self.line(row.row, row.claim_number, decision.status, decision.codes)

    @property
    def accepted(self) -> int:
        return self._counts[Status.ACCEPTED] + self._accepted

    @property
    def rejected(self) -> int:
        return self._counts[Status.REJECTED]

    @property
    def duplicate(self) -> int:
        return self._counts[Status.DUPLICATE]

    @property
    def record_count(self) -> int:
        return sum(self._counts.values()) + self._accepted

    @property
    def counts(self) -> dict[str, int]:
        """By status text, as a results manifest and a checkpoint keep them."""
        return {status.value: count + (self._accepted if status is Status.ACCEPTED else 0)
                for status, count in self._counts.items()}


def _inert(claim_number: str | None) -> str:
    text = _UNSAFE_ECHO.sub("\ufffd", (claim_number or "")[:MAX_ECHO_CHARS])
    return csv_cell(text, FieldKind.TEXT)


@dataclass(frozen=True)
class ResultsManifest:
    """The manifest written beside a results file. A file refused whole (or part-way) also says why:
    `file_rejected` with its `problems`, and for FILE_CHANGED how many rows were answered before."""

    partner: str
    file: str
    source_file: str
    source_sha256: str
    counts: dict[str, int]  # by status text
    sha256: str
    bytes: int
    created_at: str
    file_rejected: ClaimReason | None = None
    problems: tuple[str, ...] = ()
    rows_answered: int | None = None

    def to_json(self) -> dict[str, object]:
        document: dict[str, object] = {
            "partner": self.partner, "file": self.file, "source_file": self.source_file,
            "source_sha256": self.source_sha256, "record_count": sum(self.counts.values()),
            "counts": dict(sorted(self.counts.items())),
            "sha256": self.sha256, "bytes": self.bytes, "created_at": self.created_at,
        }
        if self.file_rejected is not None:
            document |= {"file_rejected": self.file_rejected.value, "problems": list(self.problems)}
        if self.rows_answered is not None:
            document["rows_answered"] = self.rows_answered
        return document
