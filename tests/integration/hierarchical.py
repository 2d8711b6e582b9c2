"""A test double: a real Azurite blob service listed the way an account with hierarchical namespace lists it.

The production account has hierarchical namespace (SFTP needs it); Azurite does not emulate it. On such an
account "directories are not virtual [...] directories appear in the list as zero-length blobs" (Microsoft Learn,
"List blobs with Python", flat versus hierarchical listing): a flat listing (no delimiter) of a container holding
`contracts/2026-03-02/x.json` also returns `contracts` and `contracts/2026-03-02`, zero bytes long, whose metadata
(returned only when asked for with `include=["metadata"]`) is `hdi_isfolder=true`. Everything else (reads,
writes, properties, SAS) goes to Azurite unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

from azure.storage.blob import BlobProperties, BlobServiceClient, ContainerClient

FOLDER = {"hdi_isfolder": "true"}


def directories_of(name: str) -> list[str]:
    """`a/b/c.json` lives in directories `a` and `a/b`."""
    parts = name.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _wants_metadata(include: str | Iterable[str] | None) -> bool:
    if include is None:
        return False
    return "metadata" in ([include] if isinstance(include, str) else list(include))


def _directory(name: str, with_metadata: bool) -> BlobProperties:
    entry = BlobProperties(name=name, metadata=dict(FOLDER) if with_metadata else {})
    entry.size = 0
    return entry


class HierarchicalContainer:
    def __init__(self, container: ContainerClient, directories: Iterable[str] = ()) -> None:
        self._container = container
        self._empty_directories = {d for empty in directories for d in directories_of(empty + "/")}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._container, name)

    def list_blobs(
        self, name_starts_with: str | None = None, include: str | list[str] | None = None, **kwargs: Any
    ) -> Iterator[BlobProperties]:
        files = list(self._container.list_blobs(name_starts_with=name_starts_with, include=include, **kwargs))
        prefix = name_starts_with or ""
        names = {d for blob in files for d in directories_of(blob.name)} | self._empty_directories
        folders = [_directory(d, _wants_metadata(include)) for d in names if d.startswith(prefix)]
        return iter(sorted(files + folders, key=lambda blob: str(blob.name)))

    def walk_blobs(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a delimited listing on hierarchical namespace is not modelled by this double")


class HierarchicalBlobService:
    def __init__(self, service: BlobServiceClient, directories: Iterable[str] = ()) -> None:
        self._service = service
        self._directories = tuple(directories)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)

    def get_container_client(self, container: str) -> ContainerClient:
        real = self._service.get_container_client(container)
        return cast(ContainerClient, HierarchicalContainer(real, self._directories))


def hierarchical(service: BlobServiceClient, directories: Iterable[str] = ()) -> BlobServiceClient:
    """`service`, listed as an account with hierarchical namespace; `directories` also exist, empty, everywhere."""
    return cast(BlobServiceClient, HierarchicalBlobService(service, directories))
