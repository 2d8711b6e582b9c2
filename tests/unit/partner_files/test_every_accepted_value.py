"""Every value spec/EVENTS.md accepts is delivered in every format: no record is refused, none overflows its
fixed-width field, and every fixed-width line has the layout's length in bytes (PARTNER-FILES.md, "Fixed-width")."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from function_app.domain.delivery.fields import FIELDS
from function_app.domain.delivery.formats import FixedWidthWriter, writer_for
from function_app.domain.delivery.parsing import parse_rows
from function_app.domain.delivery.records import PiiLevel, pii_violations
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.kernel.messages import short_hash
from function_app.domain.realtime.contracts import ContractRecord, EventContext
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission
from tests.unit.partner_files.accepted import cancellation, submission, text
from tests.unit.partner_files.facts import BOOK
from tests.unit.partner_files.writing import write

BUSINESS_DATE = date(2026, 12, 31)


def context(step: int, event_id: str, dealer: str) -> EventContext:
    position = f"20261231T235959999999Z-cancellations-0031-{step:020d}"  # the longest a hub gives
    at = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    return EventContext(f"urn:dealer:{dealer}\n{event_id}", event_id, f"urn:dealer:{dealer}", position,
                        BUSINESS_DATE, at)


def decided(data: st.DataObject) -> list[JournalFact]:
    facts: list[JournalFact] = []
    for step, contract in enumerate(data.draw(st.lists(submission(), min_size=1, max_size=3), label="contracts")):
        parsed = ContractSubmission.model_validate(contract)
        ctx = context(2 * step, data.draw(text(128), label="event id"), parsed.dealer_code)
        record, outcomes = BOOK.submit(ContractRecord.empty(parsed.contract_number), parsed, short_hash(str(step)), ctx)
        facts.extend(outcomes[0].facts)
        if data.draw(st.booleans(), label="cancelled"):
            request = CancellationRequest.model_validate(data.draw(cancellation(contract), label="cancellation"))
            ctx = context(2 * step + 1, data.draw(text(128), label="event id"), parsed.dealer_code)
            _, outcome = BOOK.cancel(record, request, short_hash(f"c{step}"), ctx)
            assert len(outcome.facts) == 1, "a drawn cancellation, a dealer's or its lender's, is accepted"
            facts.extend(outcome.facts)
    return facts


def feed_fields(pii: PiiLevel) -> list[str]:
    return [name for name in FIELDS if not pii_violations([name], pii)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_every_format_delivers_every_accepted_record_and_fixed_width_lines_keep_their_byte_length(
    data: st.DataObject,
) -> None:
    facts = decided(data)
    assert facts
    for pii in PiiLevel:
        fields = feed_fields(pii)
        for format in ("csv", "fixed", "jsonl"):
            writer = writer_for(format, "a" * 40, "b" * 30, BUSINESS_DATE, 999_999, fields)
            written = write(writer, facts, fields, pii)
            assert writer.record_count == len(facts)
            assert len(parse_rows(format, written, fields)) == len(facts)
            read_back[format](written, fields, len(facts))
            if isinstance(writer, FixedWidthWriter):
                assert writer.overflows == (0, []), writer.overflows[1]
                lines = written.split(b"\n")
                assert lines.pop() == b""
                assert {len(line) for line in lines} == {writer.layout.record_length}
                assert bytes(line[0] for line in lines) == b"H" + b"D" * len(facts) + b"T"
                assert all(0x20 <= byte <= 0x7E for byte in written.replace(b"\n", b""))


def _csv(written: bytes, fields: list[str], count: int) -> None:
    rows = list(csv.reader(io.StringIO(written.decode("utf-8"), newline="")))
    assert rows[0] == fields and len(rows) == count + 1 and {len(row) for row in rows} == {len(fields)}


def _jsonl(written: bytes, fields: list[str], count: int) -> None:
    lines = written.decode("utf-8").splitlines()  # every Unicode line break: still one record a line
    documents: list[dict[str, Any]] = [json.loads(line) for line in lines]
    assert len(documents) == count and all(list(document) == fields for document in documents)


def _fixed(written: bytes, fields: list[str], count: int) -> None:
    assert len(written.decode("ascii").splitlines()) == count + 2


read_back = {"csv": _csv, "fixed": _fixed, "jsonl": _jsonl}
