"""Explanations of many listings as table columns: what the pyfunc model and the batch scorer
answer when asked to explain.

Columns beside price, price_low, price_high and error: `baseline_price`, one
`contribution_<feature>` per feature (in log price: they sum to log(price / baseline_price),
and exp() of one is its price ratio) and `comparable_ids` (a JSON list, nearest first).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.comparables import with_representation
from models.explainer import Explainer, Explanation
from models.inputs import PreparedListing, batch_inputs
from models.predictions import median_index, prices_frame, quantiles_to_prices

ROWS_PER_PASS = 1024  # coalition rows per forward pass: 64 listings of 4 features
CONTRIBUTION_PREFIX = "contribution_"
BASELINE, COMPARABLE_IDS = "baseline_price", "comparable_ids"


def explain_listings(
    keras_model: Any,
    explainer: Explainer,
    listings: Sequence[PreparedListing],
    photo_sizes: Mapping[str, int],
    k: int,
) -> list[Explanation]:
    """Each listing's explanation: its coalition rows through the model, many listings a pass."""
    joint = with_representation(keras_model)
    median = median_index(keras_model)
    per = explainer.rows_per_listing
    step = max(1, ROWS_PER_PASS // per)
    found: list[Explanation] = []
    for start in range(0, len(listings), step):
        chunk = listings[start : start + step]
        rows = [row for listing in chunk for row in explainer.rows(listing)]
        inputs = batch_inputs(explainer.schema, rows, photo_sizes, len(rows))
        if joint is None:
            quantiles, vectors = keras_model.predict(inputs, batch_size=len(rows), verbose=0), None
        else:
            quantiles, vectors = joint.predict(inputs, batch_size=len(rows), verbose=0)
        prices = quantiles_to_prices(quantiles, median)
        for i in range(len(chunk)):
            last = (i + 1) * per - 1
            own = None if vectors is None else vectors[last]
            log_prices = quantiles[i * per : last + 1, median]
            found.append(explainer.explain(log_prices, tuple(prices[last]), own, k))
    return found


def explanation_columns(explainer: Explainer) -> list[str]:
    """The columns `explanation_frame` adds after price, price_low, price_high and error."""
    contributions = [CONTRIBUTION_PREFIX + f.name for f in explainer.features]
    return [BASELINE, *contributions, COMPARABLE_IDS]


def explanation_frame(
    explainer: Explainer,
    prepared: Sequence[PreparedListing | str],
    explained: Sequence[Explanation],
) -> pd.DataFrame:
    """One row per input row: prices and explanation columns where explained, else the error."""
    errors = [p if isinstance(p, str) else None for p in prepared]
    prices = np.array([[e.price, e.low, e.high] for e in explained]).reshape(-1, 3)
    out = prices_frame(errors, prices)
    scored = [i for i, e in enumerate(errors) if e is None]
    out[BASELINE] = np.nan
    out.loc[scored, BASELINE] = [e.baseline_price for e in explained]
    for j, feature in enumerate(explainer.features):
        column = CONTRIBUTION_PREFIX + feature.name
        out[column] = np.nan
        out.loc[scored, column] = [e.contributions[j].log_price for e in explained]
    ids = [json.dumps([c.id for c in e.comparables]) for e in explained]
    out[COMPARABLE_IDS] = ""
    out.loc[scored, COMPARABLE_IDS] = ids
    return out
