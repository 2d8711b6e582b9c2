"""Partner access and acknowledgements (spec/PARTNER-FILES.md, "Where files land", "Acknowledgement").

A partner reads its own container `partner-<id>` through a time-limited read+list link, and may upload
`inbound/ack/<data file name>.ack` holding the sha256 it computed (in any form domain/partner_files/acks.py
reads), over SFTP or with an ack-only link. Acknowledgements are partner input: the content is used for exactly
one comparison with the hash the exchange recorded, and nothing else.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from function_app.domain.delivery.acks import claimed_sha256
from function_app.domain.delivery.statuses import AckOutcome, FileStatus
from function_app.domain.kernel.partners import PartnerConfig, partner
from function_app.service_layer.delivery.ports import DeliveredFile, DeliveryStateStore

MIN_HOURS, MAX_HOURS = 1, 168  # a user delegation key, and so its SAS, lives at most 7 days

ACK_PREFIX = "inbound/ack/"
ACK_SUFFIX = ".ack"
ACK_READ_LIMIT = 4096  # bytes of an ack worth reading: a digest, a sha256sum line or a small JSON object


class SasIssuerError(RuntimeError):
    """Nothing here can sign a link: the storage client was itself built from a SAS, or storage is in memory."""


class AccessIssuer(ABC):
    """Hands out links to a partner's own container."""

    @abstractmethod
    def read_list_url(self, partner: str, expires_at: datetime) -> str:
        """A URL to the partner's container that allows reading and listing its blobs, nothing else, until then."""

    @abstractmethod
    def ack_upload_url(self, partner: str, expires_at: datetime) -> AckLink:
        """A URL that allows creating and writing blobs under `inbound/ack/` of the partner's container, nothing
        else, until then."""


@dataclass(frozen=True)
class AckLink:
    url: str  # `.../partner-<id>/inbound/ack?<sas>`: a partner uploads `<data file name>.ack` beneath it
    confined_to_ack: bool  # False only on the local emulator, which cannot confine a link to a directory


class AckInbox(ABC):
    """What partners uploaded under `inbound/ack/` in their containers."""

    @abstractmethod
    def acks(self, partner: str) -> Iterator[tuple[str, bytes]]:
        """(blob name, content) of each blob under `inbound/ack/`; nothing when the container does not exist.

        The content may be cut after ACK_READ_LIMIT bytes.
        """


def issue_access(issuer: AccessIssuer, config: PartnerConfig, partner_id: str, hours: int, now: datetime) -> str:
    """A read+list link to a configured partner's container, valid `hours` (1 to 168) from `now`."""
    return issuer.read_list_url(partner_id, link_expiry(config, partner_id, hours, now))


def issue_ack_access(
    issuer: AccessIssuer, config: PartnerConfig, partner_id: str, hours: int, now: datetime
) -> AckLink:
    """An ack-only link (create and write under `inbound/ack/`) for a configured partner, valid `hours`."""
    return issuer.ack_upload_url(partner_id, link_expiry(config, partner_id, hours, now))


def link_expiry(config: PartnerConfig, partner_id: str, hours: int, now: datetime) -> datetime:
    partner(config, partner_id)  # KeyError naming the known partners
    if isinstance(hours, bool) or not isinstance(hours, int) or not MIN_HOURS <= hours <= MAX_HOURS:
        raise ValueError(
            f"hours must be a whole number from {MIN_HOURS} to {MAX_HOURS} (7 days), got {hours!r}"
        )
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    return now + timedelta(hours=hours)


@dataclass(frozen=True)
class AckResult:
    partner: str
    ack_name: str  # blob name in the partner's container, `inbound/ack/...`
    file: str | None  # blob name of the delivered file it names, None when it names none
    status: AckOutcome  # what this ack says
    note: str = ""
    changed: bool = False  # whether this run recorded a new status on the delivered file


class Acknowledgements:
    """Reads partners' acks and records, per delivered file, ACKNOWLEDGED or ACK_MISMATCH.

    Idempotent: a status is written only when it changes, so a second run writes nothing. A file once
    ACKNOWLEDGED stays so (a later, different ack is reported, not recorded); a file in ACK_MISMATCH becomes
    ACKNOWLEDGED when the partner uploads a corrected ack. Acks are left where they are.
    """

    def __init__(self, deliveries: DeliveryStateStore, inbox: AckInbox, config: PartnerConfig) -> None:
        self._deliveries = deliveries
        self._inbox = inbox
        self._config = config

    def run(self, partner_id: str | None = None) -> list[AckResult]:
        """Every configured partner, or just one (KeyError naming the known partners when it is not configured)."""
        ids = [partner(self._config, partner_id).id] if partner_id else [p.id for p in self._config.partners]
        results: list[AckResult] = []
        for pid in ids:
            results.extend(self._partner(pid))
        return results

    def _partner(self, partner_id: str) -> Iterator[AckResult]:
        acks = sorted(self._inbox.acks(partner_id))
        if not acks:
            return
        by_name: dict[str, list[DeliveredFile]] = {}
        for delivered in self._deliveries.files(partner_id):
            by_name.setdefault(delivered.blob_name.rsplit("/", 1)[-1], []).append(delivered)
        for ack_name, content in acks:
            yield self._one(partner_id, ack_name, content, by_name)

    def _one(
        self, partner_id: str, ack_name: str, content: bytes, by_name: dict[str, list[DeliveredFile]]
    ) -> AckResult:
        base = ack_name.removeprefix(ACK_PREFIX)
        if not base.endswith(ACK_SUFFIX) or "/" in base:
            note = f"not named {ACK_PREFIX}<data file name>.ack"
            return AckResult(partner_id, ack_name, None, AckOutcome.UNKNOWN_FILE, note)
        matches = by_name.get(base.removesuffix(ACK_SUFFIX), [])
        if len(matches) != 1:
            note = "names no file delivered to this partner" if not matches else "names several delivered files"
            return AckResult(partner_id, ack_name, None, AckOutcome.UNKNOWN_FILE, note)
        delivered = matches[0]
        claimed, problem = claimed_sha256(content[:ACK_READ_LIMIT], delivered.blob_name.rsplit("/", 1)[-1])
        if claimed is None:
            return self._record(delivered, ack_name, FileStatus.ACK_MISMATCH, problem)
        if claimed != delivered.sha256.lower():
            note = "sha256 differs from the delivered file's"
            return self._record(delivered, ack_name, FileStatus.ACK_MISMATCH, note)
        return self._record(delivered, ack_name, FileStatus.ACKNOWLEDGED, "")

    def _record(self, delivered: DeliveredFile, ack_name: str, status: FileStatus, note: str) -> AckResult:
        said = AckOutcome(status.value)
        if delivered.status is FileStatus.ACKNOWLEDGED and status is not FileStatus.ACKNOWLEDGED:
            note = f"{note}; the file stays ACKNOWLEDGED (acknowledged before)"
            return AckResult(delivered.partner, ack_name, delivered.blob_name, said, note)
        changed = delivered.status != status
        if changed:
            self._deliveries.set_status(delivered, status)
        return AckResult(delivered.partner, ack_name, delivered.blob_name, said, note, changed)
