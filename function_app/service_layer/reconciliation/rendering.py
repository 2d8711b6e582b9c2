"""Delivered files rendered again from the journal, through the very builder delivery writes them with: the bytes
a file must hold, the figures its delivery record must keep, the manifest that must lie beside it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from function_app.domain.kernel.chain import ChainCursor, genesis
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.kernel.partners import Feed
from function_app.domain.reconciliation.delivery_records import FileFigures
from function_app.service_layer.delivery.building import FileBuilder, manifest_of
from function_app.service_layer.delivery.feed_facts import FeedFacts, Ranges
from function_app.service_layer.delivery.ports import DeliveredFile, FileClaim
from function_app.service_layer.kernel.ports import Journal


@dataclass(frozen=True)
class RenderedFile:
    data: bytes
    figures: FileFigures
    manifest: dict[str, Any]  # the manifest document, as the record and the journal give it


class _ReadDays(FeedFacts):
    """The journal dates reconciliation has read already, so a file's ranges cost no second read."""

    def __init__(self, journal: Journal, day: Callable[[str], list[JournalFact]]) -> None:
        super().__init__(journal, 0)
        self._day = day

    def in_ranges(self, ranges: Ranges) -> Iterator[JournalFact]:
        for day, (after, upto) in sorted(ranges.items()):
            yield from (fact for fact in self._day(day) if after < fact.position <= upto)

    def chain_at(self, day: str, position: str) -> str:
        """As delivery computes it, over the date this run has read already."""
        cursor = ChainCursor(genesis(date.fromisoformat(day)))
        for fact in self._day(day) if position else ():
            if fact.position > position:
                break
            cursor.advance(fact)
        return cursor.value


class FileRenderer:
    def __init__(self, journal: Journal, day: Callable[[str], list[JournalFact]]) -> None:
        self._builder = FileBuilder(_ReadDays(journal, day))

    def render(self, feed: Feed, delivered: DeliveredFile) -> RenderedFile:
        """The file its record's journal ranges give, and the manifest of it: the record's identity and creation
        time, the rendered figures and lineage."""
        claim = FileClaim(delivered.business_date, delivered.sequence, delivered.blob_name, delivered.ranges,
                          delivered.created_at)
        build = self._builder.build(delivered.partner, feed, claim)
        data = b"".join(build.chunks)
        figures = FileFigures(hashlib.sha256(data).hexdigest(), len(data), build.writer.record_count,
                              dict(build.writer.control_totals))
        as_rendered = replace(delivered, sha256=figures.sha256, bytes=figures.bytes,
                              record_count=figures.record_count, control_totals=dict(figures.control_totals))
        return RenderedFile(data, figures, manifest_of(feed, as_rendered, build).to_json())

    def claimed(self, partner: str, feed: Feed, claim: FileClaim) -> bytes:
        """The bytes of a file claimed and not completed yet."""
        return b"".join(self._builder.build(partner, feed, claim).chunks)
