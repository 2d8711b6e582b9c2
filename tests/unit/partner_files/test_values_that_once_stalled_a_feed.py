"""Regressions: values that once made a fixed-width delivery raise, leaving the feed's file claim pending so that
that date and every later one failed (a CR or LF or U+2028 in a name, `term_miles` 10,000,000, a sequence past
999). Whatever reaches the journal, the file is delivered, its lines keep their length, and the next file follows."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from function_app.adapters.delivery.memory import MemoryPartnerFiles
from function_app.domain.kernel.journal import JournalFact
from function_app.service_layer.delivery.jobs import DeliveryJob
from tests.partners import DAY, NOON, Clock, config, feed, memory_exchange
from tests.unit.partner_files.facts import sample_facts

FIELDS = ["journal_position", "contract_number", "customer_first_name", "customer_last_name", "term_miles"]
PARTNERS = config({"id": "adm-01", "name": "Admin One", "kind": "ADMINISTRATOR",
                   "feeds": [feed("nightly", format="fixed", fields=FIELDS, sla="PT15M")]})


def with_contract(fact: JournalFact, position: str, **changes: Any) -> JournalFact:
    contract = {**fact.data["contract"]}
    contract["customer"] = {**contract["customer"], **changes.pop("customer", {})}
    contract.update(changes)
    return replace(fact, position=position, business_date=DAY, data={**fact.data, "contract": contract})


def test_hostile_values_in_the_journal_never_stall_a_fixed_width_feed(caplog: pytest.LogCaptureFixture) -> None:
    base = sample_facts()[0]
    stamp = (NOON - timedelta(hours=2)).strftime("%Y%m%dT%H%M%S%fZ")
    hostile = [
        with_contract(base, f"{stamp}-contracts-0000-1", customer={"first_name": "Ann\r\nMarie"}),
        with_contract(base, f"{stamp}-contracts-0000-2", customer={"last_name": "O\u2028Neil\u2029"}),
        with_contract(base, f"{stamp}-contracts-0000-3", term_miles=10_000_000),
    ]
    clock = Clock(NOON)
    exchange = memory_exchange(PARTNERS, clock=clock)
    exchange.journal.append(hostile)
    with caplog.at_level(logging.WARNING):
        [first] = exchange.delivery.deliver(DeliveryJob("adm-01", "nightly", DAY), cut_now=True).files
    files = exchange.partner_files
    assert isinstance(files, MemoryPartnerFiles)
    lines = files.read("adm-01", first.blob_name).split(b"\n")
    assert lines.pop() == b"" and len(lines) == 5 and len({len(line) for line in lines}) == 1
    assert b"Ann  Marie" in lines[1] and b"O Neil " in lines[2]
    assert lines[3].rstrip().endswith(b"*******"), "term_miles past its 7 bytes is starred, not cut"
    assert "1 value(s) did not fit" in caplog.text and "'term_miles'" in caplog.text and "10000000" not in caplog.text

    later = (NOON + timedelta(minutes=5)).strftime("%Y%m%dT%H%M%S%fZ")
    exchange.journal.append([with_contract(base, f"{later}-contracts-0000-4")])
    clock.advance(minutes=30)
    [second] = exchange.delivery.deliver(DeliveryJob("adm-01", "nightly", DAY), cut_now=True).files
    assert second.sequence == first.sequence + 1 and second.record_count == 1
