"""What inbound claims processing needs from storage: the partners' uploads, a registry of accepted claims,
and a checkpoint per file so that a retry resumes rather than restarts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any


class ClaimsInbox(ABC):
    """A partner's `inbound/claims/` uploads and `outbound/claims-results/` answers, in its own container."""

    @abstractmethod
    def data_files(self, partner: str) -> list[str]:
        """Blob names of uploaded data files (not their manifests), oldest name first."""

    @abstractmethod
    def read_small(self, partner: str, name: str, limit: int) -> bytes | None:
        """A small blob (a manifest) whole, None when absent; more than `limit` bytes is an error."""

    @abstractmethod
    def chunks(self, partner: str, name: str) -> Iterator[bytes]:
        """The blob's bytes, streamed in chunks of a few MB: memory stays flat whatever the file's size."""

    @abstractmethod
    def stage_results(self, partner: str, name: str, block: int, data: bytes) -> None:
        """One block of a results file; the same block staged again replaces itself."""

    @abstractmethod
    def commit_results(self, partner: str, name: str, blocks: int) -> tuple[str, int]:
        """Commits blocks 0..blocks-1 as the results file; returns its sha256 and size."""

    @abstractmethod
    def write_manifest(self, partner: str, name: str, document: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class ClaimOrigin:
    """Where a claim was accepted from: the file (by content) and the row."""

    file_sha256: str
    row: int

    def __str__(self) -> str:
        return f"{self.file_sha256}#{self.row}"


@dataclass(frozen=True)
class AcceptedClaim:
    claim_number: str
    content_hash: str
    origin: str
    contract_number: str


class ClaimsRegistry(ABC):
    @abstractmethod
    def load(self, claim_numbers: Iterable[str]) -> dict[str, AcceptedClaim]: ...

    @abstractmethod
    def add(self, claims: Sequence[AcceptedClaim]) -> list[str]:
        """Records newly accepted claims; returns the numbers another origin recorded first (to decide again)."""


@dataclass
class FileProgress:
    """Checkpoint of one uploaded file, identified by partner, name and content."""

    partner: str
    name: str
    sha256: str
    status: str = "PROCESSING"  # PROCESSING, DONE, REJECTED
    next_row: int = 1
    blocks: int = 0
    started_at: str = ""
    checkpoint_at: str = ""  # when the last checkpoint was written: the stamp of the next chunk's facts
    chunk_rows: int = 0  # the chunk size the file was begun with: a retry redoes exactly the chunk it left
    counts: dict[str, int] = field(default_factory=dict)
    results: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ClaimsProgress(ABC):
    @abstractmethod
    def get(self, partner: str, name: str, sha256: str) -> tuple[FileProgress | None, str | None]: ...

    @abstractmethod
    def put(self, progress: FileProgress, etag: str | None) -> str | None:
        """Writes if the token still matches; the new token, or None when another worker moved first."""
