"""Manifests as the JSON blobs partners read beside their files: indented, keys sorted, one final newline."""

from __future__ import annotations

import json
from collections.abc import Mapping

from function_app.domain.delivery.manifest import FileManifest


def document_bytes(document: Mapping[str, object]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n"


def manifest_bytes(manifest: FileManifest) -> bytes:
    return document_bytes(manifest.to_json())
