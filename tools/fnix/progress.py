"""A progress bar on stderr for long CLI work; silent when stderr is not a terminal, except at the end."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO | None = None, *, counting: bool = False) -> None:
        self._counting = counting  # no known total: show a count and a rate, not a bar
        self._total = max(total, 1)
        self._label = label
        self._stream = stream or sys.stderr
        self._done = 0
        self._started = time.monotonic()
        self._shown = 0.0
        self._live = self._stream.isatty()

    def advance(self, count: int) -> None:
        self._done += count
        now = time.monotonic()
        if self._live and (now - self._shown > 0.1 or self._done >= self._total):
            self._shown = now
            self._draw(end="")

    def finish(self) -> None:
        self._draw(end="\n")

    def _draw(self, end: str) -> None:
        share = min(self._done / self._total, 1.0)
        bar = "#" * int(share * 30)
        elapsed = time.monotonic() - self._started
        rate = self._done / elapsed if elapsed > 0 else 0.0
        prefix = "\r" if self._live else ""
        if self._counting:
            line = f"{self._label}: {self._done:,} records ({rate:,.0f}/s)"
        else:
            line = f"{self._label} [{bar:<30}] {self._done}/{self._total} ({rate:,.0f}/s)"
        self._stream.write(prefix + line + end)
        self._stream.flush()
