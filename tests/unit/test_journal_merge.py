"""Journal partitions merged a page at a time (journal_merge.py) give exactly what a heap merge of their facts by
position gives, with a fact stored in two partitions once: for any pages, repeats and ties."""

from __future__ import annotations

import heapq
from dataclasses import replace
from datetime import date
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from function_app.adapters.kernel.journal_merge import Page, merged
from function_app.domain.kernel.journal import FactKind, JournalFact

BASE = JournalFact(date(2026, 3, 2), "", FactKind.CONTRACT_ACCEPTED, "C1", 1, "D1", "VSC", None, "ADM", "e", "s", {})


def fact(position: int, version: int) -> JournalFact:
    return replace(BASE, position=f"{position:04d}", event_id=f"e{version}")


@st.composite
def partitions(draw: st.DrawFn) -> list[list[Page]]:
    """A few partitions, each positions strictly rising and cut into pages (some empty); a position may be in
    several partitions, holding the same fact or another one."""
    result = []
    for _ in range(draw(st.integers(0, 4))):
        positions = sorted(draw(st.sets(st.integers(0, 40), max_size=25)))
        facts = [fact(p, draw(st.sampled_from([0, 0, 1]))) for p in positions]
        cuts = sorted(draw(st.lists(st.integers(0, len(facts)), max_size=6)))
        bounds = [0, *cuts, len(facts)]
        result.append([facts[a:b] for a, b in pairwise(bounds)])
    return result


def heap_merged(parts: list[list[Page]]) -> list[JournalFact]:
    """`TableJournal.read`'s merge before pages: one fact at a time through a heap, a repeat at a position once."""
    out: list[JournalFact] = []
    here: list[JournalFact] = []
    streams = [[f for page in pages for f in page] for pages in parts]
    for f in heapq.merge(*streams, key=lambda f: f.position):
        if here and here[0].position == f.position:
            if f in here:
                continue
        else:
            here.clear()
        here.append(f)
        out.append(f)
    return out


@given(partitions())
def test_pages_merge_to_the_heaps_order_with_each_fact_once(parts: list[list[Page]]) -> None:
    assert list(merged(iter(pages) for pages in parts)) == heap_merged(parts)
