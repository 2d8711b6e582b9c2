"""The PartnerFileStore contract: every adapter of the port passes the same tests."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from function_app.adapters.delivery.memory import MemoryPartnerFiles
from function_app.domain.delivery.manifest import FileManifest, Span
from function_app.service_layer.delivery.ports import BlobTaken, BlobWrite, PartnerFileStore, Published
from tests.contracts import on_azurite

NAME = "outbound/nightly/2026/03/02/adm-01_nightly_20260302_001.csv"


class PartnerFileStoreContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> PartnerFileStore: ...

    @pytest.fixture
    def files(self, request: pytest.FixtureRequest) -> PartnerFileStore:
        return self.make(request)

    def test_data_is_written_from_chunks_and_read_back_whole(self, files: PartnerFileStore) -> None:
        chunks = [bytes([65 + i % 26]) * 333 for i in range(20)]
        data = b"".join(chunks)
        assert files.write_data("adm-01", NAME, iter(chunks)) == BlobWrite(hashlib.sha256(data).hexdigest(), len(data))
        assert files.read("adm-01", NAME) == data

    def test_no_chunks_is_an_empty_file(self, files: PartnerFileStore) -> None:
        assert files.write_data("adm-01", NAME, iter([])) == BlobWrite(hashlib.sha256(b"").hexdigest(), 0)
        assert files.read("adm-01", NAME) == b""

    def test_a_write_that_fails_part_way_leaves_nothing_visible(self, files: PartnerFileStore) -> None:
        def dying() -> Iterator[bytes]:
            yield b"H|adm-01\n"
            raise ConnectionError("the journal went away mid-file")

        with pytest.raises(ConnectionError):
            files.write_data("adm-01", NAME, dying())
        assert list(files.names("adm-01")) == []
        with pytest.raises(KeyError):
            files.read("adm-01", NAME)

    def test_a_missing_blob_or_partner_is_a_key_error(self, files: PartnerFileStore) -> None:
        files.write_data("adm-01", NAME, [b"x"])
        with pytest.raises(KeyError):
            files.read("adm-01", NAME + ".manifest.json")
        with pytest.raises(KeyError):
            files.read("oem-toyota", NAME)

    def test_the_manifest_is_utf8_json_of_the_document(self, files: PartnerFileStore) -> None:
        manifest = FileManifest("adm-01", "nightly", date(2026, 3, 2), 1, NAME, "fixed", 3, {"retail_price": "1.00"},
                                "ab" * 32, 300, datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
                                {"2026-03-02": Span("Zoë Łukasz", "Zoë Łukasz")})
        files.write_manifest("adm-01", NAME + ".manifest.json", manifest)
        data = files.read("adm-01", NAME + ".manifest.json")
        assert json.loads(data.decode("utf-8")) == manifest.to_json()
        assert "Zoë Łukasz" in data.decode("utf-8"), "UTF-8 as itself, not escaped"
        assert data.endswith(b"\n")

    def test_a_document_is_published_once_and_never_overwritten(self, files: PartnerFileStore) -> None:
        layout = b'{"record_length": 120}'
        assert files.publish("adm-01", "outbound/nightly/layout.json", layout) == Published.WRITTEN
        assert files.publish("adm-01", "outbound/nightly/layout.json", layout) == Published.UNCHANGED
        assert files.publish("adm-01", "outbound/nightly/layout.json", b"{}") == Published.DIFFERS
        assert files.read("adm-01", "outbound/nightly/layout.json") == layout

    def test_a_file_created_only_where_its_name_is_free_or_holds_the_same_bytes(self, files: PartnerFileStore) -> None:
        planted = b"H|someone else's file\n"
        files.write_data("adm-01", NAME, [planted])
        with pytest.raises(BlobTaken):
            files.write_data("adm-01", NAME, [b"H|adm-01\n", b"D|1\n"], create=True)
        assert files.read("adm-01", NAME) == planted, "nothing written over it"
        again = files.write_data("adm-01", NAME, [planted], create=True)  # a rerun after a crash: the same bytes
        assert again == BlobWrite(hashlib.sha256(planted).hexdigest(), len(planted))
        files.write_data("adm-01", NAME + ".x", [b"new"], create=True)
        assert files.read("adm-01", NAME + ".x") == b"new"

    def test_a_manifest_created_only_where_its_name_is_free_or_holds_the_same(self, files: PartnerFileStore) -> None:
        manifest = FileManifest("adm-01", "nightly", date(2026, 3, 2), 1, NAME, "csv", 0, {}, "ab" * 32, 0,
                                datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
        files.write_manifest("adm-01", NAME + ".manifest.json", manifest, create=True)
        files.write_manifest("adm-01", NAME + ".manifest.json", manifest, create=True)  # the same document
        with pytest.raises(BlobTaken):
            files.write_manifest("adm-01", NAME + ".manifest.json", replace(manifest, record_count=1), create=True)
        assert json.loads(files.read("adm-01", NAME + ".manifest.json"))["record_count"] == 0

    def test_names_are_the_partners_own_in_order_under_a_prefix(self, files: PartnerFileStore) -> None:
        files.prepare("adm-01")
        assert list(files.names("adm-01")) == [], "a prepared container is empty"
        for name in (NAME, "outbound/nightly/layout.json", "inbound/ack/x.ack", NAME + ".manifest.json"):
            files.write_data("adm-01", name, [b"x"])
        files.write_data("adm-0", "outbound/other.csv", [b"y"])
        assert list(files.names("adm-01", "outbound/")) == [NAME, NAME + ".manifest.json",
                                                             "outbound/nightly/layout.json"]
        assert list(files.names("adm-01")) == ["inbound/ack/x.ack", NAME, NAME + ".manifest.json",
                                               "outbound/nightly/layout.json"]
        assert list(files.names("adm-0")) == ["outbound/other.csv"]
        assert list(files.names("oem-toyota")) == []


class TestPartnerFilesInMemory(PartnerFileStoreContract):
    def make(self, request: pytest.FixtureRequest) -> PartnerFileStore:
        return MemoryPartnerFiles()


class TestPartnerFilesOnAzurite(PartnerFileStoreContract):
    def make(self, request: pytest.FixtureRequest) -> PartnerFileStore:
        return on_azurite.partner_files(on_azurite.namespace(request))
