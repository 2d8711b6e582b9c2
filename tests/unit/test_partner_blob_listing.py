"""Listings on a hierarchical-namespace account (SFTP needs one) include directories; they are not files."""

from azure.storage.blob import BlobProperties

from function_app.adapters.delivery.partner_blobs import is_file


def test_directories_are_not_files() -> None:
    folder = BlobProperties(name="inbound/ack", metadata={"hdi_isfolder": "true"})
    plain = BlobProperties(name="inbound/ack/x.ack", metadata={})
    assert (is_file(folder), is_file(plain), is_file(BlobProperties(name="y"))) == (False, True, True)
