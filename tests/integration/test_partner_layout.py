"""Publishing a feed's layout.json, the same contract on both adapters (in memory and on Azurite): written
once, the same bytes again change nothing, other bytes found there stay as they are."""

from __future__ import annotations

import pytest

from function_app.adapters.delivery.memory import MemoryPartnerFiles
from function_app.adapters.delivery.partner_blobs import BlobPartnerFiles
from function_app.bootstrap import Exchange
from function_app.domain.delivery.fields import FIELDS
from function_app.domain.delivery.layout import layout_blob_name, layout_document
from function_app.service_layer.delivery.ports import PartnerFileStore, Published
from tests.conftest import blob_service

NAME = layout_blob_name("nightly")
DOCUMENT = layout_document("adm-01", "nightly", [FIELDS["contract_number"], FIELDS["retail_price"]])
OTHER = layout_document("adm-01", "nightly", [FIELDS["contract_number"]])


@pytest.fixture(params=["memory", "azurite"])
def files(request: pytest.FixtureRequest) -> PartnerFileStore:
    if request.param == "memory":
        return MemoryPartnerFiles()
    exchange: Exchange = request.getfixturevalue("table_exchange")
    return BlobPartnerFiles(blob_service(exchange.settings), exchange.settings.namespace)


def test_a_layout_is_published_once_and_never_over_another(files: PartnerFileStore) -> None:
    assert files.publish("adm-01", NAME, DOCUMENT) is Published.WRITTEN
    assert files.publish("adm-01", NAME, DOCUMENT) is Published.UNCHANGED
    assert files.publish("adm-01", NAME, OTHER) is Published.DIFFERS
    assert files.read("adm-01", NAME) == DOCUMENT
    assert list(files.names("adm-01")) == [NAME]


def test_on_azurite_the_layout_is_json_and_untouched_by_a_second_publish(table_exchange: Exchange) -> None:
    files = BlobPartnerFiles(blob_service(table_exchange.settings), table_exchange.settings.namespace)
    files.publish("adm-01", NAME, DOCUMENT)
    blob = blob_service(table_exchange.settings).get_blob_client(files.container_name("adm-01"), NAME)
    before = blob.get_blob_properties()
    assert before.content_settings.content_type == "application/json"
    files.publish("adm-01", NAME, OTHER)
    assert blob.get_blob_properties().etag == before.etag
