"""From the model's output to prices: quantiles of log price → price, low and high.

Shared by the MLflow pyfunc wrapper, evaluation, the service predictor and the batch scorer, so
every path turns the same output into the same price.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.layers import OrderedQuantiles

PRICE_COLUMNS = ("price", "price_low", "price_high")


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


def prices_frame(errors: Sequence[str | None], prices: np.ndarray) -> pd.DataFrame:
    """One output row per input row: prices where scored (in order), the error where not."""
    out = pd.DataFrame(np.nan, index=range(len(errors)), columns=list(PRICE_COLUMNS))
    scored = [i for i, e in enumerate(errors) if e is None]
    if scored:
        out.loc[scored, list(PRICE_COLUMNS)] = prices
    out["error"] = [e or "" for e in errors]
    return out
