"""What every Table Storage adapter shares: a table made sure of, quoted filter values, key look-ups in chunks,
deletes in transactions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableClient, TableEntity, TableServiceClient, TableTransactionError

from function_app.domain.kernel import bounds

TRANSACTION_LIMIT = bounds.TABLE_TRANSACTION_ENTITIES
QUERY_COMPARISONS = 14  # Table service filters allow 15 comparisons; one is the PartitionKey


def ensure_table(service: TableServiceClient, name: str) -> TableClient:
    with contextlib.suppress(ResourceExistsError):
        service.create_table(name)
    return service.get_table_client(name)


def odata_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def query_keys(table: TableClient, partition: str, row_keys: Sequence[str]) -> Iterator[TableEntity]:
    """The entities of one partition with these row keys, as few queries as the filter limit allows."""
    for start in range(0, len(row_keys), QUERY_COMPARISONS):
        chunk = row_keys[start : start + QUERY_COMPARISONS]
        rows = " or ".join(f"RowKey eq {odata_quote(k)}" for k in chunk)
        yield from table.query_entities(f"PartitionKey eq {odata_quote(partition)} and ({rows})")


def delete_rows(table: TableClient, partition: str, row_keys: Sequence[str]) -> None:
    """Deletes the rows of one partition, a transaction per hundred; a row another deleter removed first turns
    its chunk into single deletes, which pass over what is gone."""
    for start in range(0, len(row_keys), TRANSACTION_LIMIT):
        chunk = row_keys[start : start + TRANSACTION_LIMIT]
        try:
            table.submit_transaction([("delete", {"PartitionKey": partition, "RowKey": key}) for key in chunk])
        except TableTransactionError as exc:
            if getattr(exc, "error_code", None) != "ResourceNotFound":
                raise
            for key in chunk:
                table.delete_entity(partition, key)  # the SDK passes over an entity that is not there
