"""The journal's hash chain: every change to a fact, its order, a removal or an insertion changes the links from
that fact on, and only from there."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from function_app.domain.kernel.chain import ChainSeal, canonical_json, genesis, links
from function_app.domain.kernel.journal import FactKind, JournalFact

DAY = date(2026, 3, 2)


def fact(n: int) -> JournalFact:
    return JournalFact(DAY, f"p{n:04d}", FactKind.CONTRACT_ACCEPTED, f"C{n}", 1, "D1", "VSC", None, "ADM1", f"e{n}",
                       "urn:dealer:D1", {"contract": {"n": n}})


FACTS = [fact(n) for n in range(1, 11)]


def values(facts: list[JournalFact]) -> list[str]:
    return [item.value for item in links(DAY, facts)]


def first_difference(a: list[str], b: list[str]) -> int:
    return next(i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)


def test_the_chain_is_deterministic_and_starts_from_the_dates_genesis() -> None:
    assert values(FACTS) == values(list(FACTS))
    assert genesis(DAY) != genesis(date(2026, 3, 3))
    assert ChainSeal.of(DAY, [], datetime(2026, 3, 3, tzinfo=UTC)).head == genesis(DAY)


EDITS: list[JournalFact] = [
    replace(FACTS[4], position="p0005x"), replace(FACTS[4], contract_number="C55"), replace(FACTS[4], revision=2),
    replace(FACTS[4], event_id="forged"), replace(FACTS[4], data={"contract": {"n": 0}}),
]


@pytest.mark.parametrize("edit", EDITS, ids=["position", "contract", "revision", "event_id", "data"])
def test_an_edit_of_any_field_changes_the_links_from_that_fact_on(edit: JournalFact) -> None:
    edited = list(FACTS)
    edited[4] = edit
    before, after = values(FACTS), values(edited)
    assert before[:4] == after[:4]
    assert all(x != y for x, y in zip(before[4:], after[4:], strict=True))


def test_a_removal_an_insertion_and_a_swap_each_break_the_chain_where_they_happen() -> None:
    before = values(FACTS)
    assert first_difference(before, values(FACTS[:3] + FACTS[4:])) == 3
    assert first_difference(before, values([*FACTS[:6], fact(99), *FACTS[6:]])) == 6
    assert first_difference(before, values([*FACTS[:2], FACTS[3], FACTS[2], *FACTS[4:]])) == 2


def test_a_fact_of_another_date_is_refused() -> None:
    with pytest.raises(ValueError, match="in the chain of 2026-03-02"):
        list(links(DAY, [replace(fact(1), business_date=date(2026, 3, 3))]))


def test_a_seal_round_trips_and_refuses_another_chain_version() -> None:
    seal = ChainSeal.of(DAY, FACTS, datetime(2026, 3, 3, 6, tzinfo=UTC))
    assert ChainSeal.from_json(seal.to_json()) == seal
    with pytest.raises(ValueError, match="not 'fni-journal-chain/1'"):
        ChainSeal.from_json(seal.to_json() | {"chain": "other/9"})


TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from(['"', "\\", "\n", "\u2028", "é"]), max_size=6)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@given(st.builds(JournalFact, business_date=st.dates(), position=TEXT, kind=st.sampled_from(FactKind),
                 contract_number=TEXT, revision=st.integers(), dealer_code=TEXT, product_type=TEXT,
                 oem=st.none() | TEXT, administrator=TEXT, event_id=TEXT, source=TEXT,
                 data=st.dictionaries(TEXT, JSON_VALUES, max_size=4)))
def test_a_facts_canonical_json_is_its_json_with_sorted_keys_and_no_spaces(fact: JournalFact) -> None:
    assert canonical_json(fact) == json.dumps(fact.to_json(), ensure_ascii=False, sort_keys=True,
                                              separators=(",", ":"))


@pytest.mark.parametrize("odd", [{"revision": True}, {"contract_number": 7}, {"oem": 1.5}, {"source": None},
                                 {"dealer_code": ["D1"]}])
def test_a_fact_whose_text_fields_hold_other_values_is_written_as_json_writes_them(odd: dict[str, object]) -> None:
    strange = replace(FACTS[0], **odd)  # type: ignore[arg-type]
    assert canonical_json(strange) == json.dumps(strange.to_json(), ensure_ascii=False, sort_keys=True,
                                                 separators=(",", ":"))


def test_data_json_cannot_write_is_refused_as_json_refuses_it_and_the_next_fact_still_encodes() -> None:
    cyclic: dict[str, Any] = {"a": 1}
    cyclic["self"] = cyclic
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    cases: list[tuple[dict[str, Any], type[Exception]]] = [
        (cyclic, ValueError), ({"deep": deep}, RecursionError), ({"set": {1}}, TypeError)
    ]
    for data, refusal in cases:
        strange = replace(FACTS[0], data=data)
        with pytest.raises(refusal) as expected:
            json.dumps(strange.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        with pytest.raises(refusal) as refused:
            canonical_json(strange)
        assert str(refused.value) == str(expected.value)
        assert canonical_json(FACTS[1]) == json.dumps(FACTS[1].to_json(), ensure_ascii=False, sort_keys=True,
                                                      separators=(",", ":"))
