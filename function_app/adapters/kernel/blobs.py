"""Dead letters as JSON blobs: `deadletter/<hub>/<business date>/<name>.json`."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient, ContentSettings

from function_app.adapters.delivery.partner_blobs import is_file
from function_app.domain.kernel.feedback import Reason
from function_app.service_layer.kernel.ports import DeadLetter, DeadLetterStore
from function_app.service_layer.reconciliation.ports import ReportStore

JSON = ContentSettings(content_type="application/json; charset=utf-8")


def ensure_container(service: BlobServiceClient, name: str) -> ContainerClient:
    container = service.get_container_client(name)
    with contextlib.suppress(ResourceExistsError):
        container.create_container()
    return container


def letter_document(letter: DeadLetter) -> dict[str, Any]:
    document: dict[str, Any] = {
        "hub": letter.hub,
        "business_date": letter.business_date.isoformat(),
        "input_key": letter.input_key,
        "id": letter.event_id,
        "source": letter.source,
        "partition": letter.partition,
        "sequence_number": letter.sequence_number,
        "enqueued_time": letter.enqueued_time.isoformat(),
        "reasons": [r.to_json() for r in letter.reasons],
        "partition_key": letter.partition_key,
        "properties": {name: _json_value(value) for name, value in letter.properties.items()},
    }
    try:
        document["body"] = letter.body.decode("utf-8")
    except UnicodeDecodeError:
        document["body_base64"] = base64.b64encode(letter.body).decode("ascii")
    return document


def letter_from_document(name: str, document: dict[str, Any]) -> DeadLetter:
    body = document["body"].encode("utf-8") if "body" in document else base64.b64decode(document["body_base64"])
    return DeadLetter(
        hub=document["hub"],
        business_date=date.fromisoformat(document["business_date"]),
        name=name.rsplit("/", 1)[-1].removesuffix(".json"),
        input_key=document["input_key"],
        event_id=document["id"],
        source=document["source"],
        partition=document["partition"],
        sequence_number=int(document["sequence_number"]),
        enqueued_time=datetime.fromisoformat(document["enqueued_time"]),
        reasons=tuple(Reason.from_json(r) for r in document["reasons"]),
        body=body,
        partition_key=document.get("partition_key"),
        properties=document.get("properties") or {},
    )


def _json_value(value: object) -> object:
    """A property as JSON: the host hands them over as JSON values already; a transport that keeps AMQP types
    (a timestamp, binary) is written as RFC 3339 text or base64, which the envelope reader takes alike."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


class BlobDeadLetters(DeadLetterStore):
    def __init__(self, container: ContainerClient) -> None:
        self._container = container

    def put(self, letters: Sequence[DeadLetter]) -> None:
        for letter in letters:
            data = json.dumps(letter_document(letter), ensure_ascii=False, indent=2, sort_keys=True)
            blob = self._container.get_blob_client(letter.blob_name)
            try:  # a redelivery writes the very same letter: keep the first, with its replay notes
                blob.upload_blob(data.encode("utf-8"), overwrite=False, content_settings=JSON)
            except ResourceExistsError:
                continue

    def names(self, prefix: str = "") -> Iterator[str]:
        for blob in self._container.list_blobs(name_starts_with=prefix or None, include=["metadata"]):
            if is_file(blob):  # on hierarchical namespace, `contracts/2026-03-02` is listed too
                yield blob.name

    def get(self, blob_name: str) -> DeadLetter:
        try:
            raw = self._container.get_blob_client(blob_name).download_blob().readall()
        except ResourceNotFoundError as exc:
            raise KeyError(blob_name) from exc
        return letter_from_document(blob_name, json.loads(raw))

    def mark_replayed(self, blob_name: str, outcome: str) -> None:
        blob = self._container.get_blob_client(blob_name)
        metadata = dict(blob.get_blob_properties().metadata or {})
        metadata["replay_outcome"] = outcome
        blob.set_blob_metadata(metadata)

    def replayed(self, blob_name: str) -> str | None:
        try:
            properties = self._container.get_blob_client(blob_name).get_blob_properties()
        except ResourceNotFoundError as exc:
            raise KeyError(blob_name) from exc
        value = (properties.metadata or {}).get("replay_outcome")
        return str(value) if value else None


class BlobReports(ReportStore):
    """Reports as blobs of one container (`reports`), replaced when a date is reconciled again."""

    def __init__(self, container: ContainerClient) -> None:
        self._container = container

    def write(self, name: str, data: bytes, content_type: str) -> str:
        self._container.upload_blob(name, data, overwrite=True, content_settings=ContentSettings(
            content_type=content_type))
        return f"{self._container.container_name}/{name}"
