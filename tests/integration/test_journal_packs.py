"""How the Table journal stores a run of facts: packs that stay inside Table Storage's entity limits."""

from __future__ import annotations

import random
from datetime import date

import pytest
from azure.data.tables import TableServiceClient

from function_app.adapters.kernel import journal_table
from function_app.adapters.kernel.journal_table import date_filter
from function_app.bootstrap import bootstrap
from function_app.config import Settings
from function_app.domain.kernel.journal import FactKind, JournalFact

DAY = date(2026, 3, 2)


def fact(position: str, payload: str = "") -> JournalFact:
    return JournalFact(DAY, position, FactKind.CLAIM_SUBMITTED, "C1", 1, "D1", "VSC", None, "ADM-01", "e", "s",
                       {"claim": {"description": payload}})


def journal_entities(settings: Settings) -> list[dict[str, object]]:
    assert settings.storage_connection is not None
    service = TableServiceClient.from_connection_string(settings.storage_connection)
    table = service.get_table_client(settings.journal_table)
    return [dict(e) for e in table.query_entities(date_filter(DAY))]


def test_a_run_that_compresses_badly_is_split_into_packs_within_the_limits(storage_settings: Settings) -> None:
    journal = bootstrap(storage_settings).journal
    noise = random.Random(7)
    run = [fact(f"r-{i:04d}", noise.randbytes(6000).hex()) for i in range(200)]  # ~2.4 MB that will not compress
    journal.append_run(run)
    entities = journal_entities(storage_settings)
    assert len(entities) > 1
    for entity in entities:
        pieces = [bytes(value) for key, value in entity.items()  # type: ignore[call-overload]
                  if key.startswith("pack_") and key != journal_table.PACK_COUNT]
        assert all(len(piece) <= 64 * 1024 for piece in pieces)
        assert sum(len(piece) for piece in pieces) < 1024 * 1024
        assert entity["RowKey"] >= entity["first_position"]  # type: ignore[operator]
    assert sum(int(e[journal_table.PACK_COUNT]) for e in entities) == 200  # type: ignore[call-overload]
    assert list(journal.read(DAY)) == run


def test_a_run_stored_across_another_writers_positions_is_refused_on_read(storage_settings: Settings) -> None:
    journal = bootstrap(storage_settings).journal
    journal.append_run([fact("a-1"), fact("c-1")])
    journal.append([fact("b-1")])  # sorts between the run's first and last: the run's contract is broken
    with pytest.raises(RuntimeError, match="stored after"):
        list(journal.read(DAY))


def test_a_single_fact_too_large_to_store_is_an_error_naming_it(storage_settings: Settings) -> None:
    journal = bootstrap(storage_settings).journal
    with pytest.raises(ValueError, match="r-0001 is too large"):
        journal.append_run([fact("r-0001", random.Random(1).randbytes(1_200_000).hex())])
