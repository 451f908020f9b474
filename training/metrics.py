"""Price metrics: errors are measured on prices, the range on its coverage and width."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def price_metrics(
    actual: ArrayLike,
    predicted: ArrayLike,
    low: ArrayLike | None = None,
    high: ArrayLike | None = None,
) -> dict[str, float]:
    """RMSLE, MAE, MAPE, median APE and R² of predicted prices; range coverage and width."""
    y = np.asarray(actual, dtype="float64")
    p = np.asarray(predicted, dtype="float64")
    ape = np.abs(p - y) / y
    metrics = {
        "rmsle": float(np.sqrt(np.mean((np.log1p(p) - np.log1p(y)) ** 2))),
        "mae": float(np.mean(np.abs(p - y))),
        "mape": float(100 * np.mean(ape)),
        "mdape": float(100 * np.median(ape)),
        "r2": float(1 - np.sum((y - p) ** 2) / max(np.sum((y - y.mean()) ** 2), 1e-12)),
    }
    if low is not None and high is not None:
        lo = np.asarray(low, dtype="float64")
        hi = np.asarray(high, dtype="float64")
        metrics["coverage"] = float(np.mean((y >= lo) & (y <= hi)))
        metrics["range_width"] = float(np.mean((hi - lo) / p))
    return metrics
