"""A delivery job killed half-way, and two workers on one job, on every set of delivery adapters: what makes them
safe (version tokens on the feed state, a data blob committed whole, a file recorded once) is storage behaviour,
so it is proven on Azurite as well as in memory."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from function_app.adapters.delivery.memory import MemoryDeliveryStates, MemoryPartnerFiles
from function_app.adapters.kernel.memory import MemoryContractStore, MemoryDeadLetters, MemoryJournal
from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.domain.delivery.manifest import FileManifest
from function_app.service_layer.delivery.jobs import DeliveryJob
from function_app.service_layer.delivery.ports import BlobWrite, DeliveryStateStore, PartnerFileStore, Published
from function_app.service_layer.kernel.ports import ContractStore, DeadLetterStore, Journal
from tests.contracts import on_azurite
from tests.partners import DAY, DEFAULT_PARTNERS, NOON, Clock, contracts_of_the_day, decide

NIGHT = NOON + timedelta(hours=14)  # 02:00 the next morning in Chicago
JOB = DeliveryJob("adm-01", "nightly", DAY)
NAME = "outbound/nightly/2026/03/02/adm-01_nightly_20260302_001.txt"


@dataclass(frozen=True)
class Stores:
    contracts: ContractStore
    journal: Journal
    dead_letters: DeadLetterStore
    deliveries: DeliveryStateStore
    partner_files: PartnerFileStore


class Interposed(PartnerFileStore):
    """The real partner files, with a hook where a worker dies or another one runs."""

    def __init__(self, inner: PartnerFileStore) -> None:
        self.inner = inner

    def prepare(self, partner: str) -> None:
        self.inner.prepare(partner)

    def write_data(self, partner: str, name: str, chunks: Iterable[bytes], *, create: bool = False) -> BlobWrite:
        return self.inner.write_data(partner, name, chunks, create=create)

    def write_manifest(self, partner: str, name: str, manifest: FileManifest, *, create: bool = False) -> None:
        self.inner.write_manifest(partner, name, manifest, create=create)

    def publish(self, partner: str, name: str, data: bytes) -> Published:
        return self.inner.publish(partner, name, data)

    def read(self, partner: str, name: str) -> bytes:
        return self.inner.read(partner, name)

    def names(self, partner: str, prefix: str = "") -> Iterator[str]:
        return self.inner.names(partner, prefix)


class CrashBeforeManifest(Interposed):
    def __init__(self, inner: PartnerFileStore) -> None:
        super().__init__(inner)
        self.crash = True

    def write_manifest(self, partner: str, name: str, manifest: FileManifest, *, create: bool = False) -> None:
        if self.crash:
            self.crash = False
            raise ConnectionError("worker died between the data blob and its manifest")
        super().write_manifest(partner, name, manifest, create=create)


class OtherWorkerMeanwhile(Interposed):
    """While this worker streams its data blob, another worker runs the same job to the end."""

    def __init__(self, inner: PartnerFileStore, other: Exchange) -> None:
        super().__init__(inner)
        self.other = other
        self.armed = True

    def write_data(self, partner: str, name: str, chunks: Iterable[bytes], *, create: bool = False) -> BlobWrite:
        if self.armed:
            self.armed = False
            self.other.delivery.deliver(JOB)
        return super().write_data(partner, name, chunks, create=create)


def worker(stores: Stores, files: PartnerFileStore | None = None, clock: Clock | None = None) -> Exchange:
    """One Functions instance: its own exchange over the shared storage."""
    return bootstrap(
        load_settings({}), storage=memory_storage(), contracts=stores.contracts, journal=stores.journal,
        dead_letters=stores.dead_letters, deliveries=stores.deliveries, partner_files=files or stores.partner_files,
        partners=DEFAULT_PARTNERS, clock=clock or Clock(NIGHT),
    )


class DeliveryCrashContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> Stores: ...

    @pytest.fixture
    def stores(self, request: pytest.FixtureRequest) -> Stores:
        """A day of five contracts decided, and the night after it."""
        stores = self.make(request)
        decide(worker(stores, clock=Clock(NOON)), "contracts", list(contracts_of_the_day(5)))
        return stores

    def test_a_job_killed_between_data_and_manifest_completes_on_rerun(self, stores: Stores) -> None:
        files = CrashBeforeManifest(stores.partner_files)
        exchange = worker(stores, files)
        with pytest.raises(ConnectionError):
            exchange.delivery.deliver(JOB)
        first_bytes = files.read("adm-01", NAME)
        assert list(files.names("adm-01", "outbound/nightly/2026/")) == [NAME], "data without manifest: invisible"
        assert stores.deliveries.files("adm-01") == []
        result = worker(stores).delivery.deliver(JOB)  # the queue's retry, on any instance
        assert [f.blob_name for f in result.files] == [NAME]
        assert files.read("adm-01", NAME) == first_bytes
        assert sorted(files.names("adm-01", "outbound/nightly/2026/")) == [NAME, NAME + ".manifest.json"]
        assert [(f.sequence, f.record_count) for f in stores.deliveries.files("adm-01")] == [(1, 5)]

    def test_two_workers_on_the_same_job_produce_one_file(self, stores: Stores) -> None:
        files = OtherWorkerMeanwhile(stores.partner_files, worker(stores))
        result = worker(stores, files).delivery.deliver(JOB)
        assert result.files == [], "the other worker recorded the file first"
        records = stores.deliveries.files("adm-01", "nightly")
        assert [(f.sequence, f.record_count, f.blob_name) for f in records] == [(1, 5, NAME)]
        assert sorted(files.names("adm-01", "outbound/nightly/2026/")) == [NAME, NAME + ".manifest.json"]
        assert records[0].sha256 in files.read("adm-01", NAME + ".manifest.json").decode()
        assert worker(stores).delivery.deliver(JOB).files == [], "and nothing is left to deliver"


class TestDeliveryCrashesInMemory(DeliveryCrashContract):
    def make(self, request: pytest.FixtureRequest) -> Stores:
        return Stores(MemoryContractStore(), MemoryJournal(), MemoryDeadLetters(), MemoryDeliveryStates(),
                      MemoryPartnerFiles())


class TestDeliveryCrashesOnAzurite(DeliveryCrashContract):
    def make(self, request: pytest.FixtureRequest) -> Stores:
        settings = on_azurite.namespace(request)
        return Stores(on_azurite.contract_store(settings), on_azurite.journal(settings),
                      on_azurite.dead_letters(settings), on_azurite.delivery_states(settings),
                      on_azurite.partner_files(settings))
