"""Partner containers `partner-<id>`: data files streamed as staged blocks, committed whole, manifest after."""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import BlobBlock, BlobProperties, BlobServiceClient, ContainerClient, ContentSettings

from function_app.adapters.delivery.manifest_json import manifest_bytes
from function_app.adapters.kernel.overlap import Pipelined
from function_app.domain.delivery.manifest import FileManifest
from function_app.service_layer.delivery.ports import BlobTaken, BlobWrite, PartnerFileStore, Published

BLOCK_BYTES = 4 * 1024 * 1024
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "txt": "text/plain; charset=utf-8", "json": "application/json"}


class BlobPartnerFiles(PartnerFileStore):
    def __init__(self, service: BlobServiceClient, namespace: str = "") -> None:
        self._service = service
        self._namespace = namespace
        self._ready: set[str] = set()

    def container_name(self, partner: str) -> str:
        return self.container_for(self._namespace, partner)

    @staticmethod
    def container_for(namespace: str, partner: str) -> str:
        """The one place partner container names are made: `<namespace>partner-<id>`."""
        return f"{namespace}partner-{partner}"

    def _container(self, partner: str) -> ContainerClient:
        container = self._service.get_container_client(self.container_name(partner))
        if partner not in self._ready:
            with contextlib.suppress(ResourceExistsError):
                container.create_container()
            self._ready.add(partner)
        return container

    def prepare(self, partner: str) -> None:
        self._container(partner)

    def write_data(self, partner: str, name: str, chunks: Iterable[bytes], *, create: bool = False) -> BlobWrite:
        blob = self._container(partner).get_blob_client(name)
        digest = hashlib.sha256()
        size = 0
        blocks: list[BlobBlock] = []
        uploads = Pipelined()
        try:
            for block in _blocks(chunks):
                digest.update(block)
                size += len(block)
                block_id = base64.b64encode(f"{len(blocks):08d}".encode()).decode()
                uploads.submit(functools.partial(blob.stage_block, block_id, block))
                blocks.append(BlobBlock(block_id=block_id))
        except BaseException:
            uploads.abandon()
            raise
        uploads.finish()
        content = CONTENT_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
        written = BlobWrite(digest.hexdigest(), size)
        try:  # with `create`, If-None-Match: * makes the commit fail on any blob there, even one written meanwhile
            blob.commit_block_list(blocks, content_settings=ContentSettings(content_type=content),
                                   **_create_only(create))
        except (ResourceExistsError, ResourceModifiedError) as exc:
            if hashlib.sha256(self.read(partner, name)).hexdigest() != written.sha256:
                raise BlobTaken(f"{self.container_name(partner)}/{name}") from exc
        return written

    def write_manifest(self, partner: str, name: str, manifest: FileManifest, *, create: bool = False) -> None:
        data = manifest_bytes(manifest)
        settings = ContentSettings(content_type="application/json")
        blob = self._container(partner).get_blob_client(name)
        try:
            blob.upload_blob(data, overwrite=not create, content_settings=settings)
        except ResourceExistsError as exc:
            if self.read(partner, name) != data:
                raise BlobTaken(f"{self.container_name(partner)}/{name}") from exc

    def publish(self, partner: str, name: str, data: bytes) -> Published:
        blob = self._container(partner).get_blob_client(name)
        content = ContentSettings(content_type=CONTENT_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream"))
        try:
            blob.upload_blob(data, overwrite=False, content_settings=content)  # If-None-Match: *, so never over one
        except ResourceExistsError:
            return Published.UNCHANGED if self.read(partner, name) == data else Published.DIFFERS
        return Published.WRITTEN

    def read(self, partner: str, name: str) -> bytes:
        try:
            return bytes(self._container(partner).get_blob_client(name).download_blob().readall())
        except ResourceNotFoundError as exc:
            raise KeyError(f"{self.container_name(partner)}/{name}") from exc

    def names(self, partner: str, prefix: str = "") -> Iterator[str]:
        for blob in self._container(partner).list_blobs(name_starts_with=prefix or None, include=["metadata"]):
            if is_file(blob):
                yield blob.name


def _create_only(create: bool) -> dict[str, Any]:
    return {"match_condition": MatchConditions.IfMissing} if create else {}


def is_file(blob: BlobProperties) -> bool:
    """With hierarchical namespace (SFTP needs it) a listing also returns the directories; they are not files."""
    return (blob.metadata or {}).get("hdi_isfolder") != "true"


def _blocks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Regroups the writer's small chunks into blocks of a few MB: few requests, flat memory."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= BLOCK_BYTES:
            with memoryview(buffer) as view:
                block = bytes(view[:BLOCK_BYTES])
            del buffer[:BLOCK_BYTES]
            yield block
    if buffer:
        yield bytes(buffer)
