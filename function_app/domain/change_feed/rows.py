"""The rows the exchange reads from the policy-administration database: which tables and columns it uses, and the
checks a row image must pass before it is applied."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from function_app.domain.change_feed.debezium import Column, ColumnType, Unreadable, decode
from function_app.domain.change_feed.records import ChangeOp, Columns
from function_app.domain.kernel.feedback import Reason, ReasonCode

TABLES = ("contracts", "claims")
BACK_OFFICE_STATUSES = ("ACTIVE", "CANCELLED", "EXPIRED", "SUSPENDED")
# The columns the exchange uses, by table; any other column is ignored, never stored.
COLUMNS = {
    "contracts": (Column("contract_number", ColumnType.TEXT, 20), Column("status", ColumnType.TEXT, 20),
                  Column("refund_paid_date", ColumnType.DATE)),
    "claims": (Column("claim_number", ColumnType.TEXT, 20), Column("contract_number", ColumnType.TEXT, 20),
               Column("status", ColumnType.TEXT, 30), Column("paid_amount", ColumnType.MONEY, scale=2),
               Column("paid_date", ColumnType.DATE)),
}
_NUMBER = re.compile(r"^[A-Z0-9-]{6,20}$")
_CLAIM_STATUS = re.compile(r"^[A-Za-z0-9_-]{1,30}$")


def schema_invalid(where: str, message: str) -> Reason:
    return Reason(ReasonCode.SCHEMA_INVALID, where, message)


def read_row(
    table: str, image: dict[str, Any], schemas: Mapping[str, Any], op: ChangeOp
) -> tuple[Columns, list[Reason]]:
    """The row image decoded, and what is wrong with it in column order (an unreadable column is reported once)."""
    row, unreadable = _decoded_row(table, image, schemas)
    refused = {r.field for r in unreadable}
    problems = unreadable + [r for r in _row_problems(table, row, op) if r.field not in refused]
    order = [column.name for column in COLUMNS[table]]
    return row, sorted(problems, key=lambda r: order.index(r.field) if r.field in order else 0)


def _decoded_row(table: str, raw: dict[str, Any], schemas: Mapping[str, Any]) -> tuple[Columns, list[Reason]]:
    """The columns the exchange uses, decoded by their declared type; every other column is left behind."""
    row: dict[str, str | None] = {}
    problems = []
    for column in COLUMNS[table]:
        if column.name not in raw:
            continue
        try:
            row[column.name] = decode(column, raw[column.name], schemas.get(column.name))
        except Unreadable as exc:
            problems.append(schema_invalid(column.name, f"{column.name} {exc}"))
    return row, problems


def _row_problems(table: str, row: Columns, op: ChangeOp) -> list[Reason]:
    problems = []
    contract = row.get("contract_number")
    if not isinstance(contract, str) or not _NUMBER.fullmatch(contract):
        problems.append(schema_invalid("contract_number", "contract_number must match ^[A-Z0-9-]{6,20}$"))
    claim = row.get("claim_number")
    if table == "claims" and (not isinstance(claim, str) or not _NUMBER.fullmatch(claim)):
        problems.append(schema_invalid("claim_number", "claim_number must match ^[A-Z0-9-]{6,20}$"))
    if op is ChangeOp.DELETE:
        return problems
    status = row.get("status")
    if table == "contracts" and status not in BACK_OFFICE_STATUSES:
        problems.append(schema_invalid("status", f"status must be one of {', '.join(BACK_OFFICE_STATUSES)}"))
    if table == "claims" and not (isinstance(status, str) and _CLAIM_STATUS.fullmatch(status)):
        problems.append(schema_invalid("status", "a claim needs a status of 1 to 30 letters, digits, - or _"))
    return problems
