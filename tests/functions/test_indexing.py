"""Indexing stays cheap: what the worker tier (tests/worker) cannot see, since it only observes the worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_indexing_does_not_load_storage_clients_or_the_services() -> None:
    """Cold start: the SDK clients and the services load on the first invocation, not at indexing."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import function_app; "
        "heavy = [m for m in ('azure.data.tables', 'azure.storage.blob', 'azure.identity', 'pydantic', "
        "'function_app.service_layer.realtime.service', 'fastapi', 'starlette') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
