"""A claims file's manifest (spec/CLAIMS-INBOUND.md): at most 64 KiB of JSON whose record_count, total_amount and
sha256 must agree with the file before any row of it is applied."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal

from function_app.domain.claims.reasons import MAX_ECHO_CHARS, shown
from function_app.domain.kernel.money import money_str, parse_money

MAX_MANIFEST_BYTES = 64 * 1024  # CLAIMS-INBOUND.md: a manifest is at most 64 KiB of JSON

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def parse_manifest(raw: bytes) -> dict[str, object] | str:
    """The manifest's JSON object, or why it is MANIFEST_INVALID (too large, not UTF-8 JSON, not an object)."""
    if len(raw) > MAX_MANIFEST_BYTES:
        return f"the manifest is more than {MAX_MANIFEST_BYTES} bytes"
    try:
        document = json.loads(raw)
    except RecursionError:  # 64 KiB of brackets nests deeper than the parser goes
        return "the manifest nests too deeply"
    except ValueError as error:  # not UTF-8, not JSON, or a number too long to convert
        return f"the manifest is not JSON: {str(error)[:100]}"
    if not isinstance(document, dict):
        return "the manifest is not a JSON object"
    return document


def check_manifest(
    manifest: Mapping[str, object], *, record_count: int, total_amount: Decimal, sha256: str
) -> list[str]:
    """What in the manifest disagrees with the file: one line per field, naming manifest value and actual."""
    mismatches = (
        _count_mismatch(manifest, record_count),
        _total_mismatch(manifest, total_amount),
        _sha_mismatch(manifest, sha256),
    )
    return [mismatch for mismatch in mismatches if mismatch]


def _manifest_value(value: object) -> str:
    quoted = shown(value) if isinstance(value, str) else repr(value)[:MAX_ECHO_CHARS]
    return f"{quoted} ({type(value).__name__})"


def _count_mismatch(manifest: Mapping[str, object], actual: int) -> str:
    if "record_count" not in manifest:
        return f"record_count: missing from the manifest; actual {actual}"
    value = manifest["record_count"]
    if not isinstance(value, int) or isinstance(value, bool):
        return f"record_count: manifest {_manifest_value(value)} is not an integer; actual {actual}"
    return "" if value == actual else f"record_count: manifest {value}, actual {actual}"


def _total_mismatch(manifest: Mapping[str, object], actual: Decimal) -> str:
    actual_text = money_str(actual)
    if "total_amount" not in manifest:
        return f"total_amount: missing from the manifest; actual {actual_text}"
    value = manifest["total_amount"]
    amount = parse_money(value) if isinstance(value, str) else None
    if amount is None:
        return (f"total_amount: manifest {_manifest_value(value)} is not a decimal string with 2 places; "
                f"actual {actual_text}")
    return "" if amount == actual else f"total_amount: manifest {shown(str(amount))}, actual {actual_text}"


def _sha_mismatch(manifest: Mapping[str, object], actual: str) -> str:
    if "sha256" not in manifest:
        return f"sha256: missing from the manifest; actual {actual}"
    value = manifest["sha256"]
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        return f"sha256: manifest {_manifest_value(value)} is not 64 hex digits; actual {actual}"
    return "" if value.lower() == actual.lower() else f"sha256: manifest {value}, actual {actual}"
