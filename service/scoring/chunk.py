"""One chunk of raw input rows → its output rows, through the service's predictor.

Both engines call this, so a row gets the same price and the same error text locally and on
Spark. Rows that cannot be scored get their reason in `error`; the others an empty `error`.
Explaining adds the columns of models.explain_columns after `error`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from models.explain_columns import explanation_frame
from models.inputs import PreparedListing
from models.predictions import PRICE_COLUMNS
from service.inference.listing import InputError
from service.inference.predictor import Predictor, PriceEstimate
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
    explain_k: int | None = None,
) -> pd.DataFrame:
    """Score the rows of `frame` (raw columns) in order; `first_row` numbers them from 1."""
    prepared = prepare_chunk(predictor, frame, root, mapper)
    return finish_chunk(predictor, frame, key, first_row, prepared, explain_k)


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
    explain_k: int | None = None,
) -> pd.DataFrame:
    """The forward passes over a prepared chunk, and its output rows; with `explain_k`, each
    row's explanation with that many comparables."""
    if explain_k is None:
        out = _prices(predictor, prepared)
    else:
        out = _explanations(predictor, prepared, explain_k)
    out.insert(0, key, keys(frame, key, first_row).to_numpy())
    return out


def _prices(predictor: Predictor, prepared: list[PreparedListing | InputError]) -> pd.DataFrame:
    results = predictor.forward_prepared(prepared)
    prices = [
        (r.price, r.low, r.high) if isinstance(r, PriceEstimate) else _NO_PRICE for r in results
    ]
    out = pd.DataFrame(prices, columns=list(PRICE_COLUMNS), dtype="float64")
    out["error"] = pd.Series(
        ["" if isinstance(r, PriceEstimate) else str(r) for r in results], dtype=object
    )
    return out


def _explanations(
    predictor: Predictor, prepared: list[PreparedListing | InputError], k: int
) -> pd.DataFrame:
    good = [p for p in prepared if isinstance(p, PreparedListing)]
    explained = predictor.explain_prepared(good, k)
    assert predictor.explainer is not None  # explain_prepared refuses a model without one
    reasons = [str(p) if isinstance(p, InputError) else p for p in prepared]
    return explanation_frame(predictor.explainer, reasons, explained)
