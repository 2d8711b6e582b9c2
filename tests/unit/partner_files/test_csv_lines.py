"""A csv feed's lines made straight from facts (csv_lines.py) are byte for byte the csv writer's rows over the
feed's records (records.py), with the same count and control totals: for decided facts, for every field at every
PII level, and for facts whose data holds whatever JSON can (wrong types, missing sections, formula starts)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from function_app.domain.delivery.csv_lines import MEMO_SIZE, fact_rows
from function_app.domain.delivery.fields import FIELDS
from function_app.domain.delivery.records import PiiLevel, pii_violations, record_maker
from function_app.domain.kernel.journal import JournalFact
from tests.unit.partner_files.facts import sample_facts
from tests.unit.partner_files.writing import new_writer


def fields_for(pii: PiiLevel) -> list[str]:
    return [name for name in FIELDS if not pii_violations([name], pii)]


Written = tuple[bytes, int, dict[str, str]]  # rows, record count, control totals


def through_records(facts: list[JournalFact], fields: list[str], pii: PiiLevel) -> Written:
    writer, make = new_writer("csv", fields), record_maker(fields, pii)
    rows = b"".join(writer.rows(make(fact) for fact in facts))
    return rows, writer.record_count, writer.control_totals


def through_lines(facts: list[JournalFact], fields: list[str], pii: PiiLevel) -> Written:
    writer = new_writer("csv", fields)
    rows = b"".join(fact_rows(writer, iter(facts), fields, pii))
    return rows, writer.record_count, writer.control_totals


def both(facts: list[JournalFact], fields: list[str], pii: PiiLevel) -> tuple[Written, Written]:
    return through_records(facts, fields, pii), through_lines(facts, fields, pii)


@pytest.mark.parametrize("pii", list(PiiLevel))
def test_lines_of_decided_facts_are_the_writers_rows_of_their_records(pii: PiiLevel) -> None:
    records, lines = both(sample_facts() * 3, fields_for(pii), pii)
    assert lines == records
    assert lines[1] == 3 * len(sample_facts())


def test_a_column_that_forgets_values_it_remembered_still_writes_them() -> None:
    fact = sample_facts()[0]
    terms = fact.data["contract"]
    facts = [replace(fact, data={**fact.data, "contract": {**terms, "sale_date": f"2026-01-{1 + i % 28:02d}",
                                                           "vehicle": {"make": f"Make {i}"},
                                                           "pricing": {"retail_price": f"{i}.005", "dealer_cost": i}}})
             for i in range(MEMO_SIZE + 10)]
    records, lines = both(facts, ["vehicle_make", "sale_date", "vin", "retail_price", "dealer_cost"], PiiLevel.MASKED)
    assert lines == records


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.sampled_from(["", "=1", "-2", "a,b", 'q"q', "x\ny",
                                                                              "2026-03-02", "12", "7.5", "Zoë"]),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2),
    max_leaves=4,
)
TEXTS = st.sampled_from(["2026-03-02", "12", "0.25", "1995.005", "=cmd", "+1", "a,b", 'say "hi"', "Łukasz", " 75201 "])


def scalar(field: str) -> st.SearchStrategy[Any]:
    return TEXTS | st.integers(0, 99_999) | st.none() | (st.just(True) if field != "money" else st.none())


@st.composite
def data_of(draw: st.DrawFn) -> dict[str, Any]:
    """Data shaped like a fact's, each value drawn from what may stand there, sometimes the wrong type."""
    data: dict[str, Any] = {}
    for field in FIELDS.values():
        if field.path is None or not draw(st.booleans()):
            continue
        node = data
        for key in field.path[:-1]:
            node = node.setdefault(key, {}) if isinstance(node.get(key, {}), dict) else {}
        if field.kind.value == "money":
            amounts = ["0.005", "12.345", "-5.00", "1e3", "2695", "0", "-0.00", "07.50", "12.30", "1.5", "\u0661.00"]
            node[field.path[-1]] = draw(st.sampled_from(amounts) | st.none())
        elif field.kind.value in ("text", "code"):
            node[field.path[-1]] = draw(TEXTS | st.integers(0, 99) | JSON)
        else:
            node[field.path[-1]] = draw(st.sampled_from({"date": ["2026-03-02", "20260302", "2026-W10-1"],
                                                         "integer": ["12", " 7 ", "-3"],
                                                         "decimal": ["0.25", "1E+2", "-0"]}[field.kind.value])
                                        | st.integers(0, 99) | st.none())
    if draw(st.booleans()):
        data[draw(st.sampled_from(["contract", "refund", "cancellation"]))] = draw(JSON)  # not an object at all
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(data_of(), min_size=1, max_size=4), st.sampled_from(list(PiiLevel)), st.data())
def test_lines_of_any_data_are_the_writers_rows_of_their_records(
    datas: list[dict[str, Any]], pii: PiiLevel, draw: st.DataObject
) -> None:
    base = sample_facts()[0]
    facts = [replace(base, data=data, oem=draw.draw(st.sampled_from([None, "=X", "TOYOTA"]))) for data in datas]
    fields = draw.draw(st.lists(st.sampled_from(fields_for(pii)), min_size=1, max_size=12, unique=True))
    try:
        records = through_records(facts, fields, pii)
    except (ValueError, ArithmeticError) as refused:  # a value the record refuses, the lines refuse too
        with pytest.raises(type(refused)):
            through_lines(facts, fields, pii)
        return
    assert through_lines(facts, fields, pii) == records
