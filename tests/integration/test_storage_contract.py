"""One contract per storage port, run against the in-memory adapter and the Azure adapter on Azurite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from function_app.adapters.memory import MemoryContractStore, MemoryDeadLetters, MemoryJournal
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings, load_settings
from function_app.domain.contracts import ContractRecord, ContractStatus, HeldRequest
from function_app.domain.journal import FactKind, JournalFact
from function_app.service_layer.ports import (
    ContractChange,
    ContractStore,
    DeadLetter,
    DeadLetterStore,
    IdentityClaim,
    InboxEntry,
    InboxStatus,
    Journal,
    StoredContract,
)
from tests import events
from tests.events import messages

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
                        ({"code": "MALFORMED", "field": None, "message": "m"},), b"\xff not utf-8",
                        partition_key="D10442", properties={"cloudEvents_id": "x", "cloudEvents_n": 3,
                                                            "content-type": "application/json"})
    letters.put([letter, letter])
    assert list(letters.names("contracts/2026-03-02/")) == ["contracts/2026-03-02/x.1.json"]
    assert letters.get(letter.blob_name) == letter
    assert letters.replayed(letter.blob_name) is None
    letters.mark_replayed(letter.blob_name, "ACCEPTED")
    assert letters.replayed(letter.blob_name) == "ACCEPTED"
    with pytest.raises(KeyError):
        letters.get("contracts/2026-03-02/nope.json")


# --- identity: an input is found by `source` + `id`, whatever contract a later message names -------------------


def test_an_identity_is_claimed_once_and_the_first_claim_stands(stores: tuple[ContractStore, Journal,
                                                                              DeadLetterStore]) -> None:
    contracts, _, _ = stores
    first = [IdentityClaim(f"urn:dealer:D1\nid-{i}", f"C{i:05d}", T0) for i in range(130)]
    standing = contracts.claim(first[:60])
    assert {k: c.routing_key for k, c in standing.items()} == {c.input_key: c.routing_key for c in first[:60]}
    later = [IdentityClaim(c.input_key, "OTHER1", T0 + timedelta(hours=1)) for c in first[:60]]
    standing = contracts.claim([*later, *first[60:]])  # more than a transaction's worth, half of them taken
    assert {c.routing_key for k, c in standing.items() if k in {x.input_key for x in later}} == {
        f"C{i:05d}" for i in range(60)
    }
    assert len(standing) == 130 and standing[first[129].input_key].routing_key == "C00129"


def test_a_claim_is_taken_over_only_from_the_version_read(stores: tuple[ContractStore, Journal,
                                                                        DeadLetterStore]) -> None:
    contracts, _, _ = stores
    key = "urn:dealer:D1\nreused"
    stale = contracts.claim([IdentityClaim(key, "C00001", T0)])[key]
    assert contracts.take_over(stale, IdentityClaim(key, "C00002", T0 + timedelta(hours=1)))
    assert not contracts.take_over(stale, IdentityClaim(key, "C00003", T0 + timedelta(hours=1)))
    assert contracts.claim([IdentityClaim(key, "C00004", T0)])[key].routing_key == "C00002"


def test_an_inbox_entry_is_found_under_the_contract_it_was_written_with(stores: tuple[ContractStore, Journal,
                                                                                      DeadLetterStore]) -> None:
    contracts, _, _ = stores
    blank = StoredContract(ContractRecord("C00005"))
    contracts.save([ContractChange("C00005", blank, blank.record, new_entries=[entry("k", "C00005")])])
    assert contracts.load([], {"k": "C00005"}).inbox == {"k": entry("k", "C00005")}


def test_an_entry_and_a_record_larger_than_a_property_are_stored_whole(stores: tuple[ContractStore, Journal,
                                                                                     DeadLetterStore]) -> None:
    contracts, _, _ = stores
    text = "".join(chr(0x4E00 + i % 20000) for i in range(120_000))  # 240 KiB of UTF-16, not very compressible
    big = InboxEntry("k", "C00006", InboxStatus.DECIDED, ({"id": "fb-k", "data": {"note": text}},))
    record = ContractRecord("C00006", ContractStatus.ACTIVE, {"n": text[:50_000]}, 1, "h", "D1")
    blank = StoredContract(ContractRecord("C00006"))
    assert contracts.save([ContractChange("C00006", blank, record, new_entries=[big])]) == set()
    snapshot = contracts.load(["C00006"], {"k": "C00006"})
    assert snapshot.inbox["k"] == big
    assert snapshot.contracts["C00006"].record == record


# --- the real-time service on each adapter: the defects found by trying inputs as an attacker would ------------


@pytest.fixture
def service(stores: tuple[ContractStore, Journal, DeadLetterStore]) -> Exchange:
    contracts, journal, letters = stores
    return bootstrap(load_settings({}), contracts=contracts, journal=journal, dead_letters=letters)


def test_an_id_reused_for_a_contract_in_another_partition_gets_the_first_answer(service: Exchange) -> None:
    """VSC7000001, -02 and -04 share a partition of four; -03 and -05 are in others."""
    first = service.realtime.process(messages("contracts", [events.contract("VSC7000001", event_id="x1")]))
    elsewhere = service.realtime.process(messages("contracts", [events.contract("VSC7000003", event_id="x1")],
                                                  start=3))
    beside = service.realtime.process(messages("contracts", [events.contract("VSC7000002", event_id="x1")], start=4))
    same_batch = service.realtime.process(messages("contracts", [
        events.contract("VSC7000004", event_id="x2"), events.contract("VSC7000005", event_id="x2"),
        events.contract("VSC7000002", event_id="x2")], start=5))
    assert elsewhere.feedback == beside.feedback == first.feedback
    assert [fb["subject"] for fb in same_batch.feedback] == ["VSC7000004"] * 3
    assert len({fb["id"] for fb in same_batch.feedback}) == 1
    assert set(service.contracts.load([f"VSC700000{i}" for i in range(1, 6)], {}).contracts) == {
        "VSC7000001", "VSC7000004"}


def test_fifty_requests_for_a_contract_not_yet_there_then_the_contract(service: Exchange) -> None:
    """About 50 held requests made the contract's arrival exceed one transaction, then one property."""
    requests = [events.cancellation("VSC7000010", event_id=f"c{i}", odometer=20_000 + i) for i in range(50)]
    waiting = service.realtime.process(messages("cancellations", requests))
    assert waiting.held == 10 and len(waiting.feedback) == 40
    arrival = service.realtime.process(messages("contracts", [events.contract("VSC7000010")], start=60))
    assert [fb["data"]["status"] for fb in arrival.feedback][:1] == ["ACCEPTED"]
    assert len(arrival.feedback) == 11
    assert service.contracts.held_before(T0 + timedelta(days=30)) == []


def test_every_rejected_input_keeps_its_own_dead_letter(service: Exchange) -> None:
    """`bad#1` and `bad_1` read alike once made safe for a blob name: their letters used to collapse into one."""
    rejected = [events.contract("BAD", event_id=event_id) for event_id in ("bad#1", "bad_1", "bad/1", "bäd_1")]
    other_sender = events.contract("BAD", event_id="bad#1", dealer="D20117")
    report = service.realtime.process(messages("contracts", [*rejected, other_sender, b"{", b"{ "]))
    assert len(set(report.dead_letters)) == 7
    stored = list(service.dead_letters.names("contracts/"))
    assert sorted(stored) == sorted(report.dead_letters)
    assert {service.dead_letters.get(name).event_id for name in stored} == {
        "bad#1", "bad_1", "bad/1", "bäd_1", None}
