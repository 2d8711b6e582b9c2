"""The product catalogue: how each product type earns and what cancelling it costs."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import TypeAlias, TypeVar

from function_app.domain.kernel.money import parse_money

MAX_FREE_LOOK_DAYS = 365

_T = TypeVar("_T")


class RefundMethod(StrEnum):
    PRO_RATA = "PRO_RATA"
    RULE_OF_78 = "RULE_OF_78"


class ProductType(StrEnum):
    VSC = "VSC"
    GAP = "GAP"
    TIRE_WHEEL = "TIRE_WHEEL"
    PPM = "PPM"
    APPEARANCE = "APPEARANCE"
    KEY = "KEY"


@dataclass(frozen=True)
class ProductTerms:
    method: RefundMethod
    free_look_days: int
    cancellation_fee: Decimal


Catalogue: TypeAlias = Mapping[ProductType, ProductTerms]

DEFAULT_CATALOGUE: Catalogue = MappingProxyType(
    {
        ProductType.VSC: ProductTerms(RefundMethod.PRO_RATA, 60, Decimal("50.00")),
        ProductType.TIRE_WHEEL: ProductTerms(RefundMethod.PRO_RATA, 60, Decimal("50.00")),
        ProductType.PPM: ProductTerms(RefundMethod.PRO_RATA, 60, Decimal("0.00")),
        ProductType.APPEARANCE: ProductTerms(RefundMethod.PRO_RATA, 30, Decimal("25.00")),
        ProductType.KEY: ProductTerms(RefundMethod.PRO_RATA, 30, Decimal("25.00")),
        ProductType.GAP: ProductTerms(RefundMethod.RULE_OF_78, 30, Decimal("25.00")),
    }
)

_FIELDS = ("method", "free_look_days", "cancellation_fee")
_METHODS = {method.value: method for method in RefundMethod}


class CatalogueError(ValueError):
    """A configured override is unusable; the message names the product type and the field."""


def catalogue_from_overrides(
    overrides: Mapping[str, Mapping[str, object]],
) -> dict[ProductType, ProductTerms]:
    """The default catalogue with configured fields replaced; unspecified fields keep their default."""
    catalogue = dict(DEFAULT_CATALOGUE)
    for name, fields in overrides.items():
        product_type = _product_type(name)
        catalogue[product_type] = _overridden(catalogue[product_type], f"catalogue.{name}", fields)
    return catalogue


def _product_type(name: str) -> ProductType:
    try:
        return ProductType(name)
    except ValueError:
        expected = ", ".join(ProductType)
        raise CatalogueError(f"catalogue.{name}: unknown product type, expected one of {expected}") from None


def _overridden(defaults: ProductTerms, where: str, fields: Mapping[str, object]) -> ProductTerms:
    if not isinstance(fields, Mapping):
        raise CatalogueError(f"{where}: expected an object of fields, got {fields!r}")
    for key in fields:
        if key not in _FIELDS:
            raise CatalogueError(f"{where}.{key}: unknown field, expected one of {', '.join(_FIELDS)}")
    return ProductTerms(
        method=_pick(fields, where, "method", _method, defaults.method),
        free_look_days=_pick(fields, where, "free_look_days", _free_look_days, defaults.free_look_days),
        cancellation_fee=_pick(fields, where, "cancellation_fee", _fee, defaults.cancellation_fee),
    )


def _pick(
    fields: Mapping[str, object], where: str, key: str, parse: Callable[[str, object], _T], default: _T
) -> _T:
    return parse(f"{where}.{key}", fields[key]) if key in fields else default


def _method(where: str, value: object) -> RefundMethod:
    method = _METHODS.get(value) if isinstance(value, str) else None
    if method is None:
        raise CatalogueError(f"{where}: expected one of {', '.join(_METHODS)}, got {value!r}")
    return method


def _free_look_days(where: str, value: object) -> int:
    # bool is an int subclass, but `true` in configuration is a mistake, not one day
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FREE_LOOK_DAYS:
        raise CatalogueError(f"{where}: expected an integer 0..{MAX_FREE_LOOK_DAYS}, got {value!r}")
    return value


def _fee(where: str, value: object) -> Decimal:
    if isinstance(value, str) and value.startswith("-") and parse_money(value[1:]) is not None:
        raise CatalogueError(f"{where}: must not be negative, got {value!r}")
    fee = parse_money(value) if isinstance(value, str) else None
    if fee is None:
        raise CatalogueError(f"{where}: expected a decimal string with 2 places, got {value!r}")
    return fee
