"""Where an accepted claim came from: the file (by content) and the row. Its text form is the one place a
`<file sha256>#<row>` is built or read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class ClaimOrigin(NamedTuple):
    """Where a claim was accepted from: the file (by content) and the row. A named tuple: one is made for every
    accepted claim of a file, and a frozen dataclass costs several times as much to make."""

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
