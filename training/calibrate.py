"""Range calibration in training: held-out quantiles → conformal shifts → scores and the model.

The maths is `models.calibration`; here the shifts are fitted on the rows a run held out
(its calibration split, or in a cross-validation the other folds' test rows), each contender's
range metrics are recomputed with them, and the model to register stores them.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from models.architecture import OUTPUT
from models.calibration import apply_shifts, conformal_shifts
from models.predictions import quantiles_to_prices
from training.compare import Comparison
from training.metrics import price_metrics

UNCALIBRATED = ("coverage", "range_width")  # kept beside the calibrated ones as `*_uncalibrated`


def shifts_from(
    quantiles: dict[str, np.ndarray], log_price: np.ndarray, levels: Sequence[float]
) -> dict[str, np.ndarray]:
    """Each contender's conformal shifts from its raw quantiles on held-out rows."""
    return {name: conformal_shifts(q, log_price, levels) for name, q in quantiles.items()}


def calibrate_scores(
    comparison: Comparison, shifts: dict[str, np.ndarray], actual: np.ndarray, median: int
) -> None:
    """Recompute each range contender's test metrics with its calibrated range, in place."""
    for name, raw in comparison.quantiles.items():
        if name not in shifts:
            continue
        score = comparison.get(name)
        prices = quantiles_to_prices(calibrated(raw, shifts[name], median), median)
        metrics = price_metrics(actual, *prices.T)
        metrics.update({f"{k}_uncalibrated": score.metrics[k] for k in UNCALIBRATED})
        score.metrics = metrics


def calibrated(quantiles: np.ndarray, shifts: np.ndarray, median: int) -> np.ndarray:
    """Raw quantiles moved as the model's calibration layer moves them."""
    return np.asarray(keras.ops.convert_to_numpy(apply_shifts(quantiles, shifts, median)))


def store_shifts(model: keras.Model, shifts: np.ndarray) -> None:
    """Save the calibration inside the model, so every path that runs it gives the same range."""
    model.get_layer(OUTPUT).set_shifts(shifts)
