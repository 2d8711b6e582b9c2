"""The claims path made fast answers exactly as before: the same results files, the same journal facts (as the
journal packs them) and the same registry, for a file that mixes the benchmark's rows with every kind of odd line
(quoting, CRLF, bad columns, duplicates, conflicts), run through the service on the memory adapters.

`tests/golden/claims/equivalence.json` was written by the code before that change (commit 5001c79) with
`bench.claims_service.run(data_file(3000, odd=True), twice=True)`; the digests cover every byte written."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from bench.claims_service import data_file, run
from function_app.domain.claims.rows import ClaimRow, content_hash

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "claims" / "equivalence.json"


def test_the_service_writes_what_the_code_before_it_wrote() -> None:
    expected = json.loads(GOLDEN.read_text())
    report = run(data_file(3000, odd=True), twice=True)
    report.pop("seconds")
    report.pop("cpu_seconds")
    assert report == expected


def test_the_content_hash_is_the_sha256_of_the_canonical_json() -> None:
    for cause in ("", 'a "quoted", \\ cause', "caf\u00e9 \u2028 \x07 \U0001f697"):
        row = ClaimRow(3, "CLM-1", "VSC1", 'RO "1"', date(2025, 3, 1), 7, Decimal("1.00"), Decimal("2.5"),
                       Decimal("0"), Decimal("3.50"), "F-1", cause)
        text = json.dumps(row.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert content_hash(row) == hashlib.sha256(text.encode("utf-8")).hexdigest()
