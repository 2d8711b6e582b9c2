"""A claimed file's bytes and manifest, built from exactly the journal ranges its claim names: by the run that
writes it, by a rerun after a crash, and by a resend, always the same."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from function_app.domain.delivery.formats import FileWriter, Record, file_bytes, writer_for
from function_app.domain.delivery.manifest import FileManifest, Span
from function_app.domain.delivery.records import PiiLevel, record_maker
from function_app.domain.kernel.partners import Feed
from function_app.service_layer.delivery.feed_facts import FeedFacts
from function_app.service_layer.delivery.ports import DeliveredFile, FileClaim

Progress = Callable[[int], None]


@dataclass(frozen=True)
class FileBuild:
    writer: FileWriter  # its count, totals and overflows are final once the chunks are consumed
    chunks: Iterator[bytes]
    lineage: dict[str, Span]  # business date -> positions of the facts in the file; filled as chunks are consumed


class FileBuilder:
    def __init__(self, facts: FeedFacts) -> None:
        self._facts = facts

    def build(self, partner: str, feed: Feed, claim: FileClaim, progress: Progress | None = None) -> FileBuild:
        writer = writer_for(feed.format, partner, feed.name, claim.business_date, claim.sequence, list(feed.fields))
        lineage: dict[str, Span] = {}
        return FileBuild(writer, file_bytes(writer, self._records(feed, claim, lineage, progress)), lineage)

    def _records(
        self, feed: Feed, claim: FileClaim, lineage: dict[str, Span], progress: Progress | None
    ) -> Iterator[Record]:
        make = record_maker(list(feed.fields), PiiLevel(feed.pii))
        for fact in self._facts.in_ranges(claim.ranges):
            if not feed.receives(fact):
                continue
            day = fact.business_date.isoformat()
            span = lineage.get(day)
            if span is None:
                lineage[day] = Span(fact.position, fact.position)
            else:
                span.last = fact.position
            if progress is not None:
                progress(1)
            yield make(fact)


def manifest_of(feed: Feed, delivered: DeliveredFile, lineage: dict[str, Span]) -> FileManifest:
    return FileManifest(
        partner=delivered.partner,
        feed=delivered.feed,
        business_date=delivered.business_date,
        sequence=delivered.sequence,
        file=delivered.blob_name,
        format=feed.format,
        record_count=delivered.record_count,
        control_totals=delivered.control_totals,
        sha256=delivered.sha256,
        bytes=delivered.bytes,
        created_at=delivered.created_at,
        lineage=dict(lineage),
    )
