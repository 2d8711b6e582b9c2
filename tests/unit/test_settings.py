"""Settings: defaults, and a clear error naming the setting for every kind of mistake."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from function_app.config import NAMESPACE_MAX, ConfigError, load_settings
from function_app.domain.kernel.catalogue import ProductType


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
        ({"JOURNAL_SHARDS": "0"}, "JOURNAL_SHARDS"),
        ({"JOURNAL_SHARDS": "33"}, "JOURNAL_SHARDS"),
        ({"STORAGE_NAMESPACE": "Has-Dash"}, "STORAGE_NAMESPACE"),
        ({"PRODUCT_CATALOGUE_FILE": "/no/such/catalogue.json"}, "PRODUCT_CATALOGUE_FILE"),
        # values that pass str.isdigit / str.isalnum but that int() or storage names refuse
        ({"CONTRACT_PARTITIONS": "\u00b2"}, "CONTRACT_PARTITIONS"),
        ({"CONTRACT_PARTITIONS": "\u0664"}, "CONTRACT_PARTITIONS"),
        ({"CONTRACT_PARTITIONS": "9" * 5000}, "CONTRACT_PARTITIONS"),
        ({"CANCELLATION_HOLD_HOURS": "\u00b9\u00b2"}, "CANCELLATION_HOLD_HOURS"),
        ({"DELIVERY_CLOCK_SKEW_SECONDS": "\uff11"}, "DELIVERY_CLOCK_SKEW_SECONDS"),
        ({"PARTNER_MICRO_SCHEDULE": "0 */5 * * *"}, "PARTNER_MICRO_SCHEDULE"),
        ({"PARTNER_NIGHTLY_SCHEDULE": "0 0 8 * * 1-5"}, "PARTNER_NIGHTLY_SCHEDULE"),
        ({"DELIVERY_CLOCK_SKEW_SECONDS": "301"}, "DELIVERY_CLOCK_SKEW_SECONDS"),
        ({"RETENTION_DAYS_AFTER_COVERAGE": "29"}, "RETENTION_DAYS_AFTER_COVERAGE"),
        ({"RETENTION_DAYS_AFTER_COVERAGE": "two years"}, "RETENTION_DAYS_AFTER_COVERAGE"),
        ({"STORAGE_NAMESPACE": "caf\u00e9"}, "STORAGE_NAMESPACE"),
        ({"STORAGE_NAMESPACE": "\u00e9t\u00e9"}, "STORAGE_NAMESPACE"),
        ({"STORAGE_NAMESPACE": "a" * 16}, "STORAGE_NAMESPACE"),
        ({"STORAGE_NAMESPACE": "1abc"}, "STORAGE_NAMESPACE"),
        ({"BUSINESS_TIMEZONE": "A" * 5000}, "BUSINESS_TIMEZONE"),
        ({"BUSINESS_TIMEZONE": "../../etc/passwd"}, "BUSINESS_TIMEZONE"),
        ({"AzureWebJobsStorage": "garbage"}, "AzureWebJobsStorage"),
        ({"AzureWebJobsStorage__accountName": "Bad_Account!"}, "AzureWebJobsStorage__accountName"),
        ({"AzureWebJobsStorage__blobServiceUri": "ftp://x"}, "AzureWebJobsStorage__blobServiceUri"),
        ({"AzureWebJobsStorage__tableServiceUri": "https://x/\u00e9"}, "AzureWebJobsStorage__tableServiceUri"),
        ({"PARTNER_CONFIG_FILE": "a\x00b"}, "PARTNER_CONFIG_FILE"),
    ],
)
def test_a_wrong_setting_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named) as raised:
        load_settings(env)
    assert len(str(raised.value)) < 400, "a hostile value is not echoed whole"


def test_the_longest_namespace_still_makes_valid_container_and_table_names() -> None:
    settings = load_settings({"STORAGE_NAMESPACE": "n" * NAMESPACE_MAX, "CONTRACT_PARTITIONS": " 8 "})
    longest_container = f"{settings.namespace}partner-{'a' * 40}"
    assert len(longest_container) <= 63 and settings.contract_partitions == 8
    assert (settings.journal_shards, load_settings({"JOURNAL_SHARDS": "1"}).journal_shards) == (4, 1)
    assert all(len(name) <= 63 and name.isalnum() for name in (settings.claim_files_table, settings.breaks_table))


def test_a_catalogue_file_nested_too_deep_is_a_named_mistake(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError, match="PRODUCT_CATALOGUE_FILE"):
        load_settings({"PRODUCT_CATALOGUE_FILE": str(deep)})


def test_connection_strings_and_service_uris_that_work_are_taken() -> None:
    settings = load_settings({
        "AzureWebJobsStorage": "UseDevelopmentStorage=true",
        "AzureWebJobsStorage__blobServiceUri": "http://127.0.0.1:10000/devstoreaccount1",
    })
    assert settings.storage_connection == "UseDevelopmentStorage=true"
    assert settings.blob_service_uri == "http://127.0.0.1:10000/devstoreaccount1"


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
