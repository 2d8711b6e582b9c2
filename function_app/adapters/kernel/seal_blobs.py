"""Journal seals as gzipped JSON blobs `journal-seals/<YYYY-MM-DD>.json.gz` in the evidence container, created
and never replaced: the upload asks for a blob that does not exist yet. In Azure the container's version-level
immutability policy also keeps every version for its retention period; Azurite enforces only the create-once
condition."""

from __future__ import annotations

import gzip
import json
from datetime import date

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import ContainerClient, ContentSettings

from function_app.domain.kernel.chain import ChainSeal
from function_app.service_layer.kernel.seals import SealStore

PREFIX = "journal-seals/"


def seal_name(business_date: date) -> str:
    return f"{PREFIX}{business_date.isoformat()}.json.gz"


def seal_bytes(seal: ChainSeal) -> bytes:
    document = json.dumps(seal.to_json(), sort_keys=True, separators=(",", ":")).encode("ascii")
    return gzip.compress(document, mtime=0)  # the same seal, the same bytes


class BlobSeals(SealStore):
    def __init__(self, container: ContainerClient) -> None:
        self._container = container

    def put(self, seal: ChainSeal) -> bool:
        try:
            self._container.upload_blob(seal_name(seal.business_date), seal_bytes(seal), overwrite=False,
                                        content_settings=ContentSettings(content_type="application/gzip"))
        except ResourceExistsError:
            return False
        return True

    def get(self, business_date: date) -> ChainSeal | None:
        try:
            data = self._container.download_blob(seal_name(business_date)).readall()
        except ResourceNotFoundError:
            return None
        return ChainSeal.from_json(json.loads(gzip.decompress(data)))
