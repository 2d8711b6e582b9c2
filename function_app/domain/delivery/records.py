"""One partner-file record: a fact's cells in the feed's field order, with the feed's PII level applied
(spec/PARTNER-FILES.md): `masked` gives a customer name's initial, a VIN's last 8 characters and a postal code's
first three digits; `none` gives no customer field at all (the configuration refuses one) and masks the VIN."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum

from function_app.domain.delivery.fields import FIELDS, Cell, Field, PersonalData
from function_app.domain.kernel.journal import JournalFact

VIN_VISIBLE = 8
POSTAL_CODE_VISIBLE = 3  # a ZIP code's first three digits: the sectional centre, shared by many thousands


class PiiLevel(StrEnum):
    FULL = "full"
    MASKED = "masked"
    NONE = "none"


def initial(name: str) -> str:
    """The first letter or digit with its combining accents ("María" -> "M."), else the first character."""
    text = name.strip()
    start = next((i for i, char in enumerate(text) if char.isalnum()), 0)
    end = start + 1
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1
    return text[start:end] + "."


def mask_vin(vin: str) -> str:
    hidden = max(0, len(vin) - VIN_VISIBLE)
    return "*" * hidden + vin[hidden:]


def mask_postal_code(postal_code: str) -> str:
    """"75201-1234" -> "752": the first three digits, nothing after them (not even padding that counts them)."""
    return postal_code.strip()[:POSTAL_CODE_VISIBLE]


_BARRED: Mapping[PiiLevel, frozenset[PersonalData]] = {
    PiiLevel.NONE: frozenset({PersonalData.NAME, PersonalData.POSTAL_CODE, PersonalData.CUSTOMER}),
}

_MASKS: Mapping[tuple[PiiLevel, PersonalData], Callable[[str], str]] = {
    (PiiLevel.MASKED, PersonalData.NAME): initial,
    (PiiLevel.MASKED, PersonalData.VIN): mask_vin,
    (PiiLevel.MASKED, PersonalData.POSTAL_CODE): mask_postal_code,
    (PiiLevel.NONE, PersonalData.VIN): mask_vin,
}


def pii_violations(fields: Sequence[str], pii: PiiLevel) -> list[str]:
    """Fields a feed at this PII level may not list, each as a message naming the field (unknown names aside)."""
    barred = _BARRED.get(pii, frozenset())
    listed = [FIELDS[name] for name in fields if name in FIELDS]
    return [
        f"field {field.name!r} is {field.personal} data, which a feed with PII level {pii.value!r} cannot receive"
        for field in listed
        if field.personal in barred
    ]


def record(fact: JournalFact, fields: Sequence[str], pii: PiiLevel) -> tuple[Cell, ...]:
    return record_maker(fields, pii)(fact)


def record_maker(fields: Sequence[str], pii: PiiLevel) -> Callable[[JournalFact], tuple[Cell, ...]]:
    """A feed's record builder: the PII rules are checked once, not for every fact of a large file."""
    violations = pii_violations(fields, pii)
    if violations:
        raise ValueError("; ".join(violations))
    cells = [(FIELDS[name].extract, mask_for(FIELDS[name], pii)) for name in fields]

    def make(fact: JournalFact) -> tuple[Cell, ...]:
        return tuple(masked(mask, extract(fact)) for extract, mask in cells)

    return make


def mask_for(field: Field, pii: PiiLevel) -> Callable[[str], str] | None:
    return _MASKS.get((pii, field.personal)) if field.personal else None


def masked(mask: Callable[[str], str] | None, value: Cell) -> Cell:
    return mask(str(value)) if mask is not None and value is not None else value
