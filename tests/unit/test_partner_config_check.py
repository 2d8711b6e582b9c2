"""Start-up validation of the partner configuration, with and without a current stamp."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from function_app.adapters.kernel.partner_config_file import PartnerConfigError
from function_app.config import DEFAULT_PARTNER_CONFIG
from function_app.partner_config_check import ensure_valid, fingerprint, stamp_path, write_stamp


def test_the_shipped_configuration_carries_a_current_stamp() -> None:
    stamp = stamp_path(DEFAULT_PARTNER_CONFIG)
    assert stamp.exists() and stamp.read_text().strip() == fingerprint(DEFAULT_PARTNER_CONFIG), (
        "config/partners.json or its validation rules changed: run `./dev fnix partners check` and commit the stamp"
    )


def test_an_edited_file_is_validated_in_full_whatever_its_stamp_says(tmp_path: Path) -> None:
    config = tmp_path / "partners.json"
    shutil.copy(DEFAULT_PARTNER_CONFIG, config)
    write_stamp(config)
    ensure_valid(config)
    document = json.loads(config.read_text())
    document["partners"][0]["feeds"][0]["format"] = "xlsx"
    config.write_text(json.dumps(document))
    with pytest.raises(PartnerConfigError, match=document["partners"][0]["id"]) as error:
        ensure_valid(config)
    assert "format" in str(error.value)


def test_without_a_stamp_the_file_is_validated_in_full(tmp_path: Path) -> None:
    config = tmp_path / "partners.json"
    config.write_text('{"schema_version": 1, "partners": [{"id": "X"}]}')
    with pytest.raises(PartnerConfigError):
        ensure_valid(config)
