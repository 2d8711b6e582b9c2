"""What became of a delivered file, and what a partner's acknowledgement says (spec/PARTNER-FILES.md)."""

from __future__ import annotations

from enum import StrEnum


class FileStatus(StrEnum):
    """A delivered file's status: delivered, then acknowledged by the partner (or not matching its ack)."""

    DELIVERED = "DELIVERED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    ACK_MISMATCH = "ACK_MISMATCH"


class AckOutcome(StrEnum):
    """What one acknowledgement says about the file it names."""

    ACKNOWLEDGED = "ACKNOWLEDGED"
    ACK_MISMATCH = "ACK_MISMATCH"
    UNKNOWN_FILE = "UNKNOWN_FILE"  # it names no file delivered to the partner, or several


class BlobOutcome(StrEnum):
    """What a resend did to one blob."""

    WRITTEN = "WRITTEN"  # missing or different bytes replaced
    UNCHANGED = "UNCHANGED"  # the very bytes were there
