"""The ContractStore contract: every adapter of the port passes the same tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from function_app.adapters.kernel.memory import MemoryContractStore
from function_app.domain.change_feed.records import Lsn
from function_app.domain.change_feed.source_of_record import RowVersion, SourceOfRecord
from function_app.domain.kernel.feedback import Decision, Feedback, Reason, ReasonCode
from function_app.domain.realtime.contracts import ContractRecord, ContractStatus, HeldRequest
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission
from function_app.service_layer.kernel.ports import (
    ContractChange,
    ContractStore,
    IdentityClaim,
    InboxEntry,
    InboxStatus,
    StoredContract,
)
from tests.contracts import on_azurite
from tests.events import cancellation, contract
from tests.refunds_owed import DECIDED, back_office, owing

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def answer(key: str, decision: Decision) -> Feedback:
    return Feedback.answering(key, in_reply_to=key, subject="C", decision=decision, time=T0)


def entry(key: str, routing: str) -> InboxEntry:
    return InboxEntry(key, routing, InboxStatus.DECIDED, (answer(key, Decision.accepted()),))


def active(number: str, revision: int = 1) -> ContractRecord:
    submission = ContractSubmission.model_validate(contract(number, revision=revision)["data"])
    return ContractRecord(number, ContractStatus.ACTIVE, submission, revision, f"h{revision}", "D1")


def held(key: str, at: datetime) -> HeldRequest:
    request = CancellationRequest.model_validate(cancellation("VSC0000001")["data"])
    return HeldRequest(key, key, "urn:dealer:D1", request, "h", at, "p")


class ContractStoreContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> ContractStore: ...

    @pytest.fixture
    def contracts(self, request: pytest.FixtureRequest) -> ContractStore:
        return self.make(request)

    def test_a_new_record_and_its_inbox_entry_are_written_together(self, contracts: ContractStore) -> None:
        blank = StoredContract(ContractRecord("VSC000001"))
        change = ContractChange("VSC000001", blank, active("VSC000001"), new_entries=[entry("e1", "VSC000001")])
        assert contracts.save([change]) == set()
        snapshot = contracts.load(["VSC000001", "VSC000002"], {"e1": "VSC000001", "e2": "VSC000002"})
        assert snapshot.contracts["VSC000001"].record == active("VSC000001")
        assert snapshot.contracts["VSC000001"].etag is not None
        assert set(snapshot.inbox) == {"e1"}
        assert snapshot.inbox["e1"] == entry("e1", "VSC000001")

    def test_creating_what_exists_loses_the_race_and_writes_nothing(self, contracts: ContractStore) -> None:
        blank = StoredContract(ContractRecord("VSC000001"))
        contracts.save([ContractChange("VSC000001", blank, active("VSC000001"),
                                       new_entries=[entry("e1", "VSC000001")])])
        again = ContractChange("VSC000001", blank, active("VSC000001", 2), new_entries=[entry("e2", "VSC000001")])
        other = ContractChange("VSC000009", StoredContract(ContractRecord("VSC000009")), active("VSC000009"))
        assert contracts.save([again, other]) == {"VSC000001"}
        snapshot = contracts.load(["VSC000001", "VSC000009"], {"e2": "VSC000001"})
        assert snapshot.contracts["VSC000001"].record.revision == 1
        assert snapshot.inbox == {}
        assert "VSC000009" in snapshot.contracts

    def test_a_stale_version_token_loses_the_race(self, contracts: ContractStore) -> None:
        contracts.save([ContractChange("C00001", StoredContract(ContractRecord("C00001")), active("C00001"))])
        first = contracts.load(["C00001"], {}).contracts["C00001"]
        assert contracts.save([ContractChange("C00001", first, active("C00001", 2))]) == set()
        assert contracts.save([ContractChange("C00001", first, active("C00001", 3))]) == {"C00001"}
        assert contracts.load(["C00001"], {}).contracts["C00001"].record.revision == 2

    def test_a_reused_inbox_key_is_a_conflict(self, contracts: ContractStore) -> None:
        blank = StoredContract(ContractRecord("C00002"))
        contracts.save([ContractChange("C00002", blank, blank.record, new_entries=[entry("k", "C00002")])])
        again = ContractChange("C00002", blank, blank.record, new_entries=[entry("k", "C00002")])
        assert contracts.save([again]) == {"C00002"}

    def test_held_requests_are_found_by_age_and_gone_once_released(self, contracts: ContractStore) -> None:
        waiting = ContractRecord("C00003", held=(held("old", T0), held("new", T0 + timedelta(hours=10))))
        contracts.save([ContractChange("C00003", StoredContract(ContractRecord("C00003")), waiting)])
        due = contracts.held_before(T0 + timedelta(hours=1))
        assert [(m.routing_key, m.input_key, m.received_at) for m in due] == [("C00003", "old", T0)]
        stored = contracts.load(["C00003"], {}).contracts["C00003"]
        contracts.save([ContractChange("C00003", stored, waiting.without_held(["old"]))])
        assert [m.input_key for m in contracts.held_before(T0 + timedelta(days=1))] == ["new"]

    def test_an_identity_is_claimed_once_and_the_first_claim_stands(self, contracts: ContractStore) -> None:
        first = [IdentityClaim(f"urn:dealer:D1\nid-{i}", f"C{i:05d}", T0) for i in range(130)]
        standing = contracts.claim(first[:60])
        assert {k: c.routing_key for k, c in standing.items()} == {c.input_key: c.routing_key for c in first[:60]}
        later = [IdentityClaim(c.input_key, "OTHER1", T0 + timedelta(hours=1)) for c in first[:60]]
        standing = contracts.claim([*later, *first[60:]])  # more than a transaction's worth, half of them taken
        assert {c.routing_key for k, c in standing.items() if k in {x.input_key for x in later}} == {
            f"C{i:05d}" for i in range(60)
        }
        assert len(standing) == 130 and standing[first[129].input_key].routing_key == "C00129"
        assert standing[first[0].input_key].claimed_at == T0

    def test_a_claim_is_taken_over_only_from_the_version_read(self, contracts: ContractStore) -> None:
        key = "urn:dealer:D1\nreused"
        stale = contracts.claim([IdentityClaim(key, "C00001", T0)])[key]
        assert stale.etag is not None
        assert contracts.take_over(stale, IdentityClaim(key, "C00002", T0 + timedelta(hours=1)))
        assert not contracts.take_over(stale, IdentityClaim(key, "C00003", T0 + timedelta(hours=1)))
        assert contracts.claim([IdentityClaim(key, "C00004", T0)])[key].routing_key == "C00002"

    def test_an_inbox_entry_is_found_under_the_contract_it_was_written_with(self, contracts: ContractStore) -> None:
        blank = StoredContract(ContractRecord("C00005"))
        contracts.save([ContractChange("C00005", blank, blank.record, new_entries=[entry("k", "C00005")])])
        assert contracts.load([], {"k": "C00005"}).inbox == {"k": entry("k", "C00005")}
        assert contracts.load([], {"k": "C00004"}).inbox == {}

    def test_an_entry_and_a_record_larger_than_a_property_are_stored_whole(self, contracts: ContractStore) -> None:
        text = "".join(chr(0x4E00 + i % 20000) for i in range(120_000))  # 240 KiB of UTF-16, not very compressible
        refused = Decision.rejected(Reason(ReasonCode.SCHEMA_INVALID, None, text))
        big = InboxEntry("k", "C00006", InboxStatus.DECIDED, (answer("k", refused),))
        row = RowVersion(Lsn("0000002a:00000a10:0003", "0000002a:00000a10:0002", 1), {"note": text[:50_000]})
        record = replace(active("C00006"), source_of_record=SourceOfRecord(row))
        blank = StoredContract(ContractRecord("C00006"))
        assert contracts.save([ContractChange("C00006", blank, record, new_entries=[big])]) == set()
        snapshot = contracts.load(["C00006"], {"k": "C00006"})
        assert snapshot.inbox["k"] == big
        assert snapshot.contracts["C00006"].record == record

    def test_every_record_is_listed_and_a_contract_deleted_with_its_inbox_and_markers(
        self, contracts: ContractStore
    ) -> None:
        gone = replace(active("C00007"), held=(held("h7", T0),))
        entries = [entry(f"k7-{i:03d}", "C00007") for i in range(130)]  # more than one transaction's worth
        contracts.save([ContractChange("C00007", StoredContract(ContractRecord("C00007")), gone,
                                       new_entries=entries[:65])])
        stored = contracts.load(["C00007"], {}).contracts["C00007"]
        contracts.save([ContractChange("C00007", stored, gone, new_entries=entries[65:]),
                        *[ContractChange(n, StoredContract(ContractRecord(n)), active(n), new_entries=[entry(k, n)])
                          for n, k in [("C00008", "k8"), ("C00009", "k9")]]])
        assert sorted(r.contract_number for r in contracts.every_record()) == ["C00007", "C00008", "C00009"]
        contracts.delete(["C00007", "C00009", "C00404"])  # one never held
        contracts.delete(["C00007"])  # again: nothing there, nothing raised
        assert [r.contract_number for r in contracts.every_record()] == ["C00008"]
        snapshot = contracts.load(["C00007", "C00008", "C00009"], {"k7-000": "C00007", "k7-129": "C00007",
                                                                   "k8": "C00008", "k9": "C00009"})
        assert set(snapshot.contracts) == {"C00008"} and set(snapshot.inbox) == {"k8"}
        assert contracts.held_before(T0 + timedelta(days=1)) == []


    def test_refunds_owed_are_found_until_the_back_office_reports_them_paid(self, contracts: ContractStore) -> None:
        owed = [owing(f"C0001{i}") for i in range(3)]
        no_rule, paid = owing("C00020", due_days=None), owing("C00021", paid=DECIDED)
        contracts.save([ContractChange(r.contract_number, StoredContract(ContractRecord(r.contract_number)), r)
                        for r in [*owed, no_rule, paid, active("C00022")]])
        assert sorted(r.contract_number for r in contracts.refunds_owed()) == ["C00010", "C00011", "C00012"]
        assert {r.contract_number: r for r in contracts.refunds_owed()}["C00010"] == owed[0]  # the whole record
        stored = contracts.load(["C00011"], {}).contracts["C00011"]
        reported = replace(stored.record, source_of_record=back_office("C00011", DECIDED, lsn=2))
        contracts.save([ContractChange("C00011", stored, reported)])
        assert sorted(r.contract_number for r in contracts.refunds_owed()) == ["C00010", "C00012"]
        stored = contracts.load(["C00011"], {}).contracts["C00011"]
        unpaid_again = replace(stored.record, source_of_record=back_office("C00011", None, lsn=3))
        contracts.save([ContractChange("C00011", stored, unpaid_again)])
        assert sorted(r.contract_number for r in contracts.refunds_owed()) == ["C00010", "C00011", "C00012"]


class TestContractStoreInMemory(ContractStoreContract):
    def make(self, request: pytest.FixtureRequest) -> ContractStore:
        return MemoryContractStore()


class TestContractStoreOnAzurite(ContractStoreContract):
    def make(self, request: pytest.FixtureRequest) -> ContractStore:
        return on_azurite.contract_store(on_azurite.namespace(request))
