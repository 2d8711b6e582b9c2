"""The ClaimsProgress contract: every adapter of the port passes the same tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace

import pytest

from function_app.adapters.claims.memory import MemoryClaimsProgress
from function_app.domain.claims.reasons import ClaimReason
from function_app.service_layer.claims.ports import ClaimsProgress, FileProgress, FileStatus, Registration
from tests.contracts import on_azurite

NAME = "inbound/claims/adm-01_claims_20260302_001.csv"
SHA = "ab" * 32


def progress(name: str = NAME, sha256: str = SHA, partner: str = "adm-01") -> FileProgress:
    return FileProgress(partner, name, sha256, version="0x8D1", started_at="2026-03-02T18:00:00+00:00",
                        chunk_rows=5000, counts={"ACCEPTED": 0})


class ClaimsProgressContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> ClaimsProgress: ...

    @pytest.fixture
    def checkpoints(self, request: pytest.FixtureRequest) -> ClaimsProgress:
        return self.make(request)

    def test_a_file_never_registered_has_no_checkpoint(self, checkpoints: ClaimsProgress) -> None:
        assert checkpoints.get("adm-01", NAME) == (None, None)

    def test_a_registered_checkpoint_reads_back_with_its_token(self, checkpoints: ClaimsProgress) -> None:
        registered = checkpoints.register(progress(), identity=True)
        assert registered.token is not None and registered.duplicate_of is None
        assert checkpoints.get("adm-01", NAME) == (progress(), registered.token)
        assert checkpoints.get("adm-02", NAME) == (None, None)

    def test_a_name_registered_twice_is_another_workers(self, checkpoints: ClaimsProgress) -> None:
        first = checkpoints.register(progress(), identity=True)
        assert checkpoints.register(progress(), identity=True) == Registration(None)
        assert checkpoints.register(progress(sha256="cd" * 32), identity=False) == Registration(None)
        assert checkpoints.get("adm-01", NAME) == (progress(), first.token)

    def test_the_same_content_under_another_name_is_a_duplicate_and_writes_nothing(
        self, checkpoints: ClaimsProgress
    ) -> None:
        checkpoints.register(progress(), identity=True)
        other = NAME.replace("_001", "_002")
        assert checkpoints.register(progress(other), identity=True) == Registration(None, duplicate_of=NAME)
        assert checkpoints.get("adm-01", other) == (None, None)
        assert checkpoints.register(progress(partner="adm-02"), identity=True).token is not None, "per partner"

    def test_without_identity_the_same_content_may_come_again(self, checkpoints: ClaimsProgress) -> None:
        checkpoints.register(progress(), identity=True)
        other = NAME.replace("_001", "_003")
        assert checkpoints.register(progress(other), identity=False).token is not None
        later = NAME.replace("_001", "_004")
        assert checkpoints.register(progress(later), identity=True).duplicate_of == NAME, "the content's claim stands"

    def test_a_checkpoint_moves_only_from_the_token_read(self, checkpoints: ClaimsProgress) -> None:
        token = checkpoints.register(progress(), identity=True).token
        moved = replace(progress(), next_row=5001, blocks=1, counts={"ACCEPTED": 4990, "REJECTED": 10},
                        problems=["row 7: VIN check digit"], checkpoint_at="2026-03-02T18:01:00+00:00")
        second = checkpoints.put(moved, token)
        assert second is not None and second != token
        assert checkpoints.put(replace(moved, next_row=1), token) is None, "another worker moved first"
        assert checkpoints.put(replace(moved, next_row=1), None) is None, "it exists already"
        assert checkpoints.get("adm-01", NAME) == (moved, second)

    def test_a_refused_file_reads_back_with_its_reason_code_and_counts(self, checkpoints: ClaimsProgress) -> None:
        refused = replace(progress(), status=FileStatus.REJECTED, refusal=ClaimReason.FILE_CHANGED, next_row=4,
                          counts={"ACCEPTED": 3, "DUPLICATE": 0, "REJECTED": 0},
                          problems=["the data file was replaced after its manifest was checked"])
        token = checkpoints.register(refused, identity=False).token
        read, read_token = checkpoints.get("adm-01", NAME)
        assert (read, read_token) == (refused, token)
        assert read is not None and read.refusal is ClaimReason.FILE_CHANGED and read.status is FileStatus.REJECTED
        assert checkpoints.get("adm-01", NAME)[0] == refused

    def test_a_checkpoint_can_be_put_without_registering(self, checkpoints: ClaimsProgress) -> None:
        token = checkpoints.put(progress(), None)
        assert token is not None
        assert checkpoints.get("adm-01", NAME) == (progress(), token)


class TestClaimsProgressInMemory(ClaimsProgressContract):
    def make(self, request: pytest.FixtureRequest) -> ClaimsProgress:
        return MemoryClaimsProgress()


class TestClaimsProgressOnAzurite(ClaimsProgressContract):
    def make(self, request: pytest.FixtureRequest) -> ClaimsProgress:
        return on_azurite.claims_progress(on_azurite.namespace(request))
