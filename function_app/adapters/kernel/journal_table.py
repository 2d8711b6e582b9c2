"""The journal in Azure Table Storage: accepted facts by business date, in position order, over a few partitions."""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from azure.data.tables import TableClient, UpdateMode

from function_app.adapters.kernel.contract_rows import bucket
from function_app.adapters.kernel.journal_reads import merged, read_fact
from function_app.adapters.kernel.json_properties import PIECE_BYTES, PIECES
from function_app.adapters.kernel.overlap import PagesAhead
from function_app.adapters.kernel.table_storage import TRANSACTION_LIMIT, delete_rows, odata_quote
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.service_layer.kernel.ports import Journal, RenderedFact, render_fact

PAGE = 1000  # entities per page of a read (Table Storage's most)


def shard_of(contract_number: str, shards: int) -> int:
    """A contract's shard: a stable hash of its number, so its facts stay in one partition, in position order."""
    return bucket(contract_number, shards)


def partition_key(business_date: date, shard: int) -> str:
    """Shard 0 is the bare date, the one partition a date had before sharding; shard k the date and `_kk`."""
    day = business_date.isoformat()
    return day if shard == 0 else f"{day}_{shard:02d}"


def date_filter(business_date: date) -> str:
    """Every partition of the date, whatever shard count wrote it (`~` sorts after `_` and digits)."""
    day = business_date.isoformat()
    return f"PartitionKey ge {odata_quote(day)} and PartitionKey lt {odata_quote(day + '~')}"


class TableJournal(Journal):
    """Each business date over `shards` partitions, a fact's from its contract number; rows keyed by position. A
    date reads as one ordered range: one small query for whether it has any fact, then one paged query per
    partition, all fetched ahead side by side and merged by position (a k-way merge: memory holds a few pages per
    partition, whatever the date's size).

    The shard count only steers writes. Readers read the configured partitions and find any others of the date
    (one small query after the last configured one), so a date written under another count, or under two while a
    deployment changes it, reads whole; the same fact stored in two partitions (rewritten after a change) reads once.

    A run of facts (`append_run`, or `append_rendered` of facts their writer rendered already: a claims chunk's) is
    stored as packs, per partition: one entity holding many facts (their JSON texts as one array), compressed,
    keyed by the position of its last fact, so that a range query from any position still finds the pack that holds
    the facts after it. Table Storage serves a partition at about 2,000 entities a second, so a claims file of a
    million rows written fact by fact would hold up every other writer of that date for minutes.
    """

    def __init__(self, table: TableClient, shards: int = 1, page: int = PAGE) -> None:
        self._table = table
        self._shards = shards
        self._page = page

    def append(self, facts: Sequence[JournalFact]) -> None:
        for rows in self._by_partition(facts).values():
            for start in range(0, len(rows), TRANSACTION_LIMIT):
                chunk = rows[start : start + TRANSACTION_LIMIT]
                self._table.submit_transaction(
                    [("upsert", fact_entity(f, self._shards), {"mode": UpdateMode.REPLACE}) for f in chunk]
                )

    def append_run(self, facts: Sequence[JournalFact]) -> None:
        self.append_rendered([RenderedFact(f.business_date, f.position, f.contract_number, render_fact(f))
                              for f in facts])

    def append_rendered(self, facts: Sequence[RenderedFact]) -> None:
        by_partition: dict[str, dict[str, RenderedFact]] = defaultdict(dict)
        for fact in facts:  # per partition, each position once, in position order
            by_partition[partition_key(fact.business_date, shard_of(fact.contract_number, self._shards))][
                fact.position] = fact
        for partition, rows in by_partition.items():
            for entity in _packs(partition, [rows[p] for p in sorted(rows)]):
                self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)

    def read(self, business_date: date, after: str | None = None) -> Iterator[JournalFact]:
        if self._first_partition(business_date, partition_key(business_date, 0), "ge") is None:
            return  # a date without facts (most of a feed's look-back week) costs one small query, not one a shard
        partitions = [partition_key(business_date, shard) for shard in range(self._shards)]
        ahead = [self._pages(partition, after) for partition in partitions]
        try:
            for partition in self._other_partitions(business_date, partitions[-1]):
                partitions.append(partition)
                ahead.append(self._pages(partition, after))
            yield from merged(_in_order(p, pages, after) for p, pages in zip(partitions, ahead, strict=True))
        finally:
            for pages in ahead:
                pages.close()

    def _pages(self, partition: str, after: str | None) -> PagesAhead[list[Mapping[str, Any]]]:
        """The partition's pages, fetched ahead, each as one list of entities."""
        query = f"PartitionKey eq {odata_quote(partition)}"
        if after is not None:
            query += f" and RowKey gt {odata_quote(after)}"
        pages = self._table.query_entities(query, results_per_page=self._page).by_page()
        return PagesAhead([list(page)] for page in pages)

    def _other_partitions(self, business_date: date, last: str) -> Iterator[str]:
        """Partitions of the date after the last configured one: written under a larger shard count."""
        while (found := self._first_partition(business_date, last, "gt")) is not None:
            last = found
            yield last

    def _first_partition(self, business_date: date, bound: str, op: str) -> str | None:
        """The first partition of the date at (`ge`) or after (`gt`) `bound` that holds an entity: one small query."""
        end = odata_quote(business_date.isoformat() + "~")
        found = self._table.query_entities(f"PartitionKey {op} {odata_quote(bound)} and PartitionKey lt {end}",
                                           results_per_page=1, select=["PartitionKey"])
        entity = next(iter(found), None)
        return None if entity is None else str(entity["PartitionKey"])

    def dates(self) -> Iterator[date]:
        """One small query per date: the first entity after the last date's partitions (tables list them in order)."""
        last = ""
        while True:
            found = self._table.query_entities(f"PartitionKey gt {odata_quote(last)}", results_per_page=1,
                                               select=["PartitionKey"])
            entity = next(iter(found), None)
            if entity is None:
                return
            day = date.fromisoformat(entity["PartitionKey"][:10])
            last = day.isoformat() + "~"
            yield day

    def delete_date(self, business_date: date) -> None:
        rows: dict[str, list[str]] = defaultdict(list)
        for entity in self._table.query_entities(date_filter(business_date), select=["PartitionKey", "RowKey"]):
            rows[entity["PartitionKey"]].append(entity["RowKey"])
        for partition, keys in rows.items():
            delete_rows(self._table, partition, keys)

    def _by_partition(self, facts: Sequence[JournalFact]) -> dict[str, list[JournalFact]]:
        """The facts per partition, each position once, in position order."""
        by_partition: dict[str, dict[str, JournalFact]] = defaultdict(dict)
        for fact in facts:
            by_partition[partition_of(fact, self._shards)][fact.position] = fact
        return {partition: [rows[p] for p in sorted(rows)] for partition, rows in by_partition.items()}


PACK_COUNT = "pack_facts"


def partition_of(fact: JournalFact, shards: int) -> str:
    return partition_key(fact.business_date, shard_of(fact.contract_number, shards))


def _in_order(
    partition: str, pages: Iterable[list[Mapping[str, Any]]], after: str | None
) -> Iterator[list[JournalFact]]:
    """One partition's facts after `after`, a page at a time, packs unpacked, checked to come in strictly rising
    position order."""
    last = after or ""
    day = date.fromisoformat(partition[:10])
    for entities in pages:
        facts: list[JournalFact] = []
        for entity in entities:
            if PACK_COUNT in entity:
                facts += _unpacked(entity)
            else:
                facts.append(read_fact(entity, day))
        if facts and facts[0].position > last and _rising(facts):
            last = facts[-1].position
            yield facts
            continue
        checked: list[JournalFact] = []
        for fact in facts:
            if fact.position <= last:
                if after is not None and fact.position <= after:
                    continue  # the earlier facts of the pack that holds the watermark
                raise RuntimeError(
                    f"journal partition {partition}: fact {fact.position} stored after {last}; "
                    "a run of facts was appended across another writer's positions"
                )
            last = fact.position
            checked.append(fact)
        yield checked


def _rising(facts: list[JournalFact]) -> bool:
    """Positions strictly rising (in C: each one below the next)."""
    positions = [fact.position for fact in facts]
    return all(map(str.__lt__, positions, positions[1:]))


def _packs(partition: str, facts: list[RenderedFact]) -> Iterator[dict[str, Any]]:
    """Entities of at most PIECES pieces: a run that compresses to more is halved, the same way each time. The
    document is the facts' JSON array (each `render_fact`'s text: what json.dumps of the list writes)."""
    document = f"[{','.join(f.text for f in facts)}]"
    payload = zlib.compress(document.encode("utf-8"), 6)
    if len(payload) > PIECES * PIECE_BYTES:
        if len(facts) == 1:
            raise ValueError(f"journal fact {facts[0].position} is too large to store ({len(payload)} bytes packed)")
        middle = len(facts) // 2
        yield from _packs(partition, facts[:middle])
        yield from _packs(partition, facts[middle:])
        return
    entity: dict[str, Any] = {
        "PartitionKey": partition,
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


def fact_entity(fact: JournalFact, shards: int) -> dict[str, Any]:
    """A fact appended on its own: one entity, keyed by its partition (date and shard) and position."""
    return {
        "PartitionKey": partition_of(fact, shards),
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
        business_date=date.fromisoformat(entity["PartitionKey"][:10]),
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
