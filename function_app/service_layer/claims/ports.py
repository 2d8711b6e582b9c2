"""What inbound claims processing needs from storage: the partners' uploads, a registry of accepted claims,
and a checkpoint per file so that a retry resumes rather than restarts."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from function_app.domain.claims.origin import ClaimOrigin
from function_app.domain.claims.reasons import ClaimReason
from function_app.domain.claims.results import ResultsManifest


class BlobTooLarge(ValueError):
    """A blob read whole is larger than the caller allows."""


class BlobChanged(Exception):
    """The blob is no longer the version that was asked for (replaced or deleted)."""


class ClaimsInbox(ABC):
    """A partner's `inbound/claims/` uploads and `outbound/claims-results/` answers, in its own container."""

    @abstractmethod
    def data_files(self, partner: str) -> list[str]:
        """Blob names of uploaded data files (not their manifests), oldest name first."""

    @abstractmethod
    def read_small(self, partner: str, name: str, limit: int) -> bytes | None:
        """A small blob (a manifest) whole, None when absent; raises BlobTooLarge beyond `limit` bytes."""

    @abstractmethod
    def version(self, partner: str, name: str) -> str | None:
        """The blob's current version (its ETag), None when absent."""

    @abstractmethod
    def chunks(self, partner: str, name: str, version: str) -> Iterator[bytes]:
        """That version's bytes, streamed in chunks of a few MB: memory stays flat whatever the file's size.
        Every chunk comes from that very version; once the blob is another, raises BlobChanged."""

    @abstractmethod
    def stage_results(self, partner: str, name: str, block: int, data: bytes) -> None:
        """One block of a results file; the same block staged again replaces itself."""

    @abstractmethod
    def commit_results(self, partner: str, name: str, blocks: int) -> tuple[str, int]:
        """Commits blocks 0..blocks-1 as the results file; returns its sha256 and size."""

    @abstractmethod
    def write_manifest(self, partner: str, name: str, manifest: ResultsManifest) -> None:
        """The results file's manifest beside it, as UTF-8 JSON."""


class FileStatus(StrEnum):
    """Where one uploaded file stands, as a scan reports it and its checkpoint keeps it."""

    PROCESSING = "PROCESSING"  # begun: rows answered up to its checkpoint
    DONE = "DONE"  # every row answered
    REJECTED = "REJECTED"  # refused whole (or, from a checkpoint on, part-way) with a reason code
    WAITING = "WAITING"  # no manifest yet, or a version that moved while it was read: looked at again later
    SKIPPED = "SKIPPED"  # answered before
    BUSY = "BUSY"  # another worker holds it
    IGNORED = "IGNORED"  # a name no answer can be written beside
    PAUSED = "PAUSED"  # stopped at a checkpoint to stay inside a time limit: the next call goes on from there


class AcceptedClaim(NamedTuple):  # one per accepted claim of a file: cheaper to make than a frozen dataclass
    claim_number: str
    content_hash: str
    origin: ClaimOrigin
    contract_number: str


class ClaimsRegistry(ABC):
    """Accepted claims by administrator and claim number: claim numbers are per administrator."""

    @abstractmethod
    def load(self, administrator: str, claim_numbers: Iterable[str]) -> dict[str, AcceptedClaim]: ...

    @abstractmethod
    def add(self, administrator: str, claims: Sequence[AcceptedClaim]) -> list[str]:
        """Records newly accepted claims; returns the numbers another origin recorded first (to decide again)."""

    def of_contracts(self, contract_numbers: Collection[str]) -> list[tuple[str, AcceptedClaim]]:
        """Every accepted claim on these contracts, with its administrator (for retention: a scan)."""
        raise NotImplementedError(f"{type(self).__name__} cannot list claims by contract")

    def delete(self, administrator: str, claim_numbers: Iterable[str]) -> None:
        """Deletes the administrator's claims of these numbers. Idempotent: a number not held is left so."""
        raise NotImplementedError(f"{type(self).__name__} cannot delete claims")


@dataclass
class FileProgress:
    """Checkpoint of one uploaded file, by partner and name: the version (ETag) and sha256 of the bytes that were
    checked against the manifest, and, for a file refused whole or part-way, the reason code and why."""

    partner: str
    name: str
    sha256: str
    status: FileStatus = FileStatus.PROCESSING  # PROCESSING, DONE or REJECTED
    version: str = ""
    refusal: ClaimReason | None = None  # the file is answered with it (after its rows so far, if any)
    problems: list[str] = field(default_factory=list)
    next_row: int = 1
    blocks: int = 0
    started_at: str = ""
    checkpoint_at: str = ""  # when the last checkpoint was written: the stamp of the next chunk's facts
    chunk_rows: int = 0  # the chunk size the file was begun with: a retry redoes exactly the chunk it left
    counts: dict[str, int] = field(default_factory=dict)  # rows answered so far, by status text
    results: str = ""

    def __post_init__(self) -> None:  # read back from JSON as text
        self.status = FileStatus(self.status)
        self.refusal = ClaimReason(self.refusal) if self.refusal else None

    def to_json(self) -> dict[str, Any]:
        """As a checkpoint stores it (no refusal stored as "")."""
        return dict(self.__dict__) | {"refusal": self.refusal or ""}

    @classmethod
    def from_json(cls, text: str) -> FileProgress:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Registration:
    """What registering a file found: its checkpoint's token, or why there is none (another worker registered
    this name first; or the same content is already registered under `duplicate_of`)."""

    token: str | None
    duplicate_of: str | None = None


class ClaimsProgress(ABC):
    @abstractmethod
    def get(self, partner: str, name: str) -> tuple[FileProgress | None, str | None]: ...

    @abstractmethod
    def register(self, progress: FileProgress, *, identity: bool) -> Registration:
        """Creates the file's checkpoint; with `identity`, in the same atomic write, claims its content
        (partner + sha256) for this name, so that the same bytes under another name are known as a duplicate."""

    @abstractmethod
    def put(self, progress: FileProgress, etag: str | None) -> str | None:
        """Writes if the token still matches; the new token, or None when another worker moved first."""
