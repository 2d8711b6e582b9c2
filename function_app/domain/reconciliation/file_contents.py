"""A delivered file byte for byte against what its facts render to: where the bytes first differ, said by line
and byte and by what changed there (line ends, order, the fixed-width header or trailer), never by the values."""

from __future__ import annotations

from collections import Counter

_BOM = b"\xef\xbb\xbf"


def first_difference(expected: bytes, actual: bytes, fmt: str) -> str | None:
    """None when the bytes are the same; else where and how they first differ, naming no value."""
    if expected == actual:
        return None
    if actual.startswith(_BOM) and not expected.startswith(_BOM):
        return "it begins with a byte-order mark, which the exchange never writes"
    want, got = expected.split(b"\n"), actual.split(b"\n")
    line = next((i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b), min(len(want), len(got)))
    where = f"line {line + 1}{_role(line, len(want), fmt)}"
    if len(got) != len(want) and line >= min(len(want), len(got)) - 1:  # a line more or less, at the end
        return f"it has {_lines(got)}, the exchange wrote {_lines(want)}; the first difference is at {where}"
    if got[line] == want[line] + b"\r":
        return f"{where} ends in CRLF; the exchange ends every line in LF"
    if Counter(want) == Counter(got):
        return f"its lines are in another order from {where}"
    column = next((i for i, (a, b) in enumerate(zip(want[line], got[line], strict=False)) if a != b),
                  min(len(want[line]), len(got[line])))
    lengths = "" if len(want[line]) == len(got[line]) else f" (it is {len(got[line])} bytes, not {len(want[line])})"
    return f"{where} differs from byte {column + 1}{lengths}"


def _role(line: int, count: int, fmt: str) -> str:
    """The fixed-width header and trailer by name (the file ends in a newline: its last piece is empty)."""
    if fmt != "fixed":
        return " (the header)" if line == 0 and fmt == "csv" else ""
    if line == 0:
        return " (the header record)"
    return " (the trailer record)" if line == count - 2 else ""


def _lines(pieces: list[bytes]) -> str:
    complete = len(pieces) - 1
    return f"{complete} line{'s' if complete != 1 else ''}" + ("" if pieces[-1] == b"" else " and an unended one")
