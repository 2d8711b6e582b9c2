"""The claims path made fast answers exactly as before: the same results files, the same journal facts (as the
journal packs them) and the same registry, for a file that mixes the benchmark's rows with every kind of odd line
(quoting, CRLF, bad columns, duplicates, conflicts), run through the service on the memory adapters.

`tests/golden/claims/equivalence.json` was written by the code before that change (commit 5001c79) with
`bench.claims_service.run(data_file(3000, odd=True), twice=True)`; the digests cover every byte written."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.claims_service import data_file, run
from function_app.domain.claims.claims_file import read_claims
from function_app.domain.claims.origin import ClaimOrigin
from function_app.domain.claims.rows import COLUMNS, ClaimRow, canonical_json, content_hash
from function_app.domain.realtime.contracts import ContractRecord, ContractStatus
from function_app.domain.realtime.payloads import ContractSubmission
from function_app.service_layer.claims.facts import claim_facts, rendered_claim_facts
from function_app.service_layer.claims.ports import AcceptedClaim, FileProgress
from function_app.service_layer.kernel.ports import RenderedFact, render_fact
from tests.events import example_contract

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


LINES = (  # lines `fast_row` reads (leading zeros, quoted cells, escapes, non-ASCII) and lines only parse_row takes
    b"CLM-000001,VSC2501150001,RO-1,2025-06-10,0030500,001.00,0.50,00.00,1.50,F-1,water pump",
    b'CLM-000002,VSC2501150001,"RO ""7"", bay 2",2025-06-10,7,1.00,2.00,0.00,3.00,F-1,'
    b'"back\\slash \xe2\x80\xa8 ""q"" caf\xc3\xa9"',
    b'CLM-000003,VSC2501150001,"x\\",2025-06-10,7,1.00,2.00,0.00,3.00,F-1,",""tax_amount"":"',
    b'"CLM-000004",VSC2501150001,RO-1,2025-06-10,7,"1.00",2.00,0.00,3.00,"F-1",\x07 \xf0\x9f\x9a\x97',
)


def test_a_claim_rows_canonical_json_is_json_dumps_of_its_content_however_it_was_read() -> None:
    rows = [row for row in read_claims([",".join(COLUMNS).encode(), *LINES]) if isinstance(row, ClaimRow)]
    assert len(rows) == len(LINES)
    for row in rows:
        text = json.dumps(row.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonical_json(row) == text
        assert canonical_json(replace(row, row=99)) == text  # made again from the fields


def test_rendered_claim_facts_are_the_facts_as_the_journal_renders_them() -> None:
    rows = [row for row in read_claims([",".join(COLUMNS).encode(), *LINES]) if isinstance(row, ClaimRow)]
    progress = FileProgress("adm-01", 'inbound/claims/a "b".csv', "ab" * 32, started_at="2026-03-02T23:30:00+00:00")
    for oem in (None, "TOYOTA"):
        data = {**example_contract()["data"], "contract_number": "VSC2501150001", "oem": oem}
        contract = ContractRecord("VSC2501150001", ContractStatus.ACTIVE, ContractSubmission.model_validate(data),
                                  revision=3, dealer_code="D\u00e9 1")
        claims = [AcceptedClaim(r.claim_number, content_hash(r), ClaimOrigin("ab" * 32, r.row), r.contract_number)
                  for r in rows]
        zone = ZoneInfo("America/Chicago")
        facts = claim_facts(progress, [(c, r, contract) for c, r in zip(claims, rows, strict=True)], zone)
        rendered = rendered_claim_facts(progress, [(c, canonical_json(r), contract)
                                                   for c, r in zip(claims, rows, strict=True)], zone)
        assert [RenderedFact(f.business_date, f.position, f.contract_number, render_fact(f)) for f in facts] == rendered
