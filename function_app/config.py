"""Settings from the environment (app settings in Azure, local.settings.json under `func start`)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from function_app.domain.catalogue import DEFAULT_CATALOGUE, Catalogue, CatalogueError, catalogue_from_overrides

STORAGE_SETTING = "AzureWebJobsStorage"
APP_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PARTNER_CONFIG = APP_ROOT / "config" / "partners.json"


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names it."""


@dataclass(frozen=True)
class Settings:
    storage_connection: str | None
    blob_service_uri: str | None
    table_service_uri: str | None
    queue_service_uri: str | None
    zone: ZoneInfo
    contract_partitions: int
    hold: timedelta
    catalogue: Catalogue
    namespace: str = ""
    partner_config: Path = DEFAULT_PARTNER_CONFIG
    settle: timedelta = timedelta(minutes=15)

    @property
    def contracts_table(self) -> str:
        return f"{self.namespace}contracts"

    @property
    def journal_table(self) -> str:
        return f"{self.namespace}journal"

    @property
    def dead_letter_container(self) -> str:
        return f"{self.namespace}deadletter"

    @property
    def deliveries_table(self) -> str:
        return f"{self.namespace}deliveries"

    @property
    def breaks_table(self) -> str:
        return f"{self.namespace}reconbreaks"

    @property
    def claims_table(self) -> str:
        return f"{self.namespace}claims"

    @property
    def claim_files_table(self) -> str:
        return f"{self.namespace}claimfiles"

    @property
    def reports_container(self) -> str:
        return f"{self.namespace}reports"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    account = env.get(f"{STORAGE_SETTING}__accountName")
    return Settings(
        storage_connection=env.get(STORAGE_SETTING) or None,
        blob_service_uri=env.get(f"{STORAGE_SETTING}__blobServiceUri")
        or (f"https://{account}.blob.core.windows.net" if account else None),
        table_service_uri=env.get(f"{STORAGE_SETTING}__tableServiceUri")
        or (f"https://{account}.table.core.windows.net" if account else None),
        queue_service_uri=env.get(f"{STORAGE_SETTING}__queueServiceUri")
        or (f"https://{account}.queue.core.windows.net" if account else None),
        zone=_zone(env.get("BUSINESS_TIMEZONE", "America/Chicago")),
        contract_partitions=_int(env, "CONTRACT_PARTITIONS", 4, 1, 100),
        hold=timedelta(hours=_int(env, "CANCELLATION_HOLD_HOURS", 72, 1, 24 * 30)),
        catalogue=_catalogue(env.get("PRODUCT_CATALOGUE_FILE")),
        namespace=_namespace(env.get("STORAGE_NAMESPACE", "")),
        partner_config=_path(env.get("PARTNER_CONFIG_FILE"), DEFAULT_PARTNER_CONFIG),
        settle=timedelta(minutes=_int(env, "DELIVERY_SETTLE_MINUTES", 15, 0, 24 * 60)),
    )


def _path(raw: str | None, default: Path) -> Path:
    """Relative paths are taken from the app root, where host.json is, whatever the working directory."""
    if not raw:
        return default
    path = Path(raw)
    return path if path.is_absolute() else APP_ROOT / path


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"BUSINESS_TIMEZONE: {name!r} is not an IANA time zone such as America/Chicago") from exc


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"{name}: expected a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def _namespace(raw: str) -> str:
    if raw and not (raw.isalnum() and raw.islower() and raw[0].isalpha() and len(raw) <= 20):
        raise ConfigError(f"STORAGE_NAMESPACE: expected up to 20 lowercase letters and digits, got {raw!r}")
    return raw


def _catalogue(path: str | None) -> Catalogue:
    if not path:
        return DEFAULT_CATALOGUE
    try:
        overrides = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"PRODUCT_CATALOGUE_FILE: cannot read {path}: {exc}") from exc
    if not isinstance(overrides, dict):
        raise ConfigError(f"PRODUCT_CATALOGUE_FILE: {path} must hold a JSON object keyed by product type")
    try:
        return catalogue_from_overrides(overrides)
    except CatalogueError as exc:
        raise ConfigError(f"PRODUCT_CATALOGUE_FILE {path}: {exc}") from exc
