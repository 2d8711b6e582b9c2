"""Records in field order with the PII level: full as is, masked (initials, VIN's last 8, ZIP3), none (barred)."""

from __future__ import annotations

import pytest

from function_app.domain.delivery.records import (
    PiiLevel,
    initial,
    mask_postal_code,
    mask_vin,
    pii_violations,
    record,
)
from tests.unit.partner_files.facts import sample_facts

ACCEPTED, REVISED, GAP_ACCEPTED, GAP_CANCELLED, FORMULAS, MORE_FORMULAS, NON_LATIN = sample_facts()
PERSONAL = ["customer_first_name", "customer_last_name", "vin", "customer_state", "customer_postal_code"]


def test_cells_come_in_the_feeds_field_order() -> None:
    assert record(ACCEPTED, ["revision", "contract_number", "dealer_code"], PiiLevel.FULL) == (
        1, "VSC2501150001", "D10442",
    )


def test_full_pii_is_as_is() -> None:
    assert record(ACCEPTED, PERSONAL, PiiLevel.FULL) == ("María", "Núñez", "4T1BF1FK3GU123456", "TX", "75201")


def test_masked_pii_keeps_initials_the_vins_last_8_and_the_postal_codes_first_3() -> None:
    assert record(ACCEPTED, PERSONAL, PiiLevel.MASKED) == ("M.", "N.", "*********GU123456", "TX", "752")


@pytest.mark.parametrize(("postal_code", "masked"), [("75201", "752"), ("75201-1234", "752"), ("00501", "005")])
def test_a_masked_postal_code_is_its_first_three_digits(postal_code: str, masked: str) -> None:
    assert mask_postal_code(postal_code) == masked


@pytest.mark.parametrize(
    ("name", "expected"),
    [("María", "M."), ("王小明", "王."), ("Zoë", "Z."), ("Ñandú", "Ñ."), ("E\u0301mile", "E\u0301."),
     ("  Lee", "L."), ('=HYPERLINK("x")', "H."), ("+1", "1."), ("-2", "2."), ("@SUM", "S."), ("O'Neil", "O."),
     ("'", "'.")],
)
def test_an_initial_is_the_first_letter_or_digit_with_its_accents(name: str, expected: str) -> None:
    assert initial(name) == expected


def test_a_masked_vin_keeps_its_length() -> None:
    assert mask_vin("1HGCM82633A004352") == "*********3A004352"
    assert len(mask_vin("1HGCM82633A004352")) == 17
    assert mask_vin("SHORT") == "SHORT"


def test_pii_none_bars_names_and_customer_fields() -> None:
    violations = pii_violations(["contract_number", *PERSONAL], PiiLevel.NONE)
    assert len(violations) == 4
    for name in ("customer_first_name", "customer_last_name", "customer_state", "customer_postal_code"):
        assert any(repr(name) in message for message in violations)
    assert all("'none'" in message for message in violations)


def test_pii_none_masks_the_vin() -> None:
    assert pii_violations(["vin", "contract_number"], PiiLevel.NONE) == []
    assert record(ACCEPTED, ["vin"], PiiLevel.NONE) == ("*********GU123456",)


@pytest.mark.parametrize("level", [PiiLevel.FULL, PiiLevel.MASKED])
def test_full_and_masked_allow_every_field(level: PiiLevel) -> None:
    assert pii_violations(PERSONAL, level) == []


def test_a_record_refuses_fields_its_pii_level_bars() -> None:
    with pytest.raises(ValueError, match="customer_last_name"):
        record(ACCEPTED, ["contract_number", "customer_last_name"], PiiLevel.NONE)


def test_pii_levels_are_their_configuration_words() -> None:
    assert [PiiLevel(word) for word in ("full", "masked", "none")] == list(PiiLevel)
