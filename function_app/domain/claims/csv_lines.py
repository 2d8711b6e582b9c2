"""The CSV of a claims file, below the level of columns: a stream of chunks cut into lines, and a line split into
its RFC 4180 cells. Each line is one row: a quoted field may hold commas and doubled quotes but not a line break,
so a quote left open at the end of its line is SCHEMA_INVALID."""

from __future__ import annotations

import re
from collections.abc import Iterator

from function_app.domain.claims.reasons import Reason, schema_invalid

MAX_LINE_BYTES = 64 * 1024

_QUOTED = re.compile(r'"([^"]*(?:""[^"]*)*)"')  # unrolled loop: linear, no catastrophic backtracking
_PLAIN = re.compile(r'[^,"]*')


class _QuotingError(ValueError):
    pass


def split_lines(chunks: Iterator[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """Lines of a stream of chunks, line ends kept for the reader to strip. A line longer than `limit` is cut
    to `limit + 1` bytes (the reader rejects it as too long) so that a hostile file cannot exhaust memory: at most
    that much of a line is held across chunks."""
    most = limit + 1
    pending = b""  # the start of the line the last chunk ended in, at most `most` bytes
    for chunk in chunks:
        parts = chunk.split(b"\n")
        if len(parts) == 1:
            if len(pending) < most:
                pending = (pending + chunk)[:most]
            continue
        yield (pending + parts[0] + b"\n")[:most] if pending else (parts[0] + b"\n")[:most]
        for part in parts[1:-1]:
            line = part + b"\n"
            yield line if len(line) <= most else line[:most]
        pending = parts[-1][:most]
    if pending:
        yield pending


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


def strip_line_end(line: bytes) -> bytes:
    return line.removesuffix(b"\n").removesuffix(b"\r")


def line_cells(content: bytes, max_cells: int) -> list[str] | Reason:
    """The cells of one line (line end removed), at most `max_cells`, or why it has none we can trust."""
    if len(content) > MAX_LINE_BYTES:
        return schema_invalid(None, f"line longer than {MAX_LINE_BYTES} bytes")
    if b"\0" in content:
        return schema_invalid(None, "NUL byte in the line")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        return schema_invalid(None, f"not UTF-8 (invalid byte at offset {error.start})")
    if not text:
        return schema_invalid(None, "blank line (only blank lines at the end of the file are ignored)")
    try:
        return split_cells(text, max_cells)
    except _QuotingError as error:
        return schema_invalid(None, str(error))
