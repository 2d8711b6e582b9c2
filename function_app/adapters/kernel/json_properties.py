"""A JSON document in one entity: one String property, or compressed binary pieces when it is larger."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any

from function_app.domain.kernel import bounds

STRING_PROPERTY_BYTES = bounds.TABLE_PROPERTY_BYTES - 1024  # measured in UTF-16; some room to spare
PIECE_BYTES = bounds.TABLE_PROPERTY_BYTES  # a binary property holds at most 64 KiB
PIECES = bounds.TABLE_PIECES_PER_ENTITY  # an entity holds at most 1 MiB: 14 full pieces and the keys


def json_properties(name: str, document: object) -> dict[str, Any]:
    """A document as one String property, or, when it is larger than one may hold, compressed in binary pieces
    of 64 KiB (`<name>_z00`...): a contract with its ten released cancellations stays one entity."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True)
    if len(text.encode("utf-16-le", "surrogatepass")) <= STRING_PROPERTY_BYTES:
        return {name: text}
    payload = zlib.compress(text.encode("utf-8", "surrogatepass"), 6)
    pieces = range(0, len(payload), PIECE_BYTES)
    if len(pieces) > PIECES:
        raise ValueError(f"{name} is too large to store in one entity ({len(payload)} bytes compressed)")
    return {f"{name}_z{index:02d}": payload[start : start + PIECE_BYTES] for index, start in enumerate(pieces)}


def json_property(entity: Mapping[str, Any], name: str) -> Any:
    if name in entity:
        return json.loads(entity[name])
    pieces = sorted(key for key in entity if key.startswith(f"{name}_z"))
    return json.loads(zlib.decompress(b"".join(bytes(entity[key]) for key in pieces)))
