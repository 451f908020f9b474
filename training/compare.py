"""The evidence: the joint model beside baselines, single-branch ablations and late fusion.

The ablations (`training.ablations`) train each kind of branch alone with the same trainer; late
fusion averages their predictions (plainly, and with convex weights fitted on validation) — the
approach the joint model must beat because it cannot see what the inputs say together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from models.architecture import TABULAR_TYPES
from models.schema import FeatureType, Schema
from training.baselines import LinearBaseline, category_median, global_median
from training.metrics import price_metrics
from training.prepare import Splits

JOINT = "joint model"
LINEAR = "linear (TF-IDF + one-hot)"
METRIC_COLUMNS = ("rmsle", "mae", "mape", "mdape", "r2", "coverage", "range_width")


@dataclass
class Score:
    """One model's test metrics (means over folds, with their spread, when cross-validated)."""

    name: str
    kind: str
    metrics: dict[str, float]
    spread: dict[str, float] = field(default_factory=dict)  # standard deviation over folds


@dataclass
class Comparison:
    """All contenders on the same test rows, plus the fitted late-fusion weights.

    `quantiles` keeps the test log-price quantiles of each contender that predicts a range, so
    a cross-validation can calibrate each fold's range on the other folds (`training.crossval`).
    """

    scores: list[Score] = field(default_factory=list)
    fusion_weights: dict[str, float] = field(default_factory=dict)
    quantiles: dict[str, np.ndarray] = field(default_factory=dict)

    def table(self) -> str:
        """A Markdown table, best RMSLE first; `mean ± sd` cells when cross-validated."""
        head = "| model | kind | " + " | ".join(METRIC_COLUMNS) + " |"
        rule = "| --- | --- |" + " ---: |" * len(METRIC_COLUMNS)
        lines = [head, rule]
        for s in sorted(self.scores, key=lambda s: s.metrics["rmsle"]):
            cells = [
                _cell(name, s.metrics.get(name), s.spread.get(name)) for name in METRIC_COLUMNS
            ]
            lines.append(f"| {s.name} | {s.kind} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def get(self, name: str) -> Score:
        return next(s for s in self.scores if s.name == name)


def _cell(name: str, value: float | None, spread: float | None = None) -> str:
    if value is None:
        return "n/a"
    text = _number(name, value)
    return text if spread is None else f"{text} ± {_number(name, spread)}"


def _number(name: str, value: float) -> str:
    if name in ("mape", "mdape"):
        return f"{value:.2f}%"
    if name == "mae":
        return f"{value:,.2f}"
    return f"{value:.4f}"


def fold_table(folds: list[Comparison], metric: str = "rmsle") -> str:
    """One row per contender that has `metric`, one column per fold: every fold's figure."""
    ranked = sorted(folds[0].scores, key=lambda s: s.metrics["rmsle"])
    names = [s.name for s in ranked if metric in s.metrics]
    head = f"| {metric} | " + " | ".join(f"fold {i + 1}" for i in range(len(folds))) + " |"
    lines = [head, "| --- |" + " ---: |" * len(folds)]
    for name in names:
        cells = [_number(metric, fold.get(name).metrics[metric]) for fold in folds]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mean_over_folds(folds: list[Comparison]) -> Comparison:
    """Each contender's mean metrics over the folds, with their standard deviation."""
    scores = []
    for first in folds[0].scores:
        each = [fold.get(first.name).metrics for fold in folds]
        keys = [k for k in first.metrics if all(k in m for m in each)]
        values = {k: np.array([m[k] for m in each]) for k in keys}
        mean = {k: float(v.mean()) for k, v in values.items()}
        spread = {k: float(v.std(ddof=1)) for k, v in values.items()}
        scores.append(Score(first.name, first.kind, mean, spread))
    return Comparison(scores)


def modality_schemas(schema: Schema) -> dict[str, Schema]:
    """The schema cut into its kinds of branch: tabular, text, photo (only those present)."""
    groups = {
        "tabular": [f for f in schema.features if f.type in TABULAR_TYPES],
        "text": schema.of_type(FeatureType.TEXT),
        "photo": schema.of_type(FeatureType.IMAGE),
    }
    return {
        name: schema.model_copy(update={"features": tuple(features)})
        for name, features in groups.items()
        if features
    }


def baseline_scores(
    schema: Schema, splits: Splits, max_categories: int | None = None
) -> list[Score]:
    """Global median, per-category median, and the linear model (`max_categories`: as the
    model's `tabular.max_categories`)."""
    train, test = splits.train.frame, splits.test.frame
    y = test[schema.target]
    scores = [
        Score("global median", "baseline", price_metrics(y, global_median(train, test, schema)))
    ]
    for feature in schema.of_type(FeatureType.CATEGORY):
        prices = category_median(train, test, schema, feature.name)
        scores.append(Score(f"median per {feature.name}", "baseline", price_metrics(y, prices)))
    linear = LinearBaseline(schema, max_categories).fit(train)
    scores.append(Score(LINEAR, "baseline", price_metrics(y, linear.predict(test))))
    return scores


def late_fusion(
    val_logs: dict[str, np.ndarray],
    test_logs: dict[str, np.ndarray],
    val_target: np.ndarray,
    y_test: np.ndarray,
) -> tuple[list[Score], dict[str, float]]:
    """Single-branch log prices averaged plainly and with weights fitted on validation."""
    names = list(val_logs)
    weights = convex_weights(np.stack([val_logs[n] for n in names], 1), val_target)
    stacked = np.stack([test_logs[n] for n in names], 1)
    plain, weighted = np.exp(stacked.mean(axis=1)), np.exp(stacked @ weights)
    scores = [
        Score("late fusion: average", "late fusion", price_metrics(y_test, plain)),
        Score("late fusion: weighted", "late fusion", price_metrics(y_test, weighted)),
    ]
    return scores, dict(zip(names, map(float, weights), strict=True))


def convex_weights(predictions: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to 1 that minimise squared error on `target`."""
    k = predictions.shape[1]
    result = minimize(
        lambda w: float(np.mean((predictions @ w - target) ** 2)),
        np.full(k, 1.0 / k),
        method="SLSQP",
        bounds=[(0.0, 1.0)] * k,
        constraints=[{"type": "eq", "fun": lambda w: float(np.sum(w) - 1.0)}],
    )
    return np.asarray(result.x)
