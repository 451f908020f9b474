"""Checks on one raw value of one feature, shared by the dataset reader, the API and batch scoring.

Each check returns the typed value or raises `FieldError` naming the field, what is wrong with the
value and the limit it broke.
"""

from __future__ import annotations

import math

from models.schema import Feature, FeatureType

Value = str | int | float | None


class FieldError(ValueError):
    """A value that breaks its feature's rules; `field` names the column."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def is_empty(raw: object) -> bool:
    """None, NaN and blank strings all mean 'no value'."""
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and not raw.strip()


def parse_value(feature: Feature, raw: object) -> Value:
    """The typed value of `raw` for `feature`; empty optional values become None."""
    if is_empty(raw):
        if feature.is_required:
            raise FieldError(feature.name, "is required but empty")
        return None
    match feature.type:
        case FeatureType.INTEGER:
            return _parse_integer(feature, raw)
        case FeatureType.NUMBER:
            return _parse_number(feature, raw)
        case FeatureType.CATEGORY | FeatureType.TEXT | FeatureType.IMAGE:
            return _parse_text(feature, raw)
    raise FieldError(feature.name, f"has unknown type {feature.type!r}")  # pragma: no cover


def parse_price(column: str, raw: object) -> float:
    """A target price: a finite number above zero."""
    if is_empty(raw):
        raise FieldError(column, "is required but empty")
    value = _to_float(column, raw)
    if value <= 0:
        raise FieldError(column, f"must be above 0, got {value:g}")
    return value


def _to_float(field: str, raw: object) -> float:
    if isinstance(raw, bool):
        raise FieldError(field, f"must be a number, got {raw!r}")
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise FieldError(field, f"must be a number, got {str(raw)[:40]!r}") from None
    if not math.isfinite(value):
        raise FieldError(field, f"must be a finite number, got {value}")
    return value


def _check_range(feature: Feature, value: float) -> None:
    if feature.min is not None and value < feature.min:
        raise FieldError(feature.name, f"{value:g} is below the minimum {feature.min:g}")
    if feature.max is not None and value > feature.max:
        raise FieldError(feature.name, f"{value:g} is above the maximum {feature.max:g}")


def _parse_integer(feature: Feature, raw: object) -> int:
    value = _to_float(feature.name, raw)
    if not value.is_integer():
        raise FieldError(feature.name, f"must be a whole number, got {value:g}")
    _check_range(feature, value)
    return int(value)


def _parse_number(feature: Feature, raw: object) -> float:
    value = _to_float(feature.name, raw)
    _check_range(feature, value)
    return value


def _parse_text(feature: Feature, raw: object) -> str:
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise FieldError(feature.name, f"must be text, got {type(raw).__name__}")
    text = str(raw).strip()
    if len(text) > feature.max_chars:
        raise FieldError(
            feature.name, f"is {len(text)} characters long; the limit is {feature.max_chars}"
        )
    return text
