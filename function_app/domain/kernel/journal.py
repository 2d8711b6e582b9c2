"""Facts the exchange has accepted: what partner feeds and reconciliation read, in position order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class FactKind(StrEnum):
    CONTRACT_ACCEPTED = "CONTRACT_ACCEPTED"
    CONTRACT_REVISED = "CONTRACT_REVISED"
    CONTRACT_CANCELLED = "CONTRACT_CANCELLED"
    STATUS_CHANGED = "STATUS_CHANGED"  # the back office changed the contract's status
    CLAIM_PAID = "CLAIM_PAID"  # the back office paid a claim on the contract
    CLAIM_SUBMITTED = "CLAIM_SUBMITTED"  # an administrator filed a claim in a claims file


@dataclass(frozen=True)
class JournalFact:
    business_date: date
    position: str
    kind: FactKind
    contract_number: str
    revision: int
    dealer_code: str
    product_type: str
    oem: str | None
    administrator: str
    event_id: str
    source: str
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "business_date": self.business_date.isoformat(),
            "position": self.position,
            "kind": self.kind.value,
            "contract_number": self.contract_number,
            "revision": self.revision,
            "dealer_code": self.dealer_code,
            "product_type": self.product_type,
            "oem": self.oem,
            "administrator": self.administrator,
            "event_id": self.event_id,
            "source": self.source,
            "data": self.data,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> JournalFact:
        return cls(
            business_date=date.fromisoformat(raw["business_date"]),
            position=raw["position"],
            kind=FactKind(raw["kind"]),
            contract_number=raw["contract_number"],
            revision=int(raw["revision"]),
            dealer_code=raw["dealer_code"],
            product_type=raw["product_type"],
            oem=raw.get("oem"),
            administrator=raw["administrator"],
            event_id=raw["event_id"],
            source=raw["source"],
            data=raw["data"],
        )
