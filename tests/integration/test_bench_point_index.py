"""The delivery benchmark's Azurite preload (bench/azurite_point_index.js) answers every point lookup as Azurite
itself would: run in verify mode, each lookup is also answered by LokiJS's scan and any difference fails the
request, while the operations that look entities up (create, duplicate create, delete and create again, upsert
replace and merge, update with an etag, a transaction that fails part-way and rolls back) behave as on Table
Storage."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, TableServiceClient, TableTransactionError, UpdateMode
from fnix.dev.azurite import Azurite

from bench.harness import ROOT, point_indexed


@pytest.fixture(scope="module")
def indexed() -> Iterator[Azurite]:
    with Azurite(ROOT, in_memory=True, env=point_indexed(1024, verify=True)) as instance:
        yield instance


@pytest.fixture
def table(indexed: Azurite) -> TableClient:
    service = TableServiceClient.from_connection_string(indexed.endpoints.connection_string)
    return service.create_table("pointindex")


def test_the_preload_is_loaded_in_verify_mode(indexed: Azurite) -> None:
    assert indexed.log_path is not None
    assert "point index for Azurite's table lookups loaded (verifying)" in indexed.log_path.read_text()


def test_lookups_agree_with_the_scan_through_every_kind_of_write(table: TableClient) -> None:
    for partition in ("2026-03-02", "2026-03-02_01"):
        table.submit_transaction([("create", {"PartitionKey": partition, "RowKey": f"{i:04d}", "n": i})
                                  for i in range(50)])
    with pytest.raises(ResourceExistsError):
        table.create_entity({"PartitionKey": "2026-03-02", "RowKey": "0007", "n": -1})

    table.delete_entity("2026-03-02", "0007")
    with pytest.raises(ResourceNotFoundError):
        table.get_entity("2026-03-02", "0007")
    table.create_entity({"PartitionKey": "2026-03-02", "RowKey": "0007", "n": 70})
    assert table.get_entity("2026-03-02", "0007")["n"] == 70

    table.upsert_entity({"PartitionKey": "2026-03-02", "RowKey": "0008", "m": 8}, mode=UpdateMode.REPLACE)
    assert "n" not in table.get_entity("2026-03-02", "0008")
    table.upsert_entity({"PartitionKey": "2026-03-02", "RowKey": "0009", "m": 9}, mode=UpdateMode.MERGE)
    assert dict(table.get_entity("2026-03-02", "0009")) == {"PartitionKey": "2026-03-02", "RowKey": "0009",
                                                           "n": 9, "m": 9}
    entity = table.get_entity("2026-03-02", "0010")
    table.update_entity({**entity, "n": 100}, etag=entity.metadata["etag"],
                        match_condition=MatchConditions.IfNotModified)
    assert table.get_entity("2026-03-02", "0010")["n"] == 100

    with pytest.raises(TableTransactionError):  # the fourth create collides: the first three roll back
        table.submit_transaction([("create", {"PartitionKey": "2026-03-02_01", "RowKey": key})
                                  for key in ("0100", "0101", "0102", "0003")])
    for key in ("0100", "0101", "0102"):
        with pytest.raises(ResourceNotFoundError):
            table.get_entity("2026-03-02_01", key)
    table.create_entity({"PartitionKey": "2026-03-02_01", "RowKey": "0100"})  # the rolled-back key is free

    rows = [(e["PartitionKey"], e["RowKey"]) for e in table.query_entities("PartitionKey ge '2026'")]
    assert len(rows) == 101 and rows == sorted(rows)
