"""The journal in Azure Table Storage: accepted facts by business date, in position order."""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from azure.data.tables import TableClient, UpdateMode

from function_app.adapters.kernel.json_properties import PIECE_BYTES, PIECES
from function_app.adapters.kernel.overlap import prefetched
from function_app.adapters.kernel.table_storage import TRANSACTION_LIMIT, delete_rows, odata_quote
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.service_layer.kernel.ports import Journal


class TableJournal(Journal):
    """One partition per business date, rows keyed by position: a date reads as one ordered range.

    A run of facts (`append_run`) is stored as packs: one entity holding many facts, compressed, keyed by the
    position of its last fact, so that a range query from any position still finds the pack that holds the
    facts after it. Table Storage serves a partition at about 2,000 entities a second, so a claims file of a
    million rows written fact by fact would hold up every other writer of that date for minutes.
    """

    def __init__(self, table: TableClient) -> None:
        self._table = table

    def append(self, facts: Sequence[JournalFact]) -> None:
        for rows in _by_date(facts).values():
            for start in range(0, len(rows), TRANSACTION_LIMIT):
                chunk = rows[start : start + TRANSACTION_LIMIT]
                self._table.submit_transaction(
                    [("upsert", fact_entity(f), {"mode": UpdateMode.REPLACE}) for f in chunk]
                )

    def append_run(self, facts: Sequence[JournalFact]) -> None:
        for rows in _by_date(facts).values():
            for entity in _packs(rows):
                self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)

    def read(self, business_date: date, after: str | None = None) -> Iterator[JournalFact]:
        query = f"PartitionKey eq {odata_quote(business_date.isoformat())}"
        if after is not None:
            query += f" and RowKey gt {odata_quote(after)}"
        pages = self._table.query_entities(query, results_per_page=1000).by_page()
        last = after or ""
        for entity in prefetched(pages):
            for fact in _unpacked(entity) if PACK_COUNT in entity else [fact_from_entity(entity)]:
                if fact.position <= last:
                    if after is not None and fact.position <= after:
                        continue  # the earlier facts of the pack that holds the watermark
                    raise RuntimeError(
                        f"journal {business_date}: fact {fact.position} stored after {last}; "
                        "a run of facts was appended across another writer's positions"
                    )
                last = fact.position
                yield fact

    def dates(self) -> Iterator[date]:
        """One small query per date: the first entity after the last date found (tables list partitions in order)."""
        last = ""
        while True:
            found = self._table.query_entities(f"PartitionKey gt {odata_quote(last)}", results_per_page=1,
                                               select=["PartitionKey"])
            entity = next(iter(found), None)
            if entity is None:
                return
            last = entity["PartitionKey"]
            yield date.fromisoformat(last)

    def delete_date(self, business_date: date) -> None:
        partition = business_date.isoformat()
        rows = self._table.query_entities(f"PartitionKey eq {odata_quote(partition)}", select=["RowKey"])
        delete_rows(self._table, partition, [entity["RowKey"] for entity in rows])


PACK_COUNT = "pack_facts"


def _by_date(facts: Sequence[JournalFact]) -> dict[date, list[JournalFact]]:
    by_date: dict[date, dict[str, JournalFact]] = defaultdict(dict)
    for fact in facts:
        by_date[fact.business_date][fact.position] = fact
    return {day: [rows[p] for p in sorted(rows)] for day, rows in by_date.items()}


def _packs(facts: list[JournalFact]) -> Iterator[dict[str, Any]]:
    """Entities of at most PIECES pieces: a run that compresses to more is halved, the same way each time."""
    document = json.dumps([f.to_json() for f in facts], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    payload = zlib.compress(document.encode("utf-8"), 6)
    if len(payload) > PIECES * PIECE_BYTES:
        if len(facts) == 1:
            raise ValueError(f"journal fact {facts[0].position} is too large to store ({len(payload)} bytes packed)")
        middle = len(facts) // 2
        yield from _packs(facts[:middle])
        yield from _packs(facts[middle:])
        return
    entity: dict[str, Any] = {
        "PartitionKey": facts[0].business_date.isoformat(),
        "RowKey": facts[-1].position,
        "first_position": facts[0].position,
        PACK_COUNT: len(facts),
    }
    for index, start in enumerate(range(0, len(payload), PIECE_BYTES)):
        entity[f"pack_{index:02d}"] = payload[start : start + PIECE_BYTES]
    yield entity


def _unpacked(entity: Mapping[str, Any]) -> list[JournalFact]:
    pieces = sorted(key for key in entity if key.startswith("pack_") and key != PACK_COUNT)
    payload = b"".join(bytes(entity[key]) for key in pieces)
    facts = [JournalFact.from_json(raw) for raw in json.loads(zlib.decompress(payload))]
    if len(facts) != entity[PACK_COUNT]:
        raise RuntimeError(f"journal pack {entity['RowKey']} holds {len(facts)} facts, not {entity[PACK_COUNT]}")
    return facts


def fact_entity(fact: JournalFact) -> dict[str, Any]:
    """A fact appended on its own: one entity, keyed by business date and position."""
    return {
        "PartitionKey": fact.business_date.isoformat(),
        "RowKey": fact.position,
        "kind": fact.kind.value,
        "contract_number": fact.contract_number,
        "revision": fact.revision,
        "dealer_code": fact.dealer_code,
        "product_type": fact.product_type,
        "oem": fact.oem or "",
        "administrator": fact.administrator,
        "event_id": fact.event_id,
        "source": fact.source,
        "data": json.dumps(fact.data, ensure_ascii=False, sort_keys=True),
    }


def fact_from_entity(entity: Mapping[str, Any]) -> JournalFact:
    return JournalFact(
        business_date=date.fromisoformat(entity["PartitionKey"]),
        position=entity["RowKey"],
        kind=FactKind(entity["kind"]),
        contract_number=entity["contract_number"],
        revision=int(entity["revision"]),
        dealer_code=entity["dealer_code"],
        product_type=entity["product_type"],
        oem=entity["oem"] or None,
        administrator=entity["administrator"],
        event_id=entity["event_id"],
        source=entity["source"],
        data=json.loads(entity["data"]),
    )
