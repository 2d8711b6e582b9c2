"""A feed's layout.json on Azurite: written once, the same bytes again change nothing, other bytes stay."""

from __future__ import annotations

from datetime import UTC, datetime

from function_app.adapters.partner_blobs import BlobPartnerFiles
from function_app.bootstrap import Exchange
from function_app.domain.partner_files.fields import FIELDS
from function_app.domain.partner_files.layout import layout_blob_name, layout_document
from function_app.service_layer.delivery_ports import Published


def test_a_layout_is_published_once_and_never_over_another(table_exchange: Exchange) -> None:
    files = BlobPartnerFiles(table_exchange.clients["blobs"], table_exchange.settings.namespace)
    name = layout_blob_name("nightly")
    document = layout_document("adm-01", "nightly", [FIELDS["contract_number"], FIELDS["retail_price"]])
    assert files.publish("adm-01", name, document) is Published.WRITTEN
    blob = table_exchange.clients["blobs"].get_blob_client(files.container_name("adm-01"), name)
    written_at: datetime = blob.get_blob_properties().last_modified
    assert files.publish("adm-01", name, document) is Published.UNCHANGED
    other = layout_document("adm-01", "nightly", [FIELDS["contract_number"]])
    assert files.publish("adm-01", name, other) is Published.DIFFERS
    assert files.read("adm-01", name) == document
    assert blob.get_blob_properties().last_modified == written_at
    assert blob.get_blob_properties().content_settings.content_type == "application/json"
    assert written_at.tzinfo is not None and written_at <= datetime.now(UTC)
