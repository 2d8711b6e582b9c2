"""The API's questions (spec/API.md): a contract's status and a cancellation quote, for one caller.

Each answer costs at most one point read of the contract's record and writes nothing. A quote is decided by
`ContractBook.assess_cancellation`, the very path a cancellation takes, at the moment of the request: so a quote is
the refund the cancellation that follows it gets."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from function_app.domain.api.callers import Caller
from function_app.domain.api.quotes import quote_request
from function_app.domain.api.views import contract_view, visible_to
from function_app.domain.kernel import bounds
from function_app.domain.kernel.feedback import Decision, Reason, ReasonCode, Refund
from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.realtime.decisions import ContractBook
from function_app.service_layer.kernel.ports import ContractStore

CONTRACT_NUMBER = re.compile(r"[A-Z0-9-]{6,20}")  # EVENTS.md: no other number can name a contract


@dataclass(frozen=True)
class Quoted:
    refund: Refund
    quoted_at: datetime
    refund_due_days: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.refund.to_json(), "quoted_at": self.quoted_at.isoformat().replace("+00:00", "Z")}


@dataclass(frozen=True)
class Refused:
    """The request would be rejected: `reasons` as a cancellation's feedback would give them."""

    reasons: tuple[Reason, ...]

    @property
    def already_cancelled(self) -> bool:
        return any(r.code is ReasonCode.ALREADY_CANCELLED for r in self.reasons)


class NotFound(Exception):
    """No such contract, or not the caller's: the same answer, so that no caller learns of others' contracts."""


class ContractQueries:
    def __init__(self, contracts: ContractStore, book: ContractBook, zone: ZoneInfo,
                 clock: Callable[[], datetime]) -> None:
        self._contracts = contracts
        self._book = book
        self._zone = zone
        self._clock = clock

    def status(self, caller: Caller, contract_number: str) -> dict[str, Any]:
        return contract_view(self._own(caller, contract_number), caller)

    def quote(self, caller: Caller, contract_number: str, body: object) -> Quoted | Refused:
        now = self._clock()
        record = self._own(caller, contract_number)
        request = quote_request(contract_number, caller, body, bounds.latest_date(now.astimezone(self._zone).date()))
        if isinstance(request, tuple):
            return Refused(request)
        assessment = self._book.assess_cancellation(record, request)
        if isinstance(assessment, Decision):
            return Refused(assessment.reasons)
        return Quoted(assessment.refund, now, assessment.refund_due_days)

    def _own(self, caller: Caller, contract_number: str) -> ContractRecord:
        record = self._contracts.read(contract_number) if CONTRACT_NUMBER.fullmatch(contract_number) else None
        if record is None or not visible_to(record, caller):
            raise NotFound(contract_number)
        return record
