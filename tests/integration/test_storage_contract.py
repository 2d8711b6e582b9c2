"""One contract per storage port, run against the in-memory adapter and the Azure adapter on Azurite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from function_app.adapters.memory import MemoryContractStore, MemoryDeadLetters, MemoryJournal
from function_app.bootstrap import bootstrap
from function_app.config import Settings
from function_app.domain.contracts import ContractRecord, ContractStatus, HeldRequest
from function_app.domain.journal import FactKind, JournalFact
from function_app.service_layer.ports import (
    ContractChange,
    ContractStore,
    DeadLetter,
    DeadLetterStore,
    InboxEntry,
    InboxStatus,
    Journal,
    StoredContract,
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "azurite"])
def stores(request: pytest.FixtureRequest) -> Iterator[tuple[ContractStore, Journal, DeadLetterStore]]:
    if request.param == "memory":
        yield MemoryContractStore(), MemoryJournal(), MemoryDeadLetters()
        return
    settings: Settings = request.getfixturevalue("storage_settings")
    exchange = bootstrap(settings)
    yield exchange.contracts, exchange.journal, exchange.dead_letters


def entry(key: str, routing: str) -> InboxEntry:
    return InboxEntry(key, routing, InboxStatus.DECIDED, ({"id": "fb-" + key, "data": {"status": "ACCEPTED"}},))


def active(number: str, revision: int = 1) -> ContractRecord:
    return ContractRecord(number, ContractStatus.ACTIVE, {"n": number}, revision, f"h{revision}", "D1")


def held(key: str, at: datetime) -> HeldRequest:
    return HeldRequest(key, key, "urn:dealer:D1", {"contract_number": "C"}, "h", at, "p")


def test_a_new_record_and_its_inbox_entry_are_written_together(stores: tuple[ContractStore, Journal,
                                                                               DeadLetterStore]) -> None:
    contracts, _, _ = stores
    blank = StoredContract(ContractRecord("VSC000001"))
    change = ContractChange("VSC000001", blank, active("VSC000001"), new_entries=[entry("e1", "VSC000001")])
    assert contracts.save([change]) == set()
    snapshot = contracts.load(["VSC000001", "VSC000002"], {"e1": "VSC000001", "e2": "VSC000002"})
    assert snapshot.contracts["VSC000001"].record == active("VSC000001")
    assert set(snapshot.inbox) == {"e1"}
    assert snapshot.inbox["e1"] == entry("e1", "VSC000001")


def test_creating_what_exists_loses_the_race_and_writes_nothing(stores: tuple[ContractStore, Journal,
                                                                               DeadLetterStore]) -> None:
    contracts, _, _ = stores
    blank = StoredContract(ContractRecord("VSC000001"))
    contracts.save([ContractChange("VSC000001", blank, active("VSC000001"), new_entries=[entry("e1", "VSC000001")])])
    again = ContractChange("VSC000001", blank, active("VSC000001", 2), new_entries=[entry("e2", "VSC000001")])
    other = ContractChange("VSC000009", StoredContract(ContractRecord("VSC000009")), active("VSC000009"))
    assert contracts.save([again, other]) == {"VSC000001"}
    snapshot = contracts.load(["VSC000001", "VSC000009"], {"e2": "VSC000001"})
    assert snapshot.contracts["VSC000001"].record.revision == 1
    assert snapshot.inbox == {}
    assert "VSC000009" in snapshot.contracts


def test_a_stale_version_token_loses_the_race(stores: tuple[ContractStore, Journal, DeadLetterStore]) -> None:
    contracts, _, _ = stores
    contracts.save([ContractChange("C00001", StoredContract(ContractRecord("C00001")), active("C00001"))])
    first = contracts.load(["C00001"], {}).contracts["C00001"]
    assert contracts.save([ContractChange("C00001", first, active("C00001", 2))]) == set()
    assert contracts.save([ContractChange("C00001", first, active("C00001", 3))]) == {"C00001"}
    assert contracts.load(["C00001"], {}).contracts["C00001"].record.revision == 2


def test_a_reused_inbox_key_is_a_conflict(stores: tuple[ContractStore, Journal, DeadLetterStore]) -> None:
    contracts, _, _ = stores
    blank = StoredContract(ContractRecord("C00002"))
    contracts.save([ContractChange("C00002", blank, blank.record, new_entries=[entry("k", "C00002")])])
    assert contracts.save([ContractChange("C00002", blank, blank.record, new_entries=[entry("k", "C00002")])]) == {
        "C00002"
    }


def test_held_requests_are_found_by_age_and_gone_once_released(stores: tuple[ContractStore, Journal,
                                                                              DeadLetterStore]) -> None:
    contracts, _, _ = stores
    waiting = ContractRecord("C00003", held=(held("old", T0), held("new", T0 + timedelta(hours=10))))
    contracts.save([ContractChange("C00003", StoredContract(ContractRecord("C00003")), waiting)])
    due = contracts.held_before(T0 + timedelta(hours=1))
    assert [(m.routing_key, m.input_key) for m in due] == [("C00003", "old")]
    stored = contracts.load(["C00003"], {}).contracts["C00003"]
    contracts.save([ContractChange("C00003", stored, waiting.without_held(["old"]))])
    assert contracts.held_before(T0 + timedelta(days=1))[0].input_key == "new"
    assert len(contracts.held_before(T0 + timedelta(days=1))) == 1


def fact(position: str, day: date = date(2026, 3, 2)) -> JournalFact:
    return JournalFact(day, position, FactKind.CONTRACT_ACCEPTED, "C1", 1, "D1", "VSC", None, "ADM-01", "e", "s",
                       {"contract": {"name": "Zoë =SUM(A1)"}})


def test_journal_is_idempotent_and_reads_one_date_in_position_order(stores: tuple[ContractStore, Journal,
                                                                                  DeadLetterStore]) -> None:
    _, journal, _ = stores
    journal.append([fact("p3"), fact("p1"), fact("p9", date(2026, 3, 3))])
    journal.append([fact("p1"), fact("p2")])
    assert [f.position for f in journal.read(date(2026, 3, 2))] == ["p1", "p2", "p3"]
    assert [f.position for f in journal.read(date(2026, 3, 2), after="p1")] == ["p2", "p3"]
    assert next(iter(journal.read(date(2026, 3, 2)))) == fact("p1")


def test_journal_writes_more_than_one_transaction_worth(stores: tuple[ContractStore, Journal,
                                                                      DeadLetterStore]) -> None:
    _, journal, _ = stores
    journal.append([fact(f"p{i:04d}") for i in range(250)])
    assert len(list(journal.read(date(2026, 3, 2)))) == 250


def test_a_run_reads_back_among_single_facts_from_any_watermark(stores: tuple[ContractStore, Journal,
                                                                                 DeadLetterStore]) -> None:
    _, journal, _ = stores
    run = [fact(f"p5-{i:04d}") for i in range(300)]
    journal.append([fact("p1"), fact("p9")])
    journal.append_run([*reversed(run), fact("p5-0007", date(2026, 3, 3))])
    journal.append_run(run)  # a retried chunk: stored once
    everything = list(journal.read(date(2026, 3, 2)))
    assert everything == [fact("p1"), *run, fact("p9")]
    # a watermark inside the run (a micro-batch cut mid-chunk) resumes right after it
    assert [f.position for f in journal.read(date(2026, 3, 2), after="p5-0150")][:2] == ["p5-0151", "p5-0152"]
    assert len(list(journal.read(date(2026, 3, 2), after="p5-0150"))) == 149 + 1
    assert [f.position for f in journal.read(date(2026, 3, 2), after="p5-0299")] == ["p9"]
    assert [f.position for f in journal.read(date(2026, 3, 3))] == ["p5-0007"]


def test_dead_letters_keep_body_and_reasons(stores: tuple[ContractStore, Journal, DeadLetterStore]) -> None:
    _, _, letters = stores
    letter = DeadLetter("contracts", date(2026, 3, 2), "x.1", "k", "x", "s", "3", 7, T0,
                        ({"code": "MALFORMED", "field": None, "message": "m"},), b"\xff not utf-8")
    letters.put([letter, letter])
    assert list(letters.names("contracts/2026-03-02/")) == ["contracts/2026-03-02/x.1.json"]
    assert letters.get(letter.blob_name) == letter
    assert letters.replayed(letter.blob_name) is None
    letters.mark_replayed(letter.blob_name, "ACCEPTED")
    assert letters.replayed(letter.blob_name) == "ACCEPTED"
    with pytest.raises(KeyError):
        letters.get("contracts/2026-03-02/nope.json")
