"""Partners are configuration (spec/PARTNER-FILES.md): who receives which facts, how, and how soon."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, model_validator

from function_app.domain.delivery.records import PiiLevel, pii_violations
from function_app.domain.kernel.catalogue import ProductType
from function_app.domain.kernel.feed_mode import FeedMode
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.kernel.partner_values import (
    Code,
    Codes,
    FeedName,
    FieldName,
    PartnerId,
    iso_duration,
    no_repeats,
    non_empty_text,
    not_bool,
    not_empty,
    problems_at,
    valid_sla,
)

PartnerKind = Literal["OEM", "ADMINISTRATOR", "LENDER"]
FactType = Literal["contracts", "cancellations", "status_changes", "claims"]
FileFormat = Literal["csv", "fixed", "jsonl"]


FACT_KINDS: Mapping[FactType, tuple[str, ...]] = {
    "contracts": (FactKind.CONTRACT_ACCEPTED, FactKind.CONTRACT_REVISED),
    "cancellations": (FactKind.CONTRACT_CANCELLED,),
    # reserved for the change feed, which journals no facts of these kinds yet
    "status_changes": ("STATUS_CHANGED",),
    "claims": ("CLAIM_SUBMITTED", "CLAIM_PAID"),  # filed by administrators' claims files; paid by the back office
}


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeedFilter(_Config):
    """Which facts a feed receives; a key left out (or null) means all."""

    oems: Codes | None = None
    administrators: Codes | None = None
    product_types: Annotated[list[ProductType], AfterValidator(not_empty)] | None = None
    # not in the spec's list: a lender must see only the contracts it finances, not its competitors'
    lienholder_codes: Codes | None = None

    def matches(self, fact: JournalFact) -> bool:
        return self.everything or (
            _allows(self.oems, fact.oem)
            and _allows(self.administrators, fact.administrator)
            and _allows(self.product_types, fact.product_type)
            and (self.lienholder_codes is None or _lienholder_code(fact) in self.lienholder_codes)
        )

    @cached_property  # asked once per journal fact a file reads
    def everything(self) -> bool:
        """No key chosen: every fact passes."""
        return self.oems is None and self.administrators is None and self.product_types is None and (
            self.lienholder_codes is None
        )


def _allows(chosen: Sequence[str] | None, value: str | None) -> bool:
    return chosen is None or value in chosen


def _lienholder_code(fact: JournalFact) -> str | None:
    contract = fact.data.get("contract")
    lienholder = contract.get("lienholder") if isinstance(contract, dict) else None
    code = lienholder.get("code") if isinstance(lienholder, dict) else None
    return code if isinstance(code, str) else None


class Feed(_Config):
    name: FeedName
    facts: Annotated[list[FactType], Field(min_length=1), AfterValidator(no_repeats)]
    filter: FeedFilter
    format: FileFormat
    fields: Annotated[list[FieldName], Field(min_length=1), AfterValidator(no_repeats)]
    pii: PiiLevel
    sla: Annotated[str, AfterValidator(valid_sla)]
    cut_at_records: Annotated[StrictInt, Field(ge=1)] = 5000

    @property
    def sla_timedelta(self) -> timedelta:
        return iso_duration(self.sla)

    @property
    def mode(self) -> FeedMode:
        """A daily SLA gets one nightly file per business date; a shorter one gets micro-batches."""
        return FeedMode.DAILY if self.sla_timedelta >= timedelta(days=1) else FeedMode.MICRO

    @cached_property  # asked once per journal fact a file reads
    def fact_kinds(self) -> frozenset[str]:
        """The journal's FactKind values this feed receives."""
        return frozenset(kind for fact in self.facts for kind in FACT_KINDS[fact])

    def receives(self, fact: JournalFact) -> bool:
        """Whether the fact is of a kind this feed subscribes to and passes its filter."""
        return fact.kind.value in self.fact_kinds and self.filter.matches(fact)

    @model_validator(mode="after")
    def _consistent(self) -> Feed:
        problems: list[tuple[tuple[str | int, ...], str, object]] = []
        violations = pii_violations(self.fields, self.pii)
        if violations:
            fix = "remove them, or choose pii 'masked'" if self.pii is PiiLevel.NONE else "remove them"
            problems.append((("fields",), f"{'; '.join(violations)}; {fix}", self.fields))
        if self.mode is FeedMode.DAILY and "cut_at_records" in self.model_fields_set:
            # a daily feed gets one file per business date, so a size trigger would silently do nothing
            message = f"applies only to micro-batch feeds (sla shorter than P1D), and this feed's sla is {self.sla}"
            problems.append((("cut_at_records",), message, self.cut_at_records))
        if problems:
            raise problems_at(problems)
        return self


class Partner(_Config):
    id: PartnerId
    name: Annotated[str, AfterValidator(non_empty_text)]
    kind: PartnerKind
    feeds: Annotated[list[Feed], Field(min_length=1)]
    # the administrator code whose contracts this partner may file claims on (CLAIMS-INBOUND.md); one partner's only
    administrator_code: Code | None = None

    @model_validator(mode="after")
    def _feed_names_are_unique(self) -> Partner:
        names = [feed.name for feed in self.feeds]
        repeats = [
            (("feeds", j, "name"), f"another feed of this partner is already named {name!r}", name)
            for j, name in enumerate(names)
            if name in names[:j]
        ]
        if repeats:
            raise problems_at(repeats)
        return self


class PartnerConfig(_Config):
    schema_version: Annotated[Literal[1], BeforeValidator(not_bool)]
    partners: list[Partner]

    @model_validator(mode="after")
    def _partner_ids_are_unique(self) -> PartnerConfig:
        ids = [partner.id for partner in self.partners]
        repeats = [
            (
                ("partners", i, "id"),
                f"partners[{i}] has the same id as partners[{ids.index(pid)}]; ids must be unique",
                pid,
            )
            for i, pid in enumerate(ids)
            if pid in ids[:i]
        ]
        if repeats:
            raise problems_at(repeats)
        return self

    @model_validator(mode="after")
    def _administrator_codes_are_held_once(self) -> PartnerConfig:
        """Two partners holding one code could each file claims on the other's contracts."""
        holders: dict[str, str] = {}
        repeats: list[tuple[tuple[str | int, ...], str, object]] = []
        for i, candidate in enumerate(self.partners):
            code = candidate.administrator_code
            if code is None:
                continue
            if code in holders:
                message = f"{code!r} is already the administrator_code of partner {holders[code]}"
                repeats.append((("partners", i, "administrator_code"), message + "; a code is held by one partner only",
                                code))
            else:
                holders[code] = candidate.id
        if repeats:
            raise problems_at(repeats)
        return self


def partner(config: PartnerConfig, id: str) -> Partner:
    for candidate in config.partners:
        if candidate.id == id:
            return candidate
    known = ", ".join(p.id for p in config.partners) or "none"
    raise KeyError(f"no partner {id!r} in the partner configuration; known partners: {known}")


