"""The state-rules document (REFUNDS.md "State rules"): every mistake named by rule, state and field; the rules of
a contract merged general first, then those naming its product type, later fields replacing earlier ones."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from function_app.config import DEFAULT_STATE_RULES, ConfigError, load_settings
from function_app.domain.kernel.catalogue import ProductType
from function_app.domain.kernel.state_rules import (
    EFFECT_FIELDS,
    AppliedStateRule,
    StateRuleError,
    StateTerms,
    state_rules_from_document,
)

SPEC_EXAMPLE: dict[str, Any] = {"rules": [
    {"state": "TX", "free_look_days": 30, "max_fee": "50.00", "refund_due_days": 45},
    {"state": "CA", "max_fee": "25.00", "max_fee_percent": "10", "refund_due_days": 30},
    {"state": "NY", "product_types": ["GAP"], "pro_rata_only": True},
]}


def rules_of(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"rules": list(rules)}


def test_the_spec_example_reads_as_written() -> None:
    rules = state_rules_from_document(SPEC_EXAMPLE)
    assert rules.applying_to("CA", ProductType.VSC) == AppliedStateRule(
        "CA", StateTerms(max_fee=Decimal("25.00"), max_fee_percent=Decimal("10"), refund_due_days=30))
    assert rules.applying_to("TX", ProductType.GAP) == AppliedStateRule(
        "TX", StateTerms(free_look_days=30, max_fee=Decimal("50.00"), refund_due_days=45))
    assert rules.applying_to("NY", ProductType.GAP) == AppliedStateRule("NY", StateTerms(pro_rata_only=True))


def test_no_rule_applies_to_another_state_another_product_or_no_state() -> None:
    rules = state_rules_from_document(SPEC_EXAMPLE)
    assert rules.applying_to("GA", ProductType.VSC) is None
    assert rules.applying_to("NY", ProductType.VSC) is None  # NY's only rule names GAP
    assert rules.applying_to(None, ProductType.VSC) is None
    assert state_rules_from_document({"rules": []}).applying_to("CA", ProductType.VSC) is None


def test_general_rules_first_then_those_naming_the_product_later_fields_replacing_earlier() -> None:
    rules = state_rules_from_document(rules_of(
        {"state": "FL", "product_types": ["GAP"], "max_fee": "10.00", "pro_rata_only": False},
        {"state": "FL", "max_fee": "30.00", "free_look_days": 45, "pro_rata_only": True},
        {"state": "FL", "max_fee": "20.00", "refund_due_days": 60},
        {"state": "GA", "max_fee": "1.00"},
        {"state": "FL", "product_types": ["GAP", "KEY"], "refund_due_days": 15},
    ))
    # for GAP: the general rules in order (30.00, then 20.00), then the GAP rules (10.00; pro_rata_only false)
    assert rules.applying_to("FL", ProductType.GAP) == AppliedStateRule("FL", StateTerms(
        free_look_days=45, max_fee=Decimal("10.00"), pro_rata_only=False, refund_due_days=15))
    assert rules.applying_to("FL", ProductType.KEY) == AppliedStateRule("FL", StateTerms(
        free_look_days=45, max_fee=Decimal("20.00"), pro_rata_only=True, refund_due_days=15))
    assert rules.applying_to("FL", ProductType.VSC) == AppliedStateRule("FL", StateTerms(
        free_look_days=45, max_fee=Decimal("20.00"), pro_rata_only=True, refund_due_days=60))


def test_a_note_is_allowed_on_the_document_and_on_a_rule_and_changes_nothing() -> None:
    rules = state_rules_from_document({"note": "example only", "rules": [
        {"state": "CA", "max_fee": "25.00", "note": "Cal. citation here"}]})
    assert rules.applying_to("CA", ProductType.VSC) == AppliedStateRule("CA", StateTerms(max_fee=Decimal("25.00")))


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"state": "CA", "free_look_days": -1}, "free_look_days"),
        ({"state": "CA", "free_look_days": 366}, "free_look_days"),
        ({"state": "CA", "free_look_days": True}, "free_look_days"),
        ({"state": "CA", "free_look_days": "30"}, "free_look_days"),
        ({"state": "CA", "free_look_days": 30.0}, "free_look_days"),
        ({"state": "CA", "max_fee": 25}, "max_fee"),
        ({"state": "CA", "max_fee": "25"}, "max_fee"),
        ({"state": "CA", "max_fee": "25.000"}, "max_fee"),
        ({"state": "CA", "max_fee": "-5.00"}, "max_fee"),
        ({"state": "CA", "max_fee": "1e2"}, "max_fee"),
        ({"state": "CA", "max_fee_percent": 10}, "max_fee_percent"),
        ({"state": "CA", "max_fee_percent": "100.01"}, "max_fee_percent"),
        ({"state": "CA", "max_fee_percent": "101"}, "max_fee_percent"),
        ({"state": "CA", "max_fee_percent": "-1"}, "max_fee_percent"),
        ({"state": "CA", "max_fee_percent": "10%"}, "max_fee_percent"),
        ({"state": "CA", "max_fee_percent": "1E1"}, "max_fee_percent"),
        ({"state": "CA", "max_fee_percent": "NaN"}, "max_fee_percent"),
        ({"state": "CA", "max_fee_percent": ""}, "max_fee_percent"),
        ({"state": "CA", "pro_rata_only": "true"}, "pro_rata_only"),
        ({"state": "CA", "pro_rata_only": 1}, "pro_rata_only"),
        ({"state": "CA", "refund_due_days": 0}, "refund_due_days"),
        ({"state": "CA", "refund_due_days": 3651}, "refund_due_days"),
        ({"state": "CA", "refund_due_days": False}, "refund_due_days"),
        ({"state": "CA", "product_types": [], "max_fee": "1.00"}, "product_types"),
        ({"state": "CA", "product_types": "GAP", "max_fee": "1.00"}, "product_types"),
        ({"state": "CA", "product_types": ["GAP", "BOAT"], "max_fee": "1.00"}, "product_types"),
        ({"state": "CA", "product_types": ["gap"], "max_fee": "1.00"}, "product_types"),
        ({"state": "CA", "max_fee": "1.00", "note": ""}, "note"),
        ({"state": "CA", "max_fee": "1.00", "maxfee": "2.00"}, "maxfee"),
    ],
)
def test_a_mistake_names_the_rule_its_state_and_the_field(rule: dict[str, Any], named: str) -> None:
    document = rules_of({"state": "TX", "max_fee": "50.00"}, rule)
    with pytest.raises(StateRuleError) as raised:
        state_rules_from_document(document)
    assert str(raised.value).startswith(f"rules[1] (CA).{named}"), str(raised.value)
    assert len(str(raised.value)) < 300


@pytest.mark.parametrize("state", ["ca", "XX", "", None, 12, "CAL", "UK"])
def test_a_rule_needs_a_us_state_dc_or_territory_code(state: object) -> None:
    with pytest.raises(StateRuleError, match=r"^rules\[0\]\.state: expected a US state"):
        state_rules_from_document(rules_of({"state": state, "max_fee": "1.00"}))


def test_territories_and_dc_are_states_here() -> None:
    rules = state_rules_from_document(rules_of({"state": "DC", "max_fee": "1.00"}, {"state": "PR", "max_fee": "2.00"}))
    assert rules.applying_to("PR", ProductType.VSC) is not None


@pytest.mark.parametrize("rule", [{"state": "CA"}, {"state": "CA", "product_types": ["GAP"], "note": "x"}])
def test_a_rule_without_an_effect_is_refused(rule: dict[str, Any]) -> None:
    with pytest.raises(StateRuleError, match=r"^rules\[0\] \(CA\): a rule changes nothing") as raised:
        state_rules_from_document(rules_of(rule))
    assert all(name in str(raised.value) for name in EFFECT_FIELDS)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "expected a JSON object"),
        ({}, "rules: expected a list"),
        ({"rules": {"state": "CA"}}, "rules: expected a list"),
        ({"rules": "CA"}, "rules: expected a list"),
        ({"rules": [], "comment": "x"}, "comment: unknown field"),
        ({"rules": [], "note": 5}, "note: expected text"),
        ({"rules": ["CA"]}, r"rules\[0\]: expected an object"),
    ],
)
def test_the_document_shape_is_checked(document: object, message: str) -> None:
    with pytest.raises(StateRuleError, match=message):
        state_rules_from_document(document)


# --- the setting -----------------------------------------------------------------------------------------------


def test_the_shipped_example_is_the_default_says_it_is_no_legal_advice_and_holds_the_spec_rules() -> None:
    document = json.loads(DEFAULT_STATE_RULES.read_text(encoding="utf-8"))
    assert "NOT LEGAL ADVICE" in document["note"]
    assert [{k: v for k, v in rule.items() if k != "note"} for rule in document["rules"]] == SPEC_EXAMPLE["rules"]
    assert load_settings({}).state_rules == state_rules_from_document(SPEC_EXAMPLE)


def test_a_relative_setting_is_read_from_the_app_root() -> None:
    assert load_settings({"STATE_RULES": "config/state_rules.json"}).state_rules == load_settings({}).state_rules


def test_a_bad_rules_file_stops_start_up_naming_the_setting_the_file_the_rule_and_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "rules.json"
    rules = rules_of({"state": "TX", "max_fee": "50.00"}, {"state": "CA", "max_fee_percent": "12,5"})
    bad.write_text(json.dumps(rules))
    with pytest.raises(ConfigError) as raised:
        load_settings({"STATE_RULES": str(bad)})
    message = str(raised.value)
    assert message.startswith(f"STATE_RULES {bad}: rules[1] (CA).max_fee_percent: expected a percentage"), message


@pytest.mark.parametrize("content", ["", "{", "[" * 100_000 + "]" * 100_000, "\xff"])
def test_an_unreadable_rules_file_stops_start_up(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "rules.json"
    bad.write_text(content, encoding="latin-1")
    with pytest.raises(ConfigError, match=r"^STATE_RULES: cannot read"):
        load_settings({"STATE_RULES": str(bad)})


def test_a_missing_rules_file_stops_start_up_even_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^STATE_RULES: cannot read .*nothere\.json"):
        load_settings({"STATE_RULES": str(tmp_path / "nothere.json")})
    monkeypatch.setattr("function_app.config.DEFAULT_STATE_RULES", tmp_path / "state_rules.json")
    with pytest.raises(ConfigError, match=r"^STATE_RULES: cannot read"):
        load_settings({})


def test_no_rules_at_all_is_said_with_an_empty_list(tmp_path: Path) -> None:
    empty = tmp_path / "rules.json"
    empty.write_text('{"rules": []}')
    assert load_settings({"STATE_RULES": str(empty)}).state_rules.rules == ()


def test_a_nul_in_the_path_is_named() -> None:
    with pytest.raises(ConfigError, match=r"^STATE_RULES: a path cannot hold a NUL"):
        load_settings({"STATE_RULES": "a\x00b"})
