"""One raw listing → typed values and decoded photos; a group of them → padded model inputs.

Validation is `models.validation` and decoding is `models.inputs` (the one decode path), so a
listing means the same to the service and the batch scorer as it did to training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from models.features import PhotoTooLargeError, PhotoUndecodableError
from models.predictions import prepare_row
from models.schema import Feature, FeatureType, Schema
from models.validation import FieldError, Value

ErrorKind = Literal["invalid", "too_large", "unsupported"]
Limits = dict[str, float | int]


class InputError(ValueError):
    """A listing value the model cannot use: which field, what is wrong, the limits it broke."""

    def __init__(self, field: str, problem: str, kind: ErrorKind, limits: Limits) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.kind = kind
        self.limits = limits


@dataclass(frozen=True)
class PreparedListing:
    """A listing ready for the forward pass: typed values and one decoded photo per image."""

    values: dict[str, Value]
    photos: dict[str, np.ndarray]


def feature_limits(feature: Feature) -> Limits:
    """The limits a value of `feature` must keep, as named in error messages."""
    match feature.type:
        case FeatureType.IMAGE:
            return {"max_bytes": feature.max_bytes, "max_pixels": feature.max_pixels}
        case FeatureType.CATEGORY | FeatureType.TEXT:
            return {"max_chars": feature.max_chars}
    bounds = {"min": feature.min, "max": feature.max}
    return {k: v for k, v in bounds.items() if v is not None}


def prepare_listing(
    schema: Schema, photo_sizes: Mapping[str, int], listing: Mapping[str, Any], root: Path | None
) -> PreparedListing:
    """Validate one listing and decode its photos; raises InputError on the first bad field.

    Photos may be bytes, base64 text, or (only when `root` is given) a path under `root`.
    """
    try:
        values, photos = prepare_row(schema, listing, photo_sizes, root)
    except FieldError as exc:
        limits = feature_limits(schema.feature(exc.field))
        raise InputError(exc.field, exc.problem, _kind(exc.__cause__), limits) from None
    return PreparedListing(values, photos)


def _kind(cause: BaseException | None) -> ErrorKind:
    """How the HTTP layer answers: 413 for oversized photos, 415 for undecodable, else 422."""
    if isinstance(cause, PhotoTooLargeError):
        return "too_large"
    if isinstance(cause, PhotoUndecodableError):
        return "unsupported"
    return "invalid"


def batch_arrays(
    schema: Schema, photo_sizes: Mapping[str, int], rows: Sequence[PreparedListing], size: int
) -> dict[str, np.ndarray | list[str]]:
    """Column arrays of `rows`, padded with neutral values to exactly `size` rows.

    Padding rows are scored and thrown away; a few fixed sizes mean every shape the forward
    pass sees was warmed before the service said it was ready.
    """
    if len(rows) > size:
        raise ValueError(f"{len(rows)} rows do not fit a batch of {size}")
    return {f.name: _column(f, photo_sizes.get(f.name, 0), rows, size) for f in schema.features}


def _column(
    feature: Feature, side: int, rows: Sequence[PreparedListing], size: int
) -> np.ndarray | list[str]:
    name, pad = feature.name, size - len(rows)
    if feature.type == FeatureType.IMAGE:
        images = np.zeros((size, side, side, 3), dtype=np.uint8)
        for i, row in enumerate(rows):
            images[i] = row.photos[name]
        return images
    values = [r.values[name] for r in rows]
    if feature.type == FeatureType.INTEGER:
        fill = int(feature.min or 0)  # a value inside the one-hot range
        ints = [fill if v is None else v for v in values]
        return np.asarray(ints + [fill] * pad, dtype=np.int64)
    if feature.type == FeatureType.NUMBER:
        nums = [np.nan if v is None else v for v in values]  # as pandas gives the pyfunc model
        return np.asarray(nums + [0.0] * pad, dtype=np.float32)
    return ["" if v is None else str(v) for v in values] + [""] * pad
