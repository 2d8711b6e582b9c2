"""A claimed file's bytes and manifest, built from exactly the journal ranges its claim names: by the run that
writes it, by a rerun after a crash, and by a resend, always the same."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from function_app.domain.delivery.csv_lines import fact_rows
from function_app.domain.delivery.formats import FileWriter, writer_for
from function_app.domain.delivery.manifest import FileManifest, Span
from function_app.domain.delivery.records import PiiLevel
from function_app.domain.kernel.chain import ChainCursor
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.kernel.partners import Feed
from function_app.service_layer.delivery.feed_facts import FeedFacts
from function_app.service_layer.delivery.ports import DeliveredFile, FileClaim

Progress = Callable[[int], None]


@dataclass
class FileChain:
    """The journal chain as a file's build reads it: over every fact of each date in the file's ranges (the feed's
    and the others'), from the link at each range's start. Final once the chunks are consumed."""

    ends: dict[str, str] = field(default_factory=dict)  # business date -> the link at the end of its range
    at_last_record: str | None = None  # the link at the file's last fact of its own business date

    def journal_chain(self, business_date: str) -> str:
        """The manifest's `journal_chain`: at the file's last fact of its date, or, without one, where it stopped."""
        return self.at_last_record if self.at_last_record is not None else self.ends[business_date]


@dataclass(frozen=True)
class FileBuild:
    writer: FileWriter  # its count, totals and overflows are final once the chunks are consumed
    chunks: Iterator[bytes]
    lineage: dict[str, Span]  # business date -> positions of the facts in the file; filled as chunks are consumed
    chain: FileChain


class FileBuilder:
    def __init__(self, facts: FeedFacts) -> None:
        self._facts = facts

    def build(self, partner: str, feed: Feed, claim: FileClaim, progress: Progress | None = None) -> FileBuild:
        writer = writer_for(feed.format, partner, feed.name, claim.business_date, claim.sequence, list(feed.fields))
        lineage: dict[str, Span] = {}
        chain = FileChain()
        facts = self._received(feed, claim, lineage, chain, progress)
        return FileBuild(writer, _file_bytes(writer, facts, feed), lineage, chain)

    def _received(
        self, feed: Feed, claim: FileClaim, lineage: dict[str, Span], chain: FileChain, progress: Progress | None
    ) -> Iterator[JournalFact]:
        own = claim.business_date.isoformat()
        cursors = {day: ChainCursor(claim.chain_from.get(day) or self._facts.chain_at(day, after))
                   for day, (after, _) in claim.ranges.items()}
        receives = feed.receives
        for day, facts in self._facts.day_by_day(claim.ranges):
            advance, span = cursors[day].advance, lineage.get(day)
            for fact in facts:
                value = advance(fact)
                if not receives(fact):
                    continue
                if day == own:
                    chain.at_last_record = value
                if span is None:
                    span = lineage[day] = Span(fact.position, fact.position)
                else:
                    span.last = fact.position
                if progress is not None:
                    progress(1)
                yield fact
        chain.ends.update({day: cursor.value for day, cursor in cursors.items()})


def _file_bytes(writer: FileWriter, facts: Iterator[JournalFact], feed: Feed) -> Iterator[bytes]:
    """A whole file as chunks: the header, the rows, then the trailer (which may carry the count and totals)."""
    yield writer.header()
    yield from fact_rows(writer, facts, list(feed.fields), PiiLevel(feed.pii))
    yield writer.trailer()


def manifest_of(feed: Feed, delivered: DeliveredFile, build: FileBuild) -> FileManifest:
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
        lineage=dict(build.lineage),
        journal_chain=build.chain.journal_chain(delivered.business_date.isoformat()),
    )
