"""How often a partner feed gets files (stdlib only: the timer functions name it at indexing, before pydantic)."""

from __future__ import annotations

from enum import StrEnum


class FeedMode(StrEnum):
    """How often a feed gets files: one nightly file per business date, or micro-batches through the day."""

    DAILY = "daily"
    MICRO = "micro"
