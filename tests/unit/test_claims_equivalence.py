"""The claims path made fast answers exactly as before: the same results files, the same journal facts (as the
journal packs them) and the same registry, for a file that mixes the benchmark's rows with every kind of odd line
(quoting, CRLF, bad columns, duplicates, conflicts), run through the service on the memory adapters.

`tests/golden/claims/equivalence.json` was written by the code before that change (commit 5001c79) with
`bench.claims_service.run(data_file(3000, odd=True), twice=True)`; the digests cover every byte written."""

from __future__ import annotations

import json
from pathlib import Path

from bench.claims_service import data_file, run

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "claims" / "equivalence.json"


def test_the_service_writes_what_the_code_before_it_wrote() -> None:
    expected = json.loads(GOLDEN.read_text())
    report = run(data_file(3000, odd=True), twice=True)
    report.pop("seconds")
    report.pop("cpu_seconds")
    assert report == expected
