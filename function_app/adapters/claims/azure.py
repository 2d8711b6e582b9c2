"""Inbound claims in Azure Storage: the partner's container, the claims registry and per-file checkpoints."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableTransactionError, UpdateMode
from azure.storage.blob import BlobBlock, BlobClient, BlobServiceClient, ContainerClient, ContentSettings

from function_app.adapters.delivery.manifest_json import document_bytes
from function_app.adapters.delivery.partner_blobs import BlobPartnerFiles, is_file
from function_app.adapters.kernel.table_storage import QUERY_COMPARISONS, TRANSACTION_LIMIT, delete_rows, odata_quote
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
# A chunk's claims (CHUNK_ROWS, 2000) spread over 32 partitions fill one transaction each (~60 entities); over 64
# they filled half of one (~30), twice the requests for the same entities. 32 partitions still take ~64,000
# entities a second on Table Storage. Changing the count moves claims: nothing is deployed yet (README, migration).
REGISTRY_PARTITIONS = 32


class BlobClaimsInbox(ClaimsInbox):
    def __init__(self, service: BlobServiceClient, namespace: str = "") -> None:
        self._service = service
        self._names = BlobPartnerFiles(service, namespace)
        self._ready: set[str] = set()

    def _container(self, partner: str) -> ContainerClient:
        return self._service.get_container_client(self._names.container_name(partner))

    def data_files(self, partner: str) -> list[str]:
        try:
            blobs = list(self._container(partner).list_blobs(name_starts_with=INBOUND, include=["metadata"]))
        except ResourceNotFoundError:
            return []
        flat = [b.name for b in blobs if is_file(b) and "/" not in b.name[len(INBOUND) :]]
        return sorted(name for name in flat if name.endswith(".csv"))

    def read_small(self, partner: str, name: str, limit: int) -> bytes | None:
        blob = self._container(partner).get_blob_client(name)
        try:
            properties = blob.get_blob_properties()
            if properties.size > limit:
                raise BlobTooLarge(f"{name} is {properties.size} bytes; at most {limit} are read")
            return bytes(blob.download_blob(etag=properties.etag, match_condition=MatchConditions.IfNotModified)
                         .readall()) if properties.size else b""
        except ResourceNotFoundError:
            return None
        except ResourceModifiedError as exc:
            raise BlobChanged(name) from exc  # replaced between its size and its bytes: the next look reads it

    def version(self, partner: str, name: str) -> str | None:
        try:
            return str(self._container(partner).get_blob_client(name).get_blob_properties().etag)
        except ResourceNotFoundError:
            return None

    def chunks(self, partner: str, name: str, version: str) -> Iterator[bytes]:
        try:
            yield from _ranged(self._container(partner).get_blob_client(name), version)
        except (ResourceModifiedError, ResourceNotFoundError) as exc:
            raise BlobChanged(f"{name} is no longer version {version}") from exc

    def stage_results(self, partner: str, name: str, block: int, data: bytes) -> None:
        container = self._container(partner)
        if partner not in self._ready:  # once per partner, not once per block
            with contextlib.suppress(ResourceExistsError):
                container.create_container()
            self._ready.add(partner)
        container.get_blob_client(name).stage_block(_block_id(block), data)

    def commit_results(self, partner: str, name: str, blocks: int) -> tuple[str, int]:
        blob = self._container(partner).get_blob_client(name)
        settings = ContentSettings(content_type="text/csv; charset=utf-8")
        blob.commit_block_list([BlobBlock(block_id=_block_id(i)) for i in range(blocks)], content_settings=settings)
        digest, size = hashlib.sha256(), 0
        for chunk in _ranged(blob):
            digest.update(chunk)
            size += len(chunk)
        return digest.hexdigest(), size

    def write_manifest(self, partner: str, name: str, manifest: ResultsManifest) -> None:
        data = document_bytes(manifest.to_json())
        blob = self._container(partner).get_blob_client(name)
        blob.upload_blob(data, overwrite=True, content_settings=ContentSettings(content_type="application/json"))


def _ranged(blob: BlobClient, etag: str | None = None) -> Iterator[bytes]:
    """Ranged reads of CHUNK_BYTES, each bound to one ETag (the given one, or the blob's current one): a blob
    replaced while it is read fails the read (ResourceModifiedError) rather than mixing two versions. (The SDK's
    own downloader first asks for up to 32 MiB at once.)"""
    if etag is None:
        properties = blob.get_blob_properties()
    else:
        properties = blob.get_blob_properties(etag=etag, match_condition=MatchConditions.IfNotModified)
    for offset in range(0, properties.size, CHUNK_BYTES):
        length = min(CHUNK_BYTES, properties.size - offset)
        part = blob.download_blob(offset=offset, length=length, etag=properties.etag,
                                  match_condition=MatchConditions.IfNotModified)
        yield part.readall()


def _block_id(index: int) -> str:
    return base64.b64encode(f"results-{index:08d}".encode()).decode()


class TableClaimsRegistry(ClaimsRegistry):
    """Accepted claims by administrator and claim number (row key `<administrator>|<claim number>`), spread over a
    few partitions; a claim is inserted once. Two administrators' claims of one number are two claims."""

    def __init__(self, table: TableClient) -> None:
        self._table = table

    def load(self, administrator: str, claim_numbers: Iterable[str]) -> dict[str, AcceptedClaim]:
        by_partition: dict[str, list[str]] = defaultdict(list)
        for number in sorted(set(claim_numbers)):
            by_partition[_partition(administrator, number)].append(number)
        found: dict[str, AcceptedClaim] = {}
        for partition, numbers in by_partition.items():
            found.update(self._load(partition, administrator, numbers))
        return found

    def _load(self, partition: str, administrator: str, numbers: Sequence[str]) -> dict[str, AcceptedClaim]:
        found = {}
        for start in range(0, len(numbers), QUERY_COMPARISONS):
            keys = (_row_key(administrator, n) for n in numbers[start : start + QUERY_COMPARISONS])
            rows = " or ".join(f"RowKey eq {odata_quote(key)}" for key in keys)
            for entity in self._table.query_entities(f"PartitionKey eq '{partition}' and ({rows})"):
                number = entity["RowKey"].split("|", 1)[1]
                found[number] = AcceptedClaim(number, entity["content_hash"], ClaimOrigin.parse(entity["origin"]),
                                              entity["contract_number"])
        return found

    def add(self, administrator: str, claims: Sequence[AcceptedClaim]) -> list[str]:
        by_partition: dict[str, list[AcceptedClaim]] = defaultdict(list)
        for claim in claims:
            by_partition[_partition(administrator, claim.claim_number)].append(claim)
        taken: list[str] = []
        for partition, group in by_partition.items():
            for start in range(0, len(group), TRANSACTION_LIMIT):
                taken.extend(self._insert(partition, administrator, group[start : start + TRANSACTION_LIMIT]))
        return taken

    def _insert(self, partition: str, administrator: str, group: list[AcceptedClaim]) -> list[str]:
        """Inserts the group as one transaction; when a number exists, the group is checked against the registry
        and the rest inserted: a number of the same origin is this file's own (a retry), any other is taken."""
        waiting = {claim.claim_number: claim for claim in group}
        taken: list[str] = []
        for _attempt in range(3):
            if not waiting:
                return taken
            try:
                self._table.submit_transaction(
                    [("create", _claim_entity(partition, administrator, c)) for c in waiting.values()])
                return taken
            except TableTransactionError as exc:
                if getattr(exc, "error_code", None) != "EntityAlreadyExists":
                    raise
            for number, existing in self._load(partition, administrator, sorted(waiting)).items():
                if existing.origin != waiting.pop(number).origin:
                    taken.append(number)
        raise RuntimeError(f"claims registry partition {partition} kept changing under this file; retry the file")

    def of_contracts(self, contract_numbers: Collection[str]) -> list[tuple[str, AcceptedClaim]]:
        wanted, found = set(contract_numbers), []
        for partition in registry_partitions():
            for entity in self._table.query_entities(f"PartitionKey eq '{partition}'"):
                if entity["contract_number"] in wanted:
                    administrator, number = entity["RowKey"].split("|", 1)
                    origin = ClaimOrigin.parse(entity["origin"])
                    claim = AcceptedClaim(number, entity["content_hash"], origin, entity["contract_number"])
                    found.append((administrator, claim))
        return found

    def delete(self, administrator: str, claim_numbers: Iterable[str]) -> None:
        by_partition: dict[str, list[str]] = defaultdict(list)
        for number in sorted(set(claim_numbers)):
            by_partition[_partition(administrator, number)].append(_row_key(administrator, number))
        for partition, rows in by_partition.items():
            delete_rows(self._table, partition, rows)


def _row_key(administrator: str, claim_number: str) -> str:
    return f"{administrator}|{claim_number}"  # both [A-Z0-9_-]: nothing a row key forbids, and `|` separates


def registry_partitions() -> list[str]:
    """Every partition key of the claims registry: a claim is in one of them."""
    return [_partition_key(index) for index in range(REGISTRY_PARTITIONS)]


def _partition(administrator: str, claim_number: str) -> str:
    digest = hashlib.sha256(_row_key(administrator, claim_number).encode()).hexdigest()
    return _partition_key(int(digest[:6], 16) % REGISTRY_PARTITIONS)


def _partition_key(index: int) -> str:
    return f"c{index:02d}"


def claim_entity(administrator: str, claim: AcceptedClaim) -> dict[str, Any]:
    """The registry's entity of an accepted claim, in its partition (the claims benchmark's floor writes these)."""
    return _claim_entity(_partition(administrator, claim.claim_number), administrator, claim)


def _claim_entity(partition: str, administrator: str, claim: AcceptedClaim) -> dict[str, Any]:
    return {
        "PartitionKey": partition, "RowKey": _row_key(administrator, claim.claim_number),
        "content_hash": claim.content_hash,
        "origin": str(claim.origin), "contract_number": claim.contract_number,
    }


class TableClaimsProgress(ClaimsProgress):
    """One entity per file (`n<hash of name>`) and, beside it in the partner's partition, one per content the
    partner sent for processing (`s<sha256>`, naming the file that holds it), created in one transaction."""

    def __init__(self, table: TableClient) -> None:
        self._table = table

    def get(self, partner: str, name: str) -> tuple[FileProgress | None, str | None]:
        try:
            entity = self._table.get_entity(partner, _file_key(name))
        except ResourceNotFoundError:
            return None, None
        return FileProgress.from_json(entity["progress"]), entity.metadata["etag"]

    def register(self, progress: FileProgress, *, identity: bool) -> Registration:
        operations: list[tuple[str, dict[str, Any]]] = [("create", _progress_entity(progress))]
        if identity:
            operations.append(("create", {"PartitionKey": progress.partner, "RowKey": _content_key(progress.sha256),
                                          "name": progress.name}))
        try:
            results = self._table.submit_transaction(operations)
        except TableTransactionError as exc:
            if getattr(exc, "error_code", None) != "EntityAlreadyExists":
                raise
            return self._conflict(progress)
        return Registration(str(results[0]["etag"]))

    def _conflict(self, progress: FileProgress) -> Registration:
        """Which of the two was there: this name (another worker), or this content under another name."""
        if self.get(progress.partner, progress.name)[0] is not None:
            return Registration(None)
        holder = self._table.get_entity(progress.partner, _content_key(progress.sha256))
        return Registration(None, duplicate_of=str(holder["name"]))

    def put(self, progress: FileProgress, etag: str | None) -> str | None:
        entity = _progress_entity(progress)
        try:
            if etag is None:
                result = self._table.create_entity(entity)
            else:
                result = self._table.update_entity(
                    entity, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
                )
        except (ResourceExistsError, ResourceModifiedError):
            return None
        return str(result["etag"])


def _progress_entity(progress: FileProgress) -> dict[str, Any]:
    return {
        "PartitionKey": progress.partner, "RowKey": _file_key(progress.name),
        "progress": json.dumps(progress.to_json(), sort_keys=True), "status": progress.status,
    }


def _file_key(name: str) -> str:
    return "n" + hashlib.sha256(name.encode()).hexdigest()


def _content_key(sha256: str) -> str:
    return "s" + sha256.lower()
