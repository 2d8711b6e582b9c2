"""Settings from the environment (app settings in Azure, local.settings.json under `func start`)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from function_app.domain.api.callers import CallerMap, CallerMapError, parse_callers
from function_app.domain.kernel.catalogue import DEFAULT_CATALOGUE, Catalogue, CatalogueError, catalogue_from_overrides
from function_app.domain.kernel.schedule import longest_gap
from function_app.domain.kernel.state_rules import StateRuleError, StateRules, state_rules_from_document
from function_app.domain.retention.period import DEFAULT_DAYS_AFTER_COVERAGE, Retention

STORAGE_SETTING = "AzureWebJobsStorage"
EVENT_HUB_SETTING = "EventHubConnection"  # the triggers' connection; feedback is sent with it too
# The longest name made from it, `<namespace>partner-<40-character partner id>`, must stay a valid container
# name (at most 63); tables, which allow letters and digits only, begin with it too.
NAMESPACE_MAX = 15
_NAMESPACE = re.compile(f"[a-z][a-z0-9]{{0,{NAMESPACE_MAX - 1}}}")
_DIGITS = re.compile(r"[0-9]{1,9}")  # ASCII only: int() would also read '²' or Arabic-Indic digits
_ACCOUNT = re.compile(r"[a-z0-9]{3,24}")
_SERVICE_URI = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]*)*", re.ASCII)
APP_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PARTNER_CONFIG = APP_ROOT / "config" / "partners.json"
DEFAULT_STATE_RULES = APP_ROOT / "config" / "state_rules.json"
DEFAULT_API_CALLERS = APP_ROOT / "config" / "api_callers.json"


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
    clock_skew: timedelta = timedelta(seconds=5)  # how far another instance's clock may run behind this one's
    micro_period: timedelta = timedelta(minutes=1)  # the longest gap of PARTNER_MICRO_SCHEDULE
    nightly_period: timedelta = timedelta(days=1)  # the longest gap of PARTNER_NIGHTLY_SCHEDULE
    evidence_blob_service_uri: str | None = None  # the seals' own account in Azure; unset: the main account's blobs
    retention: Retention = field(default_factory=Retention)
    state_rules: StateRules = field(default_factory=StateRules)
    api_callers: CallerMap = field(default_factory=dict, hash=False)  # client id -> dealer or lienholder (API.md)
    journal_shards: int = 4  # Table partitions each business date's journal facts are spread over
    in_azure: bool = False  # on App Service (WEBSITE_INSTANCE_ID): Entra ID in front, no development identity
    event_hub_connection: str | None = field(default=None, repr=False)  # a connection string (local, emulator)
    event_hub_namespace: str | None = None  # in Azure: reached with the app's managed identity

    @property
    def contracts_table(self) -> str:
        return f"{self.namespace}contracts"

    @property
    def journal_table(self) -> str:
        return f"{self.namespace}journal"

    @property
    def in_flight_table(self) -> str:
        return f"{self.namespace}inflight"

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

    @property
    def evidence_container(self) -> str:
        return f"{self.namespace}evidence"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Every setting read and its range checked here, at start-up: a wrong one raises ConfigError naming it."""
    env = os.environ if env is None else env
    account = _account(env.get(f"{STORAGE_SETTING}__accountName"))
    return Settings(
        storage_connection=_connection(env.get(STORAGE_SETTING)),
        blob_service_uri=_uri(env, f"{STORAGE_SETTING}__blobServiceUri")
        or (f"https://{account}.blob.core.windows.net" if account else None),
        table_service_uri=_uri(env, f"{STORAGE_SETTING}__tableServiceUri")
        or (f"https://{account}.table.core.windows.net" if account else None),
        queue_service_uri=_uri(env, f"{STORAGE_SETTING}__queueServiceUri")
        or (f"https://{account}.queue.core.windows.net" if account else None),
        zone=_zone(env.get("BUSINESS_TIMEZONE", "America/Chicago")),
        contract_partitions=_int(env, "CONTRACT_PARTITIONS", 4, 1, 100),
        journal_shards=_int(env, "JOURNAL_SHARDS", 4, 1, 32),
        hold=timedelta(hours=_int(env, "CANCELLATION_HOLD_HOURS", 72, 1, 24 * 30)),
        catalogue=_catalogue(env.get("PRODUCT_CATALOGUE_FILE")),
        namespace=_namespace(env.get("STORAGE_NAMESPACE", "")),
        partner_config=_path(env.get("PARTNER_CONFIG_FILE"), DEFAULT_PARTNER_CONFIG),
        state_rules=_state_rules(_path(env.get("STATE_RULES"), DEFAULT_STATE_RULES, "STATE_RULES")),
        clock_skew=timedelta(seconds=_int(env, "DELIVERY_CLOCK_SKEW_SECONDS", 5, 0, 300)),
        micro_period=_period(env, "PARTNER_MICRO_SCHEDULE", "0 * * * * *"),
        nightly_period=_period(env, "PARTNER_NIGHTLY_SCHEDULE", "0 0 8 * * *"),
        evidence_blob_service_uri=_uri(env, "EVIDENCE_BLOB_SERVICE_URI"),
        retention=Retention(_int(env, "RETENTION_DAYS_AFTER_COVERAGE", DEFAULT_DAYS_AFTER_COVERAGE, 30, 36500)),
        api_callers=_callers(env.get("API_CALLERS")),
        in_azure=bool(env.get("WEBSITE_INSTANCE_ID")),
        event_hub_connection=env.get(EVENT_HUB_SETTING) or None,
        event_hub_namespace=env.get(f"{EVENT_HUB_SETTING}__fullyQualifiedNamespace") or None,
    )


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 60 else raw[:60] + "…")


def _connection(raw: str | None) -> str | None:
    if not raw:
        return None
    parts = [part.partition("=") for part in raw.strip().rstrip(";").split(";")]
    if not all(key.strip() and sep for key, sep, _ in parts):
        raise ConfigError(f"{STORAGE_SETTING}: expected a connection string of Key=Value pairs separated by ';' "
                          "(e.g. UseDevelopmentStorage=true, or AccountName=…;AccountKey=…;…), got something else")
    return raw


def _account(raw: str | None) -> str | None:
    if raw and not _ACCOUNT.fullmatch(raw):
        raise ConfigError(f"{STORAGE_SETTING}__accountName: expected a storage account name (3-24 lower-case "
                          f"letters and digits), got {_shown(raw)}")
    return raw or None


def _uri(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if raw and not _SERVICE_URI.fullmatch(raw):
        raise ConfigError(f"{name}: expected an http(s) URL such as https://<account>.blob.core.windows.net, "
                          f"got {_shown(raw)}")
    return raw or None


def _path(raw: str | None, default: Path, name: str = "PARTNER_CONFIG_FILE") -> Path:
    """Relative paths are taken from the app root, where host.json is, whatever the working directory."""
    if not raw:
        return default
    if "\0" in raw:
        raise ConfigError(f"{name}: a path cannot hold a NUL character, got {_shown(raw)}")
    path = Path(raw)
    return path if path.is_absolute() else APP_ROOT / path


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a name too long for a file name
        raise ConfigError(f"BUSINESS_TIMEZONE: {_shown(name)} is not an IANA time zone such as America/Chicago") \
            from exc


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.fullmatch(raw.strip(" ")) or not low <= int(raw) <= high:
        raise ConfigError(f"{name}: expected a whole number from {low} to {high} in ASCII digits, got {_shown(raw)}")
    return int(raw)


def _period(env: Mapping[str, str], name: str, default: str) -> timedelta:
    """A timer's schedule, read for its longest gap (the slack reconciliation allows beyond a feed's SLA)."""
    raw = env.get(name) or default
    try:
        return longest_gap(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: expected an NCRONTAB schedule that fires every day, got {_shown(raw)}: {exc}"
                          ) from exc


def _namespace(raw: str) -> str:
    if raw and not _NAMESPACE.fullmatch(raw):
        raise ConfigError(f"STORAGE_NAMESPACE: expected 1-{NAMESPACE_MAX} characters, lower-case ASCII letters and "
                          "digits starting with a letter (it begins every table and container name), "
                          f"got {_shown(raw)}")
    return raw


def _json_file(setting: str, path: Path) -> object:
    """A configuration file's JSON; unreadable or not JSON stops start-up naming the setting and the file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser goes
        raise ConfigError(f"{setting}: cannot read {_shown(str(path))}: {str(exc)[:200]}") from exc


def _catalogue(path: str | None) -> Catalogue:
    if not path:
        return DEFAULT_CATALOGUE
    overrides = _json_file("PRODUCT_CATALOGUE_FILE", Path(path))
    if not isinstance(overrides, dict):
        raise ConfigError(f"PRODUCT_CATALOGUE_FILE: {path} must hold a JSON object keyed by product type")
    try:
        return catalogue_from_overrides(overrides)
    except CatalogueError as exc:
        raise ConfigError(f"PRODUCT_CATALOGUE_FILE {path}: {exc}") from exc


def _state_rules(path: Path) -> StateRules:
    """The default file too must be there: a deployment that lost its rules would refund less than the law says.
    No rules at all is said with `{"rules": []}`."""
    try:
        return state_rules_from_document(_json_file("STATE_RULES", path))
    except StateRuleError as exc:
        raise ConfigError(f"STATE_RULES {path}: {exc}") from exc


def _callers(raw: str | None) -> CallerMap:
    """The default file may be absent (no caller then); a file that is named must be there and right."""
    path = _path(raw, DEFAULT_API_CALLERS, "API_CALLERS")
    if not raw and not path.exists():
        return {}
    try:
        return parse_callers(_json_file("API_CALLERS", path))
    except CallerMapError as exc:
        raise ConfigError(f"API_CALLERS {path}: {exc}") from exc
