"""Settings: defaults, and a clear error naming the setting for every kind of mistake."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from function_app.config import ConfigError, load_settings
from function_app.domain.catalogue import ProductType


def test_defaults() -> None:
    settings = load_settings({})
    assert str(settings.zone) == "America/Chicago"
    assert settings.contract_partitions == 4
    assert settings.hold.total_seconds() == 72 * 3600
    assert settings.storage_connection is None and settings.table_service_uri is None


def test_managed_identity_account_name_gives_service_uris() -> None:
    settings = load_settings({"AzureWebJobsStorage__accountName": "fniexchange"})
    assert settings.table_service_uri == "https://fniexchange.table.core.windows.net"
    assert settings.blob_service_uri == "https://fniexchange.blob.core.windows.net"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BUSINESS_TIMEZONE": "Central"}, "BUSINESS_TIMEZONE"),
        ({"CONTRACT_PARTITIONS": "0"}, "CONTRACT_PARTITIONS"),
        ({"CONTRACT_PARTITIONS": "eight"}, "CONTRACT_PARTITIONS"),
        ({"CANCELLATION_HOLD_HOURS": "-1"}, "CANCELLATION_HOLD_HOURS"),
        ({"STORAGE_NAMESPACE": "Has-Dash"}, "STORAGE_NAMESPACE"),
        ({"PRODUCT_CATALOGUE_FILE": "/no/such/catalogue.json"}, "PRODUCT_CATALOGUE_FILE"),
    ],
)
def test_a_wrong_setting_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_catalogue_file_overrides_and_its_mistakes_name_product_and_field(tmp_path: Path) -> None:
    good = tmp_path / "catalogue.json"
    good.write_text(json.dumps({"GAP": {"cancellation_fee": "35.00"}}))
    catalogue = load_settings({"PRODUCT_CATALOGUE_FILE": str(good)}).catalogue
    assert catalogue[ProductType.GAP].cancellation_fee == Decimal("35.00")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"GAP": {"cancellation_fee": 35}}))
    with pytest.raises(ConfigError, match=r"GAP\.cancellation_fee"):
        load_settings({"PRODUCT_CATALOGUE_FILE": str(bad)})
    bad.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="JSON object"):
        load_settings({"PRODUCT_CATALOGUE_FILE": str(bad)})
