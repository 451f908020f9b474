"""One chunk of raw input rows → its output rows, through the service's predictor.

Both engines call this, so a row gets the same price and the same error text locally and on
Spark. Rows that cannot be scored get their reason in `error`; the others an empty `error`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from models.inputs import PreparedListing
from service.inference.listing import InputError
from service.inference.predictor import Predictor, PriceEstimate
from service.scoring.output import output_columns
from service.scoring.source import keys, records

Mapper = Callable[..., Iterable[Any]]
_NO_PRICE = (math.nan, math.nan, math.nan)


def score_chunk(
    predictor: Predictor,
    frame: pd.DataFrame,
    key: str,
    first_row: int,
    root: Path,
    mapper: Mapper = map,
) -> pd.DataFrame:
    """Score the rows of `frame` (raw columns) in order; `first_row` numbers them from 1."""
    prepared = prepare_chunk(predictor, frame, root, mapper)
    return finish_chunk(predictor, frame, key, first_row, prepared)


def prepare_chunk(
    predictor: Predictor, frame: pd.DataFrame, root: Path, mapper: Mapper = map
) -> list[PreparedListing | InputError]:
    """Validate and decode the rows of `frame`: the half of scoring that runs in threads."""
    features = [f.name for f in predictor.schema.features]
    return predictor.prepare_many(records(frame, features), root, mapper)


def finish_chunk(
    predictor: Predictor,
    frame: pd.DataFrame,
    key: str,
    first_row: int,
    prepared: list[PreparedListing | InputError],
) -> pd.DataFrame:
    """The forward passes over a prepared chunk, and its output rows."""
    results = predictor.forward_prepared(prepared)
    prices = [
        (r.price, r.low, r.high) if isinstance(r, PriceEstimate) else _NO_PRICE for r in results
    ]
    out = pd.DataFrame(prices, columns=output_columns(key)[1:-1], dtype="float64")
    out.insert(0, key, keys(frame, key, first_row).to_numpy())
    out["error"] = pd.Series(
        ["" if isinstance(r, PriceEstimate) else str(r) for r in results], dtype=object
    )
    return out
