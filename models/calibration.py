"""Conformal calibration of the predicted quantiles, so that "80%" holds on data we did not make.

Conformalised quantile regression (Romano, Patterson and Candès 2019), one quantile at a time:
on rows held out from training, each quantile's miss is scored (how far the price fell beyond
it), and the quantile is moved by the score that rank ⌈(n+1)τ⌉ reaches. On exchangeable data a
lower quantile τ is then undershot with probability at most τ, an upper one overshot with at most
1 - τ, so the 10%-90% range covers at least 80%, whatever the model learned. The median is left
alone: it is the price, not a bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from keras import ops


def conformal_shifts(
    quantiles: np.ndarray, log_price: np.ndarray, levels: Sequence[float]
) -> np.ndarray:
    """Per-quantile shifts in log price (0 for the median) from held-out rows.

    `quantiles` holds one column per level, for the rows whose true `log_price` is given.
    """
    q = np.asarray(quantiles, dtype="float64")
    y = np.asarray(log_price, dtype="float64")
    if len(y) == 0:
        return np.zeros(len(levels))
    shifts = np.zeros(len(levels))
    for k, level in enumerate(levels):
        if level == 0.5:
            continue
        if level < 0.5:  # scores: how far the price fell below the quantile
            shifts[k] = -_conformal_quantile(q[:, k] - y, 1.0 - level)
        else:  # how far it rose above
            shifts[k] = _conformal_quantile(y - q[:, k], level)
    return shifts


def _conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ⌈(n+1)·level⌉-th smallest score (the largest when that rank passes n)."""
    ordered = np.sort(scores)
    rank = math.ceil((len(ordered) + 1) * level)
    return float(ordered[min(rank, len(ordered)) - 1])


def apply_shifts(quantiles: Any, shifts: Any, median_index: int) -> Any:
    """Quantiles moved by `shifts`, each bound kept on its side of the median, still sorted.

    The one implementation: the model's `CalibratedQuantiles` layer calls it, and so does
    training when it scores a fold with the calibration of the other folds.
    """
    m = median_index
    median = quantiles[:, m : m + 1]
    moved = quantiles + ops.cast(shifts, quantiles.dtype)
    below = ops.minimum(moved[:, :m], median)
    above = ops.maximum(moved[:, m + 1 :], median)
    return ops.sort(ops.concatenate([below, median, above], axis=1), axis=1)
