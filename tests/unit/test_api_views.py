"""What a caller sees of a contract: only its own, with the back office's status, customer fields at its PII level."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from function_app.domain.api.callers import Caller, CallerKind
from function_app.domain.api.views import contract_view, status_of, visible_to
from function_app.domain.change_feed.records import Lsn
from function_app.domain.change_feed.source_of_record import RowVersion, SourceOfRecord
from function_app.domain.realtime.contracts import ContractRecord, ContractStatus
from function_app.domain.realtime.payloads import ContractSubmission
from tests.events import contract

DEALER = Caller("dealer-app", CallerKind.DEALER, "D10442")
OTHER_DEALER = Caller("other-app", CallerKind.DEALER, "D20881")
LENDER = Caller("lender-app", CallerKind.LENDER, "FPCU")
OTHER_LENDER = Caller("bank-app", CallerKind.LENDER, "BANK1")


def record(**changes: Any) -> ContractRecord:
    submission = ContractSubmission.model_validate(contract("VSC-VIEW-0001", **changes)["data"])
    return ContractRecord("VSC-VIEW-0001", ContractStatus.ACTIVE, submission, 1, "h", submission.dealer_code)


def test_the_dealer_that_sold_it_and_its_lienholder_see_it_nobody_else() -> None:
    sold = record()
    assert visible_to(sold, DEALER) and visible_to(sold, LENDER)
    assert not visible_to(sold, OTHER_DEALER) and not visible_to(sold, OTHER_LENDER)
    assert not visible_to(record(lienholder=None), LENDER)
    assert not visible_to(ContractRecord("VSC-VIEW-0001"), DEALER)  # held requests only: not accepted
    assert not visible_to(None, DEALER)


def test_the_status_is_the_exchanges_cancellation_else_the_back_offices_else_active() -> None:
    active = record()
    assert status_of(active) == "ACTIVE"
    row = RowVersion(Lsn("0001", "0001", 1), {"status": "EXPIRED"})
    expired = replace(active, source_of_record=SourceOfRecord(contract=row))
    assert status_of(expired) == "EXPIRED"
    assert contract_view(expired, DEALER)["back_office_status"] == "EXPIRED"
    assert status_of(replace(expired, status=ContractStatus.CANCELLED)) == "CANCELLED"


def test_a_dealer_sees_the_customer_in_full_a_lender_masked_as_partner_files_mask() -> None:
    full, masked = contract_view(record(), DEALER), contract_view(record(), LENDER)
    assert full["pii"] == "full" and full["customer"] == {"first_name": "María", "last_name": "Núñez",
                                                          "state": "TX", "postal_code": "75201"}
    assert masked["pii"] == "masked" and masked["customer"] == {"first_name": "M.", "last_name": "N.",
                                                                "state": "TX", "postal_code": "752"}
    assert masked["vehicle"]["vin"] == "*" * 9 + full["vehicle"]["vin"][-8:]
    assert masked["pricing"] == full["pricing"] and masked["cancellation"] is None
