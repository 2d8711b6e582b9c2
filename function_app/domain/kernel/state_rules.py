"""State cancellation rules (spec/REFUNDS.md "State rules"): what a state's law changes in a refund, read from the
deployment's rules document and merged per contract."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import TypeVar

from function_app.domain.kernel.catalogue import MAX_FREE_LOOK_DAYS, ProductType
from function_app.domain.kernel.money import parse_money

US_STATES = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN",
        "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV",
        "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
        "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP",
    }
)
MAX_REFUND_DUE_DAYS = 3650
MAX_NOTE_LENGTH = 500
# "10" or "12.5": a percentage written plainly, at most two decimals, no sign or exponent
_PERCENT_TEXT = re.compile(r"[0-9]{1,3}(\.[0-9]{1,2})?")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]{1,40}")
_T = TypeVar("_T")


class StateRuleError(ValueError):
    """The rules document is unusable; the message names the rule's index, its state and the field."""


@dataclass(frozen=True)
class StateTerms:
    """What the state rules change for one contract; None: the field is not set, the catalogue's stands."""

    free_look_days: int | None = None
    max_fee: Decimal | None = None
    max_fee_percent: Decimal | None = None
    pro_rata_only: bool | None = None
    refund_due_days: int | None = None

    def then(self, later: StateTerms) -> StateTerms:
        """These terms with each field the later rule sets replaced by its value."""
        return replace(self, **{f.name: value for f in fields(later) if (value := getattr(later, f.name)) is not None})


EFFECT_FIELDS = tuple(f.name for f in fields(StateTerms))


@dataclass(frozen=True)
class StateRule:
    state: str
    terms: StateTerms
    product_types: frozenset[ProductType] | None = None  # None: every product type
    note: str | None = field(default=None, compare=False)  # a citation or disclaimer for the file's keepers


@dataclass(frozen=True)
class AppliedStateRule:
    """The merged rules of one state for one product type."""

    state: str
    terms: StateTerms


@dataclass(frozen=True)
class StateRules:
    rules: tuple[StateRule, ...] = ()

    def applying_to(self, state: str | None, product_type: ProductType) -> AppliedStateRule | None:
        """The rules of `state`: first those for every product type, then those naming `product_type`, a field
        of a later rule replacing the same field of an earlier one; None when no rule of the state applies."""
        general = [rule for rule in self.rules if rule.state == state and rule.product_types is None]
        narrowed = [rule for rule in self.rules
                    if rule.state == state and rule.product_types is not None and product_type in rule.product_types]
        if state is None or not (general or narrowed):
            return None
        merged = StateTerms()
        for rule in general + narrowed:
            merged = merged.then(rule.terms)
        return AppliedStateRule(state, merged)


NO_STATE_RULES = StateRules()
_RULE_FIELDS = ("state", "product_types", *EFFECT_FIELDS, "note")


def state_rules_from_document(document: object) -> StateRules:
    """`{"rules": [...], "note": "..."}` checked whole: any mistake raises StateRuleError naming where it is."""
    if not isinstance(document, Mapping):
        raise StateRuleError(f"expected a JSON object {{\"rules\": [...]}}, got {_kind(document)}")
    for key in document:
        if key not in ("rules", "note"):
            raise StateRuleError(f"{_name(key)}: unknown field, expected rules (and optionally note)")
    if "note" in document:
        _note("note", document["note"])
    rules = document.get("rules")
    if not isinstance(rules, Sequence) or isinstance(rules, str):
        raise StateRuleError(f"rules: expected a list of rules, got {_kind(rules)}")
    return StateRules(tuple(_rule(index, raw) for index, raw in enumerate(rules)))


def _rule(index: int, raw: object) -> StateRule:
    if not isinstance(raw, Mapping):
        raise StateRuleError(f"rules[{index}]: expected an object, got {_kind(raw)}")
    state = raw.get("state")
    if not isinstance(state, str) or state not in US_STATES:
        raise StateRuleError(f"rules[{index}].state: expected a US state, DC or territory code such as TX, "
                             f"got {_shown(state)}")
    where = f"rules[{index}] ({state})"
    for key in raw:
        if key not in _RULE_FIELDS:
            raise StateRuleError(f"{where}.{_name(key)}: unknown field, expected one of {', '.join(_RULE_FIELDS)}")
    if not any(name in raw for name in EFFECT_FIELDS):
        raise StateRuleError(f"{where}: a rule changes nothing without one of {', '.join(EFFECT_FIELDS)}")
    terms = StateTerms(
        free_look_days=_pick(raw, where, "free_look_days", _free_look_days),
        max_fee=_pick(raw, where, "max_fee", _max_fee),
        max_fee_percent=_pick(raw, where, "max_fee_percent", _percent),
        pro_rata_only=_pick(raw, where, "pro_rata_only", _flag),
        refund_due_days=_pick(raw, where, "refund_due_days", _due_days),
    )
    product_types = _pick(raw, where, "product_types", _product_types)
    return StateRule(state, terms, product_types, _pick(raw, where, "note", _note))


def _pick(raw: Mapping[str, object], where: str, key: str, parse: Callable[[str, object], _T]) -> _T | None:
    return parse(f"{where}.{key}", raw[key]) if key in raw else None


def _product_types(where: str, value: object) -> frozenset[ProductType]:
    expected = ", ".join(ProductType)
    if not isinstance(value, list) or not value:
        raise StateRuleError(f"{where}: expected a non-empty list of product types ({expected}), got {_shown(value)}")
    for name in value:
        if not isinstance(name, str) or name not in ProductType.__members__:
            raise StateRuleError(f"{where}: unknown product type {_shown(name)}, expected one of {expected}")
    return frozenset(ProductType(name) for name in value)


def _whole(where: str, value: object, low: int, high: int) -> int:
    # bool is an int subclass, but `true` in configuration is a mistake, not one day
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StateRuleError(f"{where}: expected a whole number {low}..{high}, got {_shown(value)}")
    return value


def _free_look_days(where: str, value: object) -> int:
    return _whole(where, value, 0, MAX_FREE_LOOK_DAYS)


def _due_days(where: str, value: object) -> int:
    return _whole(where, value, 1, MAX_REFUND_DUE_DAYS)


def _max_fee(where: str, value: object) -> Decimal:
    fee = parse_money(value) if isinstance(value, str) else None
    if fee is None:
        raise StateRuleError(f"{where}: expected a non-negative decimal string with 2 places such as \"25.00\", "
                             f"got {_shown(value)}")
    return fee


def _percent(where: str, value: object) -> Decimal:
    percent = Decimal(value) if isinstance(value, str) and _PERCENT_TEXT.fullmatch(value) else None
    if percent is None or percent > 100:
        raise StateRuleError(f"{where}: expected a percentage 0..100 as a decimal string such as \"10\" or "
                             f"\"12.5\", got {_shown(value)}")
    return percent


def _flag(where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise StateRuleError(f"{where}: expected true or false, got {_shown(value)}")
    return value


def _note(where: str, value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_NOTE_LENGTH:
        raise StateRuleError(f"{where}: expected text of 1..{MAX_NOTE_LENGTH} characters, got {_kind(value)}")
    return value


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _name(key: object) -> str:
    """A field name as written when it looks like one, else quoted and cut short."""
    return key if isinstance(key, str) and _FIELD_NAME.fullmatch(key) else _shown(key)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"
