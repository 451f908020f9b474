"""From raw listing rows to prices: validation, photo decoding, forward pass, quantiles → prices.

Shared by the MLflow pyfunc wrapper, evaluation, the service predictor and the batch scorer, so
every path turns the same row into the same price.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.features import PhotoError
from models.inputs import decode_one, model_inputs
from models.layers import OrderedQuantiles
from models.schema import FeatureType, Schema
from models.validation import FieldError, parse_value

PRICE_COLUMNS = ("price", "price_low", "price_high")


@dataclass
class PreparedBatch:
    """Model inputs for the rows that passed, and an error message for each row that did not."""

    inputs: dict[str, Any]
    ok_rows: list[int]
    errors: list[str | None]


def prepare_rows(
    schema: Schema,
    rows: list[dict[str, Any]],
    sizes: dict[str, int],
    root: Path | None,
    mapper: Callable[..., Any] = map,
) -> PreparedBatch:
    """Validate and decode each row (through `mapper`, e.g. a thread pool's map)."""
    parsed = list(mapper(lambda row: _prepare_one(schema, row, sizes, root), rows))
    errors = [p if isinstance(p, str) else None for p in parsed]
    ok_rows = [i for i, p in enumerate(parsed) if not isinstance(p, str)]
    good = [parsed[i] for i in ok_rows]
    frame = pd.DataFrame([g[0] for g in good], columns=[f.name for f in schema.features])
    photos = {
        name: np.stack([g[1][name] for g in good])
        if good
        else np.zeros((0, size, size, 3), dtype=np.uint8)
        for name, size in sizes.items()
    }
    return PreparedBatch(model_inputs(schema, frame, photos), ok_rows, errors)


def _prepare_one(
    schema: Schema, row: dict[str, Any], sizes: dict[str, int], root: Path | None
) -> tuple[dict[str, Any], dict[str, np.ndarray]] | str:
    """Typed values and decoded photos of one row, or the reason it cannot be scored."""
    try:
        return prepare_row(schema, row, sizes, root)
    except FieldError as exc:
        return str(exc)


def prepare_row(
    schema: Schema, row: Mapping[str, Any], sizes: Mapping[str, int], root: Path | None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Typed values and decoded photos of one listing, in schema order; a missing photo is zeros.

    Raises FieldError on the first bad field; for a photo, the PhotoError that caused it is
    chained (`__cause__`), so callers can tell an oversized photo from an undecodable one.
    """
    values: dict[str, Any] = {}
    photos: dict[str, np.ndarray] = {}
    for feature in schema.features:
        raw = row.get(feature.name)
        if feature.type != FeatureType.IMAGE:
            values[feature.name] = parse_value(feature, raw)
            continue
        size = sizes[feature.name]
        try:
            pixels = decode_one(raw, feature, size, root)
        except PhotoError as exc:
            raise FieldError(feature.name, str(exc)) from exc
        photos[feature.name] = (
            pixels if pixels is not None else np.zeros((size, size, 3), dtype=np.uint8)
        )
        values[feature.name] = None
    return values, photos


def median_index(model: Any) -> int:
    """Which output column of a built or loaded model is the 0.5 quantile."""
    head = model.get_layer(index=-1)
    return int(head.median_index) if isinstance(head, OrderedQuantiles) else 1


def quantiles_to_prices(quantiles: np.ndarray, median_index: int) -> np.ndarray:
    """Sorted log-price quantiles → price (the median), low and high (outermost) columns."""
    q = np.asarray(quantiles, dtype="float64")
    median = q[:, median_index]
    prices: np.ndarray = np.exp(np.stack([median, q[:, 0], q[:, -1]], axis=1))
    return prices


def prices_frame(n_rows: int, batch: PreparedBatch, prices: np.ndarray) -> pd.DataFrame:
    """One output row per input row: prices where scored, the error message where not."""
    out = pd.DataFrame(np.nan, index=range(n_rows), columns=list(PRICE_COLUMNS))
    if batch.ok_rows:
        out.loc[batch.ok_rows, list(PRICE_COLUMNS)] = prices
    out["error"] = [e or "" for e in batch.errors]
    return out
