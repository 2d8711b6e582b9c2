"""A date's journal as read (journal_reads.py): an entity's fact is the one `fact_from_entity` makes, and partitions
merged a page at a time give exactly what a heap merge of their facts by position gives, with a fact stored in two
partitions once: for any pages, repeats and ties."""

from __future__ import annotations

import heapq
import json
from dataclasses import replace
from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from function_app.adapters.kernel.journal_reads import Page, merged, read_fact
from function_app.adapters.kernel.journal_table import fact_entity, fact_from_entity
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


@pytest.mark.parametrize("data", [{}, {"contract": {"vin": "X", "price": 1.5, "n": [1, None, True]}}])
@pytest.mark.parametrize("oem", [None, "TOYOTA"])
def test_an_entitys_fact_is_the_one_fact_from_entity_makes_field_for_field(data: dict[str, object], oem: str) -> None:
    assert not hasattr(JournalFact, "__post_init__") and not hasattr(JournalFact, "__slots__")
    entity = fact_entity(replace(fact(7, 1), data=data, oem=oem), shards=4)
    read, made = read_fact(entity, BASE.business_date), fact_from_entity(entity)
    assert read == made and vars(read) == vars(made) and list(vars(read)) == list(vars(made))


@pytest.mark.parametrize("text", ['{"a":1}', ' {"a": 1} ', '{"a":1} x', "\ufeff{}", "{", "", "[1,2]", "nul"])
def test_an_entitys_data_reads_as_json_loads_reads_it(text: str) -> None:
    try:
        expected = json.loads(text)
    except json.JSONDecodeError as refused:
        with pytest.raises(json.JSONDecodeError) as raised:
            read_fact({**fact_entity(fact(1, 0), 1), "data": text}, BASE.business_date)
        assert str(raised.value) == str(refused)
        return
    assert read_fact({**fact_entity(fact(1, 0), 1), "data": text}, BASE.business_date).data == expected
