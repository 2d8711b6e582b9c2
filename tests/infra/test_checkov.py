"""checkov's Bicep and secrets policies over infra/, run from its own venv `.venv-infra` (prepared by `./dev test`)
so that checkov's pinned dependencies never meet the app's. Offline: `--skip-download` keeps it from calling home.
`FNI_CHECKOV=/path/to/checkov` points the test at another installation."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.bicep import ROOT

CHECKOV = Path(os.environ.get("FNI_CHECKOV") or ROOT / ".venv-infra" / "bin" / "checkov")
UNEXPLAINED = (None, "", "No comment provided")

pytestmark = pytest.mark.skipif(
    not CHECKOV.exists(), reason=f"{CHECKOV} is absent: `./dev test` installs checkov into .venv-infra"
)


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    command = [str(CHECKOV), "--directory", "infra", "--framework", "bicep", "secrets", "--skip-download",
               "--output", "json", "--compact"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode in (0, 1), run.stderr  # 1: failed checks, named by the tests below
    output = json.loads(run.stdout)
    return {report["check_type"]: report for report in (output if isinstance(output, list) else [output])}


def test_every_bicep_file_is_read(reports: dict[str, dict[str, Any]]) -> None:
    summary = reports["bicep"]["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] > 0


def test_no_check_fails(reports: dict[str, dict[str, Any]]) -> None:
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for report in reports.values()  # `secrets` reports only when it finds something
        for check in report["results"]["failed_checks"]
    ]
    assert not failed


def test_every_skip_says_why(reports: dict[str, dict[str, Any]]) -> None:
    skipped = reports["bicep"]["results"]["skipped_checks"]
    assert not [check["check_id"] for check in skipped if check["check_result"].get("suppress_comment") in UNEXPLAINED]
