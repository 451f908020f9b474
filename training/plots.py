"""Figures a person would rather look at than read, saved as PNG for MLflow.

Figures are built without pyplot, so no display backend or global state is involved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def learning_curves(history: dict[str, list[float]], path: Path) -> Path:
    """Training and validation pinball loss per epoch."""
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for key in ("loss", "val_loss"):
        if key in history:
            ax.plot(range(1, len(history[key]) + 1), history[key], label=key)
    ax.set(xlabel="epoch", ylabel="pinball loss (log price)", title="Learning curves")
    ax.legend()
    return _save(fig, path)


def predicted_vs_actual(actual: np.ndarray, prices: np.ndarray, path: Path) -> Path:
    """Predicted median price against the actual price, log-log, with the 80% ranges."""
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    err = np.abs(np.stack([prices[:, 0] - prices[:, 1], prices[:, 2] - prices[:, 0]]))
    ax.errorbar(actual, prices[:, 0], yerr=err, fmt="o", ms=2, alpha=0.3, elinewidth=0.5)
    low, high = float(actual.min()), float(actual.max())
    ax.plot([low, high], [low, high], "k--", lw=1)
    ax.set(xscale="log", yscale="log", xlabel="actual price", ylabel="predicted price")
    ax.set_title("Predicted vs actual (test)")
    return _save(fig, path)


def residuals_by_group(
    groups: pd.Series, actual: np.ndarray, predicted: np.ndarray, path: Path
) -> Path:
    """Log residuals per category value (the 20 most frequent), to spot biased groups."""
    residual = pd.Series(np.log(predicted) - np.log(actual), index=groups.index)
    top = groups.value_counts().index[:20]
    data = [residual[groups == value].to_numpy() for value in top]
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    ax.boxplot(data, tick_labels=[str(v)[:14] for v in top], showfliers=False)
    ax.axhline(0, color="k", lw=0.8)
    ax.set(ylabel="log(predicted / actual)", title=f"Residuals by {groups.name}")
    ax.tick_params(axis="x", rotation=60)
    return _save(fig, path)


def range_calibration(actual: np.ndarray, prices: np.ndarray, path: Path) -> Path:
    """Share of prices below the low end, inside the range, and above the high end."""
    below = float(np.mean(actual < prices[:, 1]))
    above = float(np.mean(actual > prices[:, 2]))
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    ax.bar(["below low", "inside", "above high"], [below, 1 - below - above, above])
    ax.bar(
        ["below low", "inside", "above high"], [0.1, 0.8, 0.1], fill=False, ls="--", label="target"
    )
    ax.set(ylabel="share of test listings", title="Price range calibration")
    ax.legend()
    return _save(fig, path)


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
