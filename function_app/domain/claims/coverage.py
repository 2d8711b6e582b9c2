"""What an accepted contract covers, and the NOT_COVERED reasons of a claim that falls outside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from function_app.domain.claims.reasons import ClaimReason, Reason
from function_app.domain.claims.rows import ClaimRow
from function_app.domain.realtime.contracts import ContractRecord, ContractStatus
from function_app.domain.realtime.refunds import add_months


@dataclass(frozen=True)
class Coverage:
    effective: date
    expiry: date  # the first day not covered
    cancel_date: date | None  # the last day covered, when cancelled
    odometer_limit: int | None  # the last covered odometer reading, when the term has miles


def coverage_of(contract: ContractRecord) -> Coverage:
    """What an accepted contract covers, read from its submission (and cancellation)."""
    submission = contract.submission
    if submission is None:
        raise ValueError(f"contract {contract.contract_number} holds no submission")
    effective, miles = submission.effective, submission.term_miles
    limit = None if miles is None else submission.vehicle.odometer + miles
    return Coverage(effective, add_months(effective, submission.term_months), _cancel_date(contract), limit)


def _cancel_date(contract: ContractRecord) -> date | None:
    if contract.status is not ContractStatus.CANCELLED:
        return None
    if contract.cancellation is None:
        raise ValueError(f"contract {contract.contract_number} is cancelled but holds no cancel_date")
    return contract.cancellation.request.cancel_date


def coverage_problems(row: ClaimRow, coverage: Coverage) -> list[Reason]:
    """NOT_COVERED reasons: all of them, each naming the rule it breaks."""
    day = row.failure_date
    if coverage.effective <= day < coverage.expiry and (coverage.cancel_date is None or day <= coverage.cancel_date) \
            and (coverage.odometer_limit is None or row.odometer <= coverage.odometer_limit):
        return []  # covered: the common case, without building the list below
    problems: list[tuple[str, str]] = []
    if day < coverage.effective:
        problems.append(("failure_date", f"failure_date {day} is before the contract's effective date "
                                         f"{coverage.effective}"))
    if day >= coverage.expiry:
        problems.append(("failure_date", f"failure_date {day} is on or after the contract's expiry {coverage.expiry}"))
    if coverage.cancel_date is not None and day > coverage.cancel_date:
        problems.append(("failure_date", f"failure_date {day} is after the contract's cancellation date "
                                         f"{coverage.cancel_date}"))
    if coverage.odometer_limit is not None and row.odometer > coverage.odometer_limit:
        problems.append(("odometer", f"odometer {row.odometer} is past the covered {coverage.odometer_limit} "
                                     "(sale odometer + term_miles)"))
    return [Reason(ClaimReason.NOT_COVERED, field, message) for field, message in problems]
