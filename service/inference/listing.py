"""One raw listing → a prepared listing (`models.inputs`), or an InputError that says how the
HTTP layer answers it (422, 413 or 415) and names the field and its limits."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from models.features import PhotoTooLargeError, PhotoUndecodableError
from models.inputs import PreparedListing, prepare_listing
from models.schema import Feature, FeatureType, Schema
from models.validation import FieldError

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


def feature_limits(feature: Feature) -> Limits:
    """The limits a value of `feature` must keep, as named in error messages."""
    match feature.type:
        case FeatureType.IMAGE:
            return {"max_bytes": feature.max_bytes, "max_pixels": feature.max_pixels}
        case FeatureType.CATEGORY | FeatureType.TEXT:
            return {"max_chars": feature.max_chars}
    bounds = {"min": feature.min, "max": feature.max}
    whole = feature.type == FeatureType.INTEGER
    return {k: int(v) if whole else v for k, v in bounds.items() if v is not None}


def prepare(
    schema: Schema, photo_sizes: Mapping[str, int], listing: Mapping[str, Any], root: Path | None
) -> PreparedListing:
    """Check one listing and decode its photos; raises InputError on the first bad field.

    Photos may be bytes, base64 text, or (only when `root` is given) a path under `root`.
    """
    try:
        return prepare_listing(schema, listing, photo_sizes, root)
    except FieldError as exc:
        limits = feature_limits(schema.feature(exc.field))
        raise InputError(exc.field, exc.problem, _kind(exc.__cause__), limits) from None


def _kind(cause: BaseException | None) -> ErrorKind:
    """How the HTTP layer answers: 413 for oversized photos, 415 for undecodable, else 422."""
    if isinstance(cause, PhotoTooLargeError):
        return "too_large"
    if isinstance(cause, PhotoUndecodableError):
        return "unsupported"
    return "invalid"
