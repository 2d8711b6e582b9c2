"""The ClaimsInbox contract: every adapter of the port passes the same tests."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable

import pytest

from function_app.adapters.claims.memory import MemoryClaimsInbox
from function_app.domain.claims.results import ResultsManifest
from function_app.service_layer.claims.ports import BlobChanged, BlobTooLarge, ClaimsInbox
from tests.contracts import on_azurite

Upload = Callable[[str, str, bytes], None]  # partner, blob name, bytes: what a partner puts in its container
NAME = "inbound/claims/adm-01_claims_20260302_001.csv"
MIB = 1024 * 1024


class ClaimsInboxContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> tuple[ClaimsInbox, Upload]: ...

    @pytest.fixture
    def made(self, request: pytest.FixtureRequest) -> tuple[ClaimsInbox, Upload]:
        return self.make(request)

    @pytest.fixture
    def inbox(self, made: tuple[ClaimsInbox, Upload]) -> ClaimsInbox:
        return made[0]

    @pytest.fixture
    def upload(self, made: tuple[ClaimsInbox, Upload]) -> Upload:
        return made[1]

    def test_data_files_are_the_csv_files_right_under_inbound_claims(self, inbox: ClaimsInbox,
                                                                     upload: Upload) -> None:
        assert inbox.data_files("adm-01") == [], "no container yet"
        later = NAME.replace("_001", "_002")
        for name in (later, NAME, NAME + ".manifest.json", "inbound/claims/old/x.csv", "inbound/ack/y.csv",
                     "inbound/claims/notes.txt"):
            upload("adm-01", name, b"x")
        upload("adm-0", "inbound/claims/z.csv", b"x")
        assert inbox.data_files("adm-01") == [NAME, later]
        assert inbox.data_files("adm-0") == ["inbound/claims/z.csv"]

    def test_a_small_blob_is_read_whole_within_its_limit(self, inbox: ClaimsInbox, upload: Upload) -> None:
        assert inbox.read_small("adm-01", NAME + ".manifest.json", 100) is None
        upload("adm-01", NAME + ".manifest.json", b"{}" * 50)
        upload("adm-01", "inbound/claims/empty.csv", b"")
        assert inbox.read_small("adm-01", NAME + ".manifest.json", 100) == b"{}" * 50
        assert inbox.read_small("adm-01", "inbound/claims/empty.csv", 100) == b""
        with pytest.raises(BlobTooLarge):
            inbox.read_small("adm-01", NAME + ".manifest.json", 99)

    def test_a_version_names_the_bytes_there_now(self, inbox: ClaimsInbox, upload: Upload) -> None:
        assert inbox.version("adm-01", NAME) is None
        upload("adm-01", NAME, b"a,b\n")
        first = inbox.version("adm-01", NAME)
        assert first is not None and inbox.version("adm-01", NAME) == first
        upload("adm-01", NAME, b"c,d\n")
        assert inbox.version("adm-01", NAME) not in (None, first)

    def test_chunks_stream_one_version_in_parts_of_a_few_mb(self, inbox: ClaimsInbox, upload: Upload) -> None:
        data = bytes(range(256)) * (4 * MIB // 256) + b"tail"
        upload("adm-01", NAME, data)
        parts = list(inbox.chunks("adm-01", NAME, inbox.version("adm-01", NAME) or ""))
        assert b"".join(parts) == data
        assert len(parts) > 1 and max(len(p) for p in parts) <= 8 * MIB

    def test_a_replaced_blob_fails_the_read_of_its_old_version(self, inbox: ClaimsInbox, upload: Upload) -> None:
        upload("adm-01", NAME, b"x" * (4 * MIB + 1))
        version = inbox.version("adm-01", NAME) or ""
        reading = inbox.chunks("adm-01", NAME, version)
        next(reading)
        upload("adm-01", NAME, b"y" * (4 * MIB + 1))
        with pytest.raises(BlobChanged):
            next(reading)
        with pytest.raises(BlobChanged):
            list(inbox.chunks("adm-01", NAME, version))

    def test_results_are_committed_from_their_blocks_in_order(self, inbox: ClaimsInbox) -> None:
        results = "outbound/claims-results/adm-01_claims_20260302_001.results.csv"
        inbox.stage_results("adm-01", results, 1, b"row 2\n")
        inbox.stage_results("adm-01", results, 0, b"row 0\n")
        inbox.stage_results("adm-01", results, 0, b"row 1\n")  # a retried block replaces itself
        data = b"row 1\nrow 2\n"
        assert inbox.commit_results("adm-01", results, 2) == (hashlib.sha256(data).hexdigest(), len(data))
        assert inbox.read_small("adm-01", results, 100) == data

    def test_the_results_manifest_is_utf8_json(self, inbox: ClaimsInbox, upload: Upload) -> None:
        upload("adm-01", NAME, b"a,b\n")  # a manifest answers an upload: the partner's container is there
        name = "outbound/claims-results/x.results.csv.manifest.json"
        manifest = ResultsManifest("adm-01", "x.results.csv", "inbound/claims/Zoë.csv", "ab" * 32,
                                   {"ACCEPTED": 2}, "cd" * 32, 40, "2026-03-02T18:00:00+00:00")
        inbox.write_manifest("adm-01", name, manifest)
        data = inbox.read_small("adm-01", name, 10_000) or b""
        assert json.loads(data.decode("utf-8")) == manifest.to_json() and "Zoë" in data.decode("utf-8")


class TestClaimsInboxInMemory(ClaimsInboxContract):
    def make(self, request: pytest.FixtureRequest) -> tuple[ClaimsInbox, Upload]:
        inbox = MemoryClaimsInbox()
        return inbox, inbox.files.put


class TestClaimsInboxOnAzurite(ClaimsInboxContract):
    def make(self, request: pytest.FixtureRequest) -> tuple[ClaimsInbox, Upload]:
        settings = on_azurite.namespace(request)

        def upload(partner: str, name: str, data: bytes) -> None:
            on_azurite.upload(settings, partner, name, data)

        return on_azurite.claims_inbox(settings), upload
