"""Resending a delivered file: rebuilt from the journal ranges recorded for it, byte-identical or not at all."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from function_app.domain.delivery.statuses import BlobOutcome
from function_app.domain.kernel.partners import PartnerConfig
from function_app.service_layer.delivery.building import FileBuilder, manifest_of
from function_app.service_layer.delivery.jobs import feed_of
from function_app.service_layer.delivery.ports import DeliveredFile, DeliveryStateStore, FileClaim, PartnerFileStore


class ResendRefused(Exception):
    """The journal no longer gives the delivered bytes: nothing is written, a person looks at why."""


@dataclass(frozen=True)
class ResendResult:
    file: DeliveredFile
    data: BlobOutcome
    manifest: BlobOutcome


class Resender:
    def __init__(
        self, config: PartnerConfig, files: PartnerFileStore, states: DeliveryStateStore, builder: FileBuilder
    ) -> None:
        self._config = config
        self._files = files
        self._states = states
        self._builder = builder

    def resend(self, partner: str, name: str) -> ResendResult:
        """Rebuilds a delivered file from the journal ranges recorded for it, byte-identical (its recorded sha256),
        and its manifest; writes each only where the blob is missing or differs. KeyError: no such delivered file."""
        found = [f for f in self._states.files(partner) if f.blob_name == name]
        if not found:
            raise KeyError(f"no delivered file {name!r} for partner {partner!r}")
        delivered = found[-1]
        _, feed = feed_of(self._config, partner, delivered.feed)
        claim = FileClaim(delivered.business_date, delivered.sequence, name, delivered.ranges, delivered.created_at)
        build = self._builder.build(partner, feed, claim)
        data = b"".join(build.chunks)
        digest = hashlib.sha256(data).hexdigest()
        if digest != delivered.sha256 or len(data) != delivered.bytes:
            raise ResendRefused(f"{name}: the journal now gives {len(data)} bytes with sha256 {digest}, not the "
                                f"{delivered.bytes} bytes with sha256 {delivered.sha256} that were delivered; "
                                "nothing written (run `fnix reconcile` for its date)")
        data_outcome = BlobOutcome.UNCHANGED
        if self._existing(partner, name) != data:
            self._files.write_data(partner, name, [data])
            data_outcome = BlobOutcome.WRITTEN
        manifest = manifest_of(feed, delivered, build)
        manifest_outcome = BlobOutcome.UNCHANGED
        if not manifest.is_stored_as(self._existing(partner, name + ".manifest.json")):
            self._files.write_manifest(partner, name + ".manifest.json", manifest)
            manifest_outcome = BlobOutcome.WRITTEN
        return ResendResult(delivered, data_outcome, manifest_outcome)

    def _existing(self, partner: str, name: str) -> bytes | None:
        try:
            return self._files.read(partner, name)
        except KeyError:
            return None
