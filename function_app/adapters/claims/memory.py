"""Inbound claims in memory with the same semantics as the Azure adapters: for tests and the claims benchmark."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Collection, Iterable, Iterator, Sequence

from function_app.adapters.delivery.manifest_json import document_bytes
from function_app.adapters.delivery.memory import MemoryPartnerFiles
from function_app.domain.claims.origin import ClaimOrigin
from function_app.domain.claims.results import ResultsManifest
from function_app.service_layer.claims.ports import (
    AcceptedClaim,
    BlobChanged,
    BlobTooLarge,
    ClaimsInbox,
    ClaimsProgress,
    ClaimsRegistry,
    FileProgress,
    Registration,
)

INBOUND = "inbound/claims/"
CHUNK_BYTES = 4 * 1024 * 1024


class MemoryClaimsInbox(ClaimsInbox):
    """Uploads and results live in the partner's container, shared with partner delivery as in Blob Storage."""

    def __init__(self, files: MemoryPartnerFiles | None = None) -> None:
        self.files = files or MemoryPartnerFiles()
        self.staged: dict[tuple[str, str], dict[int, bytes]] = {}

    def data_files(self, partner: str) -> list[str]:
        names = self.files.names(partner, INBOUND)
        return sorted(n for n in names if "/" not in n[len(INBOUND) :] and n.endswith(".csv"))

    def read_small(self, partner: str, name: str, limit: int) -> bytes | None:
        data = self.files.blobs.get((partner, name))
        if data is not None and len(data) > limit:
            raise BlobTooLarge(f"{name} is {len(data)} bytes; at most {limit} are read")
        return data

    def version(self, partner: str, name: str) -> str | None:
        if (partner, name) not in self.files.blobs:
            return None
        return f"v{self.files.versions.get((partner, name), 0)}"

    def chunks(self, partner: str, name: str, version: str) -> Iterator[bytes]:
        for offset in itertools.count(0, CHUNK_BYTES):
            if self.version(partner, name) != version:
                raise BlobChanged(f"{name} is no longer version {version}")
            data = self.files.blobs[(partner, name)]
            if offset >= len(data):
                return
            yield data[offset : offset + CHUNK_BYTES]

    def stage_results(self, partner: str, name: str, block: int, data: bytes) -> None:
        self.staged.setdefault((partner, name), {})[block] = data

    def commit_results(self, partner: str, name: str, blocks: int) -> tuple[str, int]:
        staged = self.staged.pop((partner, name), {})  # a commit discards the blocks it leaves out
        data = b"".join(staged[i] for i in range(blocks))
        self.files.put(partner, name, data)
        return hashlib.sha256(data).hexdigest(), len(data)

    def write_manifest(self, partner: str, name: str, manifest: ResultsManifest) -> None:
        self.files.put(partner, name, document_bytes(manifest.to_json()))


class MemoryClaimsRegistry(ClaimsRegistry):
    """Each claim kept as text, as storage keeps it: (content hash, origin, contract number) by (administrator,
    claim number). Tuples of strings are not tracked by the garbage collector; objects by the hundred thousand
    would be walked by each of its full collections."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], tuple[str, str, str]] = {}

    @property
    def claims(self) -> dict[tuple[str, str], AcceptedClaim]:
        """Every claim, by (administrator, claim number)."""
        return {key: _claim(key[1], row) for key, row in self.stored.items()}

    def load(self, administrator: str, claim_numbers: Iterable[str]) -> dict[str, AcceptedClaim]:
        found = ((n, self.stored.get((administrator, n))) for n in claim_numbers)
        return {n: _claim(n, row) for n, row in found if row is not None}

    def add(self, administrator: str, claims: Sequence[AcceptedClaim]) -> list[str]:
        taken: list[str] = []
        for claim in claims:
            origin = str(claim.origin)
            row = self.stored.setdefault((administrator, claim.claim_number),
                                         (claim.content_hash, origin, claim.contract_number))
            if row[1] != origin and claim.claim_number not in taken:
                taken.append(claim.claim_number)
        return taken

    def of_contracts(self, contract_numbers: Collection[str]) -> list[tuple[str, AcceptedClaim]]:
        wanted = set(contract_numbers)
        return [(admin, _claim(number, row)) for (admin, number), row in sorted(self.stored.items())
                if row[2] in wanted]

    def delete(self, administrator: str, claim_numbers: Iterable[str]) -> None:
        for number in claim_numbers:
            self.stored.pop((administrator, number), None)


def _claim(number: str, row: tuple[str, str, str]) -> AcceptedClaim:
    content_hash, origin, contract_number = row
    return AcceptedClaim(number, content_hash, ClaimOrigin.parse(origin), contract_number)


class MemoryClaimsProgress(ClaimsProgress):
    """Checkpoints by partner and name; with `identity`, the content (partner + sha256) claimed in the same write."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], tuple[str, str]] = {}  # (partner, name) -> (progress as JSON, token)
        self.contents: dict[tuple[str, str], str] = {}  # (partner, sha256) -> name
        self._versions = itertools.count(1)

    def get(self, partner: str, name: str) -> tuple[FileProgress | None, str | None]:
        found = self.files.get((partner, name))
        if found is None:
            return None, None
        return FileProgress.from_json(found[0]), found[1]

    def register(self, progress: FileProgress, *, identity: bool) -> Registration:
        if (progress.partner, progress.name) in self.files:
            return Registration(None)
        content = (progress.partner, progress.sha256.lower())
        if identity and content in self.contents:
            return Registration(None, duplicate_of=self.contents[content])
        if identity:
            self.contents[content] = progress.name
        return Registration(self._store(progress))

    def put(self, progress: FileProgress, etag: str | None) -> str | None:
        current = self.files.get((progress.partner, progress.name))
        if (current[1] if current else None) != etag:
            return None
        return self._store(progress)

    def _store(self, progress: FileProgress) -> str:
        token = f"v{next(self._versions)}"
        self.files[(progress.partner, progress.name)] = (json.dumps(progress.to_json(), sort_keys=True), token)
        return token
