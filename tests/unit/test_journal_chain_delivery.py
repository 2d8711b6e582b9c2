"""`journal_chain` in every manifest: the link of the date's chain over ALL its facts (every feed's) at the last
position the file holds, carried in the feed's state so that a micro-batch file reads only after its watermark."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from function_app.adapters.kernel.memory import MemoryJournal
from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.domain.kernel.chain import genesis, links
from function_app.domain.kernel.journal import JournalFact
from function_app.service_layer.delivery.jobs import DeliveryJob
from tests.partners import DAY, NOON, Clock, config, contracts_of_the_day, decide, feed

PARTNERS = config(
    {"id": "oem-toyota", "name": "Toyota", "kind": "OEM",
     "feeds": [feed("micro", filter={"oems": ["TOYOTA"]}, sla="PT15M", cut_at_records=50),
               feed("nightly", filter={"oems": ["LEXUS"]})]},
)


class ReadsJournal(MemoryJournal):
    """Counts reads of a date from its start."""

    def __init__(self) -> None:
        super().__init__()
        self.from_start: list[date] = []

    def read(self, business_date: date, after: str | None = None) -> Iterator[JournalFact]:
        if after is None:
            self.from_start.append(business_date)
        return super().read(business_date, after)


def exchange_at(clock: Clock) -> tuple[Exchange, ReadsJournal]:
    journal = ReadsJournal()
    storage = memory_storage()
    exchange = bootstrap(load_settings({}), storage=storage, partners=PARTNERS, clock=clock, journal=journal)
    return exchange, journal


def manifest(exchange: Exchange, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(exchange.partner_files.read("oem-toyota", name + ".manifest.json"))
    return document


def whole_date(exchange: Exchange) -> dict[str, str]:
    return {item.position: item.value for item in links(DAY, exchange.journal.read(DAY))}


def test_a_micro_files_journal_chain_is_the_link_over_the_whole_date_without_rereading_it() -> None:
    clock = Clock(NOON)
    exchange, journal = exchange_at(clock)
    job = DeliveryJob("oem-toyota", "micro", DAY)
    decide(exchange, "contracts", list(contracts_of_the_day(6)))  # Toyota and Honda alternate
    clock.advance(minutes=20)
    [first] = exchange.delivery.deliver(job).files
    decide(exchange, "contracts", list(contracts_of_the_day(5, prefix="MIC")), start=10)
    clock.advance(minutes=30)
    journal.from_start.clear()
    [second] = exchange.delivery.deliver(job).files
    assert DAY not in journal.from_start, "the second file starts from the link its feed's state carried"
    chain = whole_date(exchange)
    for file in (first, second):
        document = manifest(exchange, file.blob_name)
        last = document["lineage"]["by_business_date"]["2026-03-02"]["last"]
        assert document["journal_chain"] == chain[last]
    # the chain runs over every fact of the date, the Honda facts this feed never receives too
    last_of_second = manifest(exchange, second.blob_name)["lineage"]["last_position"]
    honda = [f for f in exchange.journal.read(DAY) if f.oem == "HONDA" and f.position < last_of_second]
    assert honda and manifest(exchange, second.blob_name)["journal_chain"] != _link_over_toyota_only(exchange)
    state, _ = exchange.deliveries.read("oem-toyota", "micro")
    watermark = state.watermarks["2026-03-02"]
    assert state.chains["2026-03-02"] == chain[max(p for p in chain if p <= watermark)]


def _link_over_toyota_only(exchange: Exchange) -> str:
    return [item.value for item in links(DAY, (f for f in exchange.journal.read(DAY) if f.oem == "TOYOTA"))][-1]


def test_a_file_without_facts_of_its_date_quotes_the_link_where_its_range_stops() -> None:
    clock = Clock(NOON)
    exchange, _ = exchange_at(clock)
    decide(exchange, "contracts", list(contracts_of_the_day(4)))  # none is a Lexus: the nightly file is empty
    clock.now = NOON + timedelta(hours=14)
    [file] = exchange.delivery.deliver(DeliveryJob("oem-toyota", "nightly", DAY)).files
    assert file.record_count == 0
    assert manifest(exchange, file.blob_name)["journal_chain"] == list(whole_date(exchange).values())[-1]


def test_a_quiet_date_quotes_its_genesis_and_a_resend_gives_the_same_manifest() -> None:
    exchange, _ = exchange_at(Clock(NOON + timedelta(hours=14)))
    [file] = exchange.delivery.deliver(DeliveryJob("oem-toyota", "nightly", DAY)).files
    assert manifest(exchange, file.blob_name)["journal_chain"] == genesis(DAY)
    assert exchange.delivery.resend("oem-toyota", file.blob_name).manifest.value == "UNCHANGED"
