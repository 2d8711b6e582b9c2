"""A delivery record against the file the exchange must have written: the record's own figures (sha256, size,
record count, control totals) are what its journal ranges render to, so an edited record is named even when the
blob and its manifest are right."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FileFigures:
    """What a file is, in the figures a delivery record keeps of it."""

    sha256: str
    bytes: int
    record_count: int
    control_totals: Mapping[str, str]

    def named(self) -> dict[str, str]:
        totals = {f"control_totals.{k}": v for k, v in self.control_totals.items()}
        return {"sha256": self.sha256, "bytes": str(self.bytes), "record_count": str(self.record_count), **totals}


def record_differences(recorded: FileFigures, rendered: FileFigures) -> list[str]:
    """Each figure of the record that is not the rendered file's, naming both (figures hold no personal data)."""
    mine, theirs = recorded.named(), rendered.named()
    return [f"{name} {mine.get(name, 'absent')} in the record, {theirs.get(name, 'absent')} rendered"
            for name in sorted(set(mine) | set(theirs)) if mine.get(name) != theirs.get(name)]
