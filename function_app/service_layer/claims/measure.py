"""A claims file's first pass: its bytes at one version hashed, its data rows counted and their totals summed,
in one stream, for the manifest check that comes before any row is applied."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from function_app.domain.claims.claims_file import ClaimsReader
from function_app.domain.claims.csv_lines import split_lines
from function_app.domain.claims.reasons import ClaimsFileError
from function_app.service_layer.claims.ports import ClaimsInbox


@dataclass(frozen=True)
class Measurement:
    """What the manifest is checked against; a file whose header is not the spec's has only its sha256."""

    sha256: str
    record_count: int
    total_amount: Decimal
    header_error: str | None = None


def measure(inbox: ClaimsInbox, partner: str, name: str, version: str) -> Measurement:
    """The file's sha256, its data-row count and the sum of its totals, read as one stream of one version.
    Raises BlobChanged when the blob stops being that version."""
    digest = hashlib.sha256()

    def hashed() -> Iterator[bytes]:
        for chunk in inbox.chunks(partner, name, version):
            digest.update(chunk)
            yield chunk

    reader = ClaimsReader()
    try:
        reader.measure(split_lines(hashed()))
    except ClaimsFileError as error:
        digest = hashlib.sha256()
        for _ in hashed():
            pass  # the digest covers the whole file, read again from the start
        return Measurement(digest.hexdigest(), -1, Decimal("-1"), error.message)
    return Measurement(digest.hexdigest(), reader.record_count, reader.total_amount)
