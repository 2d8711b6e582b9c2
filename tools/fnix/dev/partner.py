"""A partner's side of the storage account, for the demo: an administrator uploading a file into its own
container, with a client of its own, as its SFTP user or upload link would (the exchange's clients stay in its
adapters)."""

from __future__ import annotations

from azure.storage.blob import BlobServiceClient

from function_app.config import Settings


def upload_as_partner(settings: Settings, container: str, files: dict[str, bytes]) -> None:
    if not settings.storage_connection:
        raise ValueError("the demo's partner uploads need a storage connection string (Azurite)")
    client = BlobServiceClient.from_connection_string(settings.storage_connection).get_container_client(container)
    for name, data in files.items():  # in order: the data file first, its manifest last
        client.upload_blob(name, data, overwrite=True)
