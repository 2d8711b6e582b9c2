"""The product catalogue: REFUNDS.md defaults and configured overrides."""

from collections.abc import Mapping
from decimal import Decimal

import pytest

from function_app.domain.kernel.catalogue import (
    DEFAULT_CATALOGUE,
    CatalogueError,
    ProductTerms,
    ProductType,
    RefundMethod,
    catalogue_from_overrides,
)

PRO_RATA, RULE_OF_78 = RefundMethod.PRO_RATA, RefundMethod.RULE_OF_78
PRODUCT_TYPES = "VSC, GAP, TIRE_WHEEL, PPM, APPEARANCE, KEY"
FIELDS = "method, free_look_days, cancellation_fee"


@pytest.mark.parametrize(
    ("product_type", "method", "free_look_days", "fee"),
    [
        (ProductType.VSC, PRO_RATA, 60, "50.00"),
        (ProductType.TIRE_WHEEL, PRO_RATA, 60, "50.00"),
        (ProductType.PPM, PRO_RATA, 60, "0.00"),
        (ProductType.APPEARANCE, PRO_RATA, 30, "25.00"),
        (ProductType.KEY, PRO_RATA, 30, "25.00"),
        (ProductType.GAP, RULE_OF_78, 30, "25.00"),
    ],
)
def test_default_catalogue_is_the_refunds_table(
    product_type: ProductType, method: RefundMethod, free_look_days: int, fee: str
) -> None:
    assert DEFAULT_CATALOGUE[product_type] == ProductTerms(method, free_look_days, Decimal(fee))


def test_default_catalogue_covers_every_product_type_and_is_read_only() -> None:
    assert set(DEFAULT_CATALOGUE) == set(ProductType)
    with pytest.raises(TypeError):
        DEFAULT_CATALOGUE[ProductType.GAP] = DEFAULT_CATALOGUE[ProductType.VSC]  # type: ignore[index]


def test_no_overrides_gives_the_defaults() -> None:
    assert catalogue_from_overrides({}) == DEFAULT_CATALOGUE


def test_an_override_replaces_only_the_fields_it_names() -> None:
    catalogue = catalogue_from_overrides(
        {"GAP": {"cancellation_fee": "40.00"}, "KEY": {"method": "RULE_OF_78", "free_look_days": 0}}
    )

    assert catalogue[ProductType.GAP] == ProductTerms(RULE_OF_78, 30, Decimal("40.00"))
    assert catalogue[ProductType.KEY] == ProductTerms(RULE_OF_78, 0, Decimal("25.00"))
    assert catalogue[ProductType.VSC] == DEFAULT_CATALOGUE[ProductType.VSC]
    assert DEFAULT_CATALOGUE[ProductType.GAP].cancellation_fee == Decimal("25.00")


@pytest.mark.parametrize("days", [0, 365])
def test_free_look_days_bounds_are_inclusive(days: int) -> None:
    catalogue = catalogue_from_overrides({"PPM": {"free_look_days": days}})

    assert catalogue[ProductType.PPM].free_look_days == days


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"LOAN": {}}, f"catalogue.LOAN: unknown product type, expected one of {PRODUCT_TYPES}"),
        ({"gap": {}}, f"catalogue.gap: unknown product type, expected one of {PRODUCT_TYPES}"),
        ({"KEY": 5}, "catalogue.KEY: expected an object of fields, got 5"),
        ({"GAP": {"fee": "1.00"}}, f"catalogue.GAP.fee: unknown field, expected one of {FIELDS}"),
        (
            {"VSC": {"method": "PRORATA"}},
            "catalogue.VSC.method: expected one of PRO_RATA, RULE_OF_78, got 'PRORATA'",
        ),
        ({"VSC": {"method": None}}, "catalogue.VSC.method: expected one of PRO_RATA, RULE_OF_78, got None"),
        (
            {"PPM": {"free_look_days": 366}},
            "catalogue.PPM.free_look_days: expected an integer 0..365, got 366",
        ),
        ({"PPM": {"free_look_days": -1}}, "catalogue.PPM.free_look_days: expected an integer 0..365, got -1"),
        (
            {"PPM": {"free_look_days": "30"}},
            "catalogue.PPM.free_look_days: expected an integer 0..365, got '30'",
        ),
        (
            {"PPM": {"free_look_days": 30.0}},
            "catalogue.PPM.free_look_days: expected an integer 0..365, got 30.0",
        ),
        (
            {"PPM": {"free_look_days": True}},
            "catalogue.PPM.free_look_days: expected an integer 0..365, got True",
        ),
        (
            {"GAP": {"cancellation_fee": 25}},
            "catalogue.GAP.cancellation_fee: expected a decimal string with 2 places, got 25",
        ),
        (
            {"GAP": {"cancellation_fee": "25.0"}},
            "catalogue.GAP.cancellation_fee: expected a decimal string with 2 places, got '25.0'",
        ),
        (
            {"GAP": {"cancellation_fee": "25.000"}},
            "catalogue.GAP.cancellation_fee: expected a decimal string with 2 places, got '25.000'",
        ),
        (
            {"GAP": {"cancellation_fee": "-5.00"}},
            "catalogue.GAP.cancellation_fee: must not be negative, got '-5.00'",
        ),
    ],
)
def test_override_errors_name_the_product_type_and_field(
    overrides: Mapping[str, Mapping[str, object]], message: str
) -> None:
    with pytest.raises(CatalogueError) as raised:
        catalogue_from_overrides(overrides)

    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)
