"""A date's journal as read from its partitions: each entity's fact, and the partitions merged into one position
order a page at a time (the facts up to the smallest last position among the pages in hand are all in hand, so they
are sorted together, in C, rather than passed one by one through a heap). A delivery of a million facts reads each
of them here."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from operator import attrgetter
from typing import Any

from function_app.domain.kernel.journal import FactKind, JournalFact

Page = list[JournalFact]  # one partition's facts, in strictly rising position order
_position = attrgetter("position")


def merged(partitions: Iterable[Iterator[Page]]) -> Iterator[JournalFact]:
    """The facts of every partition in position order, those at one position in the partitions' order; a fact
    stored in two partitions (rewritten under another shard count) once. The same facts, in the same order, as
    `heapq.merge(..., key=position)` over the partitions' facts with that one repeat left out."""
    pages: list[Page] = []
    rest: list[Iterator[Page]] = []
    for partition in partitions:
        page = _next_page(partition)
        if page:
            pages.append(page)
            rest.append(partition)
    while len(pages) > 1:
        bound = min(page[-1].position for page in pages)
        batch: Page = []
        for index, page in enumerate(pages):
            if page[-1].position <= bound:
                batch += page
                pages[index] = _next_page(rest[index])
            else:
                cut = bisect_right(page, bound, key=_position)
                batch += page[:cut]
                pages[index] = page[cut:]
        batch.sort(key=_position)  # stable: at one position, the partitions' order
        yield from _once(batch)
        kept = [index for index, page in enumerate(pages) if page]
        pages, rest = [pages[i] for i in kept], [rest[i] for i in kept]
    if pages:
        yield from pages[0]
        for page in rest[0]:
            yield from page


def _next_page(partition: Iterator[Page]) -> Page:
    """The partition's next page that holds a fact, or an empty one at its end."""
    return next((page for page in partition if page), [])


def _once(batch: Page) -> Page:
    """The batch with a fact repeated at its position left out (every fact at a position is in one batch: a
    partition's facts after the batch's last position come later)."""
    positions = list(map(_position, batch))
    if len(set(positions)) == len(positions):
        return batch
    kept: Page = []
    here: Page = []  # the facts kept at the current position
    for fact in batch:
        if here and here[0].position == fact.position:
            if fact in here:
                continue
        else:
            here = []
        here.append(fact)
        kept.append(fact)
    return kept


_KINDS = {kind.value: kind for kind in FactKind}
_FIELDS = tuple(JournalFact.__dataclass_fields__)
_new = object.__new__
_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner `json.loads` ends in, without its two Python calls


def read_fact(entity: Mapping[str, Any], business_date: date) -> JournalFact:
    """`fact_from_entity` for an entity of a partition of `business_date`, as a read of a whole date makes them: its
    fields set as JournalFact's own (frozen, no `__post_init__`) `__init__` sets them, in a third of the time."""
    kind = entity["kind"]
    fact = _new(JournalFact)
    fact.__dict__.update(zip(_FIELDS, (
        business_date,
        entity["RowKey"],
        _KINDS[kind] if kind in _KINDS else FactKind(kind),
        entity["contract_number"],
        int(entity["revision"]),
        entity["dealer_code"],
        entity["product_type"],
        entity["oem"] or None,
        entity["administrator"],
        entity["event_id"],
        entity["source"],
        _json(entity["data"]),
    ), strict=True))
    return fact


def _json(text: Any) -> Any:
    """`json.loads(text)`: the scanner's value when it reads the whole text from its start, else `json.loads`'s own
    (which also raises as it does)."""
    if text.__class__ is str:
        try:
            value, end = _scan(text, 0)
        except StopIteration:
            return json.loads(text)
        if end == len(text):
            return value
    return json.loads(text)
