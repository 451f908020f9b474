"""One training run: read → split → fit → evaluate against the alternatives → log → register."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import mlflow
import numpy as np
import pandas as pd
import tensorflow as tf

from models.architecture import build_model
from models.pyfunc import AppraiserModel
from models.schema import FeatureType, Schema
from training import plots
from training.ablations import Ablations
from training.compare import Comparison, Score, baseline_scores
from training.config import TrainConfig
from training.dataset import Dataset, DatasetError, read_dataset
from training.devices import choose_strategy, global_batch_size, precision
from training.metrics import price_metrics
from training.prepare import Split, Splits, prepare_splits
from training.tracking import configure_tracking, experiment_id, log_model, promote_if_better
from training.trainer import fit, predict_prices

JOINT = "joint model"
MIN_ROWS = 20  # fewer usable rows cannot fill a train, a validation and a test split


@dataclass
class TrainResult:
    """What a run produced; `summary()` is the JSON line `appraise train` prints."""

    run_id: str
    model_uri: str
    registered_version: str
    champion: bool
    champion_reason: str
    metrics: dict[str, float]
    comparison: Comparison = field(default_factory=Comparison)
    seconds: float = 0.0
    fit_seconds: float = 0.0  # building and fitting the joint model (beside the ablations)

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model_uri": self.model_uri,
            "registered_version": self.registered_version,
            "champion": self.champion,
            "metrics": self.metrics,
        }


def seed_everything(seed: int) -> None:
    """Python, NumPy and TensorFlow seeds, and deterministic kernels: same config, same metrics."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def train(folder: Path, config: TrainConfig, verbose: int | str = "auto") -> TrainResult:
    """Train, evaluate and log one model on the dataset in `folder`."""
    start = time.perf_counter()
    seed_everything(config.seed)
    dataset = read_dataset(folder)
    if dataset.report.usable < MIN_ROWS:
        raise DatasetError(
            f"{folder}: {dataset.report.usable} usable rows; training needs at least {MIN_ROWS}"
        )
    schema = dataset.schema
    splits = prepare_splits(dataset, config, progress=verbose != 0)
    model, history, comparison, fit_seconds = _train_and_compare(schema, splits, config, verbose)
    test_prices = predict_prices(model, splits.test, schema)
    y_test = splits.test.frame[schema.target].to_numpy(dtype="float64")
    metrics = price_metrics(y_test, *test_prices.T)
    comparison.scores.insert(0, Score(JOINT, "joint", metrics))
    configure_tracking()
    with mlflow.start_run(experiment_id=experiment_id(config.experiment)) as run:
        _log_run(dataset, config, history, comparison)
        mlflow.log_metric("fit_seconds", fit_seconds)
        _log_plots(schema, splits.test, test_prices, history)
        mlflow.log_text(_summary_text(model), "model_summary.txt")
        info = log_model(model, schema, _example(dataset, splits.train), config.model_name)
        version = str(info.registered_model_version)
        champion, reason = promote_if_better(
            config.model_name,
            version,
            metrics["rmsle"],
            lambda uri: score_on(uri, dataset, splits.test),
        )
        mlflow.set_tags({"champion": str(champion), "champion_reason": reason})
    uri = f"models:/{config.model_name}/{version}"
    seconds = time.perf_counter() - start
    return TrainResult(
        run.info.run_id, uri, version, champion, reason, metrics, comparison, seconds, fit_seconds
    )


def _train_and_compare(
    schema: Schema, splits: Splits, config: TrainConfig, verbose: int | str
) -> tuple[keras.Model, dict[str, list[float]], Comparison, float]:
    """The joint model fitted while the ablations train beside it; its build and fit seconds."""
    strategy = choose_strategy(config.strategy)
    start = time.perf_counter()
    with precision(config.mixed_precision), strategy.scope():
        model = build_model(schema, config.model, splits.train.frame, seed=config.seed)
    seconds = time.perf_counter() - start
    comparison = Comparison()  # the joint model's own score is added by the caller
    # Built after the joint model, so that its starting weights are those of a run without them.
    ablations = Ablations(schema, splits, config, progress=verbose != 0) if config.compare else None
    with ablations or contextlib.nullcontext():
        start = time.perf_counter()
        with precision(config.mixed_precision), strategy.scope():
            batch_size = global_batch_size(config.batch_size, strategy)
            history = fit(model, splits.train, splits.val, schema, config, verbose, batch_size)
        seconds += time.perf_counter() - start
        if ablations:
            comparison = ablations.comparison()
            comparison.scores[:0] = baseline_scores(schema, splits)
    return model, history, comparison, seconds


def score_on(model_uri: str, dataset: Dataset, split: Split) -> float | None:
    """Another logged model's test RMSLE on this split; None when its schema differs."""
    wrapper = mlflow.pyfunc.load_model(model_uri).unwrap_python_model()
    if (
        not isinstance(wrapper, AppraiserModel)
        or wrapper.schema.features != dataset.schema.features
    ):
        return None
    scored = wrapper.predict_frame(split.frame, dataset.folder)
    return price_metrics(split.frame[dataset.schema.target], scored["price"])["rmsle"]


def _log_run(
    dataset: Dataset, config: TrainConfig, history: dict[str, list[float]], comparison: Comparison
) -> None:
    mlflow.log_params(config.flat_params())
    mlflow.log_params(
        {
            "data.folder": str(dataset.folder),
            "data.rows": dataset.report.rows,
            "data.usable": dataset.report.usable,
        }
    )
    for key, values in history.items():
        for epoch, value in enumerate(values):
            mlflow.log_metric(f"epoch_{key}", value, step=epoch)
    for score in comparison.scores:
        prefix = "test" if score.kind == "joint" else f"compare.{_slug(score.name)}"
        mlflow.log_metrics({f"{prefix}.{k}": v for k, v in score.metrics.items()})
    mlflow.log_text(comparison.table(), "comparison.md")
    if comparison.fusion_weights:
        mlflow.log_dict(comparison.fusion_weights, "late_fusion_weights.json")
    noise = dataset.folder / "dataset.json"
    if noise.is_file():
        mlflow.log_dict(json.loads(noise.read_text()), "dataset.json")


def _log_plots(
    schema: Schema, test: Split, prices: np.ndarray, history: dict[str, list[float]]
) -> None:
    actual = test.frame[schema.target].to_numpy(dtype="float64")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        plots.learning_curves(history, out / "learning_curves.png")
        plots.predicted_vs_actual(actual, prices, out / "predicted_vs_actual.png")
        plots.range_calibration(actual, prices, out / "range_calibration.png")
        for feature in schema.of_type(FeatureType.CATEGORY)[:1]:
            groups = test.frame[feature.name].rename(feature.name)
            plots.residuals_by_group(
                groups, actual, prices[:, 0], out / f"residuals_by_{feature.name}.png"
            )
        mlflow.log_artifacts(tmp, "plots")


def _example(dataset: Dataset, train: Split) -> pd.DataFrame:
    """Two raw training rows, photos inlined as base64 so the example stands on its own."""
    rows = train.frame[[f.name for f in dataset.schema.features]].head(2).copy()
    for feature in dataset.schema.of_type(FeatureType.IMAGE):
        rows[feature.name] = [
            base64.b64encode((dataset.folder / p).read_bytes()).decode() if p else ""
            for p in rows[feature.name]
        ]
    return rows.reset_index(drop=True)


def _summary_text(model: keras.Model) -> str:
    buffer = io.StringIO()
    model.summary(print_fn=lambda line, **_: buffer.write(line + "\n"), expand_nested=True)
    return buffer.getvalue()


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")
