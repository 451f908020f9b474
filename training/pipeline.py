"""One training run: read → decode → judge (one split, or k folds) → log → register → champion."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import io
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import mlflow
import pandas as pd
import tensorflow as tf

from models.schema import FeatureType, Schema
from models.store import configure_tracking
from training import plots
from training.cluster import ClusterTask
from training.compare import Comparison, fold_table
from training.config import TrainConfig
from training.dataset import Dataset, DatasetError, read_dataset
from training.devices import device_names, join_cluster, require_devices
from training.evaluation import Evaluation, evaluate
from training.explanations import write_explanation
from training.prepare import Decoded, decode_dataset
from training.tracking import (
    FINGERPRINT,
    PROTOCOL,
    experiment_id,
    log_model,
    promote_if_better,
)

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
    fit_seconds: float = 0.0  # building and fitting the registered model (beside the ablations)
    protocol: str = "holdout"
    folds: list[Comparison] = field(default_factory=list)
    task: str = ""  # multi_worker: this process's task ("chief 0", "worker 1")
    devices: str = ""  # the devices the fits ran on, as TensorFlow names them

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "run_id": self.run_id,
            "model_uri": self.model_uri,
            "registered_version": self.registered_version,
            "champion": self.champion,
            "evaluation": self.protocol,
            "metrics": self.metrics,
            "seconds": round(self.seconds, 3),
            "fit_seconds": round(self.fit_seconds, 3),
            "devices": self.devices,
        }
        if self.task:
            summary["task"] = self.task
        return summary


def seed_everything(seed: int) -> None:
    """Python, NumPy and TensorFlow seeds, and deterministic kernels: same config, same metrics."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def train(folder: Path, config: TrainConfig, verbose: int | str = "auto") -> TrainResult:
    """Train, evaluate and log one model on the dataset in `folder`.

    Under `multi_worker`, every worker runs all of it but the MLflow part, which is the chief's.
    """
    start = time.perf_counter()
    task = join_cluster(config.strategy)  # before TensorFlow runs anything else
    require_devices(config.device)
    devices = ", ".join(device_names(config.strategy))
    seed_everything(config.seed)
    dataset = read_dataset(folder, features=config.features)
    if dataset.report.usable < MIN_ROWS:
        raise DatasetError(
            f"{folder}: {dataset.report.usable} usable rows; training needs at least {MIN_ROWS}"
        )
    decoded = decode_dataset(dataset, config, progress=verbose != 0)
    with contextlib.closing(decoded.store):  # a temporary store goes with the run
        judged = evaluate(dataset, decoded, config, verbose)
        if task is not None and not task.is_chief:
            left = _left_to_chief(task, judged, time.perf_counter() - start)
            return dataclasses.replace(left, devices=devices)
        run_id, version, champion, reason = _log_and_register(
            dataset, decoded, config, judged, task, devices
        )
    return TrainResult(
        run_id,
        f"models:/{config.model_name}/{version}",
        version,
        champion,
        reason,
        judged.metrics,
        judged.comparison,
        time.perf_counter() - start,
        judged.fit_seconds,
        judged.protocol,
        judged.folds,
        str(task or ""),
        devices,
    )


def _log_and_register(
    dataset: Dataset,
    decoded: Decoded,
    config: TrainConfig,
    judged: Evaluation,
    task: ClusterTask | None,
    devices: str,
) -> tuple[str, str, bool, str]:
    """Log the run and its model, register it, and move the champion alias if it earns it:
    the run id, the version, whether it became champion and why."""
    configure_tracking()
    with mlflow.start_run(experiment_id=experiment_id(config.experiment)) as run:
        _log_run(dataset, config, judged, task)
        mlflow.log_param("devices", devices)
        with tempfile.TemporaryDirectory() as tmp:
            explanation = write_explanation(
                Path(tmp), judged.model, dataset.schema, decoded, judged.train_frame
            )
            example = _example(dataset)
            info = log_model(judged.model, dataset.schema, example, config.model_name, explanation)
        version = str(info.registered_model_version)
        champion, reason = promote_if_better(
            config.model_name, version, judged.metrics["rmsle"], judged.score_champion
        )
        mlflow.set_tags({"champion": str(champion), "champion_reason": reason})
    return run.info.run_id, version, champion, reason


def _left_to_chief(task: ClusterTask, judged: Evaluation, seconds: float) -> TrainResult:
    """A worker's result: it trained its share and leaves logging and registering to the chief."""
    reason = f"{task} trained beside the chief; the chief logs, registers and moves the alias"
    return TrainResult(
        "",
        "",
        "",
        False,
        reason,
        judged.metrics,
        judged.comparison,
        seconds,
        judged.fit_seconds,
        judged.protocol,
        judged.folds,
        str(task),
    )


def _log_run(
    dataset: Dataset, config: TrainConfig, judged: Evaluation, task: ClusterTask | None
) -> None:
    mlflow.log_params(config.flat_params())
    if task is not None:
        mlflow.log_params(
            {
                "cluster.workers": task.workers,
                "cluster.replicas": task.replicas,
                "cluster.global_batch_size": config.batch_size * task.replicas,
                "cluster.logged_by": str(task),
            }
        )
    mlflow.log_params(
        {
            "data.folder": str(dataset.folder),
            "data.rows": dataset.report.rows,
            "data.usable": dataset.report.usable,
            FINGERPRINT: dataset.fingerprint(),
        }
    )
    mlflow.set_tag(PROTOCOL, judged.protocol)
    for key, values in judged.history.items():
        for epoch, value in enumerate(values):
            mlflow.log_metric(f"epoch_{key}", value, step=epoch)
    mlflow.log_metric("fit_seconds", judged.fit_seconds)
    for score in judged.comparison.scores:
        prefix = "test" if score.kind == "joint" else f"compare.{_slug(score.name)}"
        mlflow.log_metrics({f"{prefix}.{k}": v for k, v in score.metrics.items()})
        mlflow.log_metrics({f"{prefix}.{k}_sd": v for k, v in score.spread.items()})
    for i, fold in enumerate(judged.folds):
        for score in fold.scores:
            each = {f"fold.{_slug(score.name)}.{k}": v for k, v in score.metrics.items()}
            mlflow.log_metrics(each, step=i)
    mlflow.log_text(comparison_text(judged.comparison, judged.folds), "comparison.md")
    if judged.comparison.fusion_weights:
        mlflow.log_dict(judged.comparison.fusion_weights, "late_fusion_weights.json")
    noise = dataset.folder / "dataset.json"
    if noise.is_file():
        mlflow.log_dict(json.loads(noise.read_text()), "dataset.json")
    _log_plots(dataset.schema, judged)
    mlflow.log_text(_summary_text(judged.model), "model_summary.txt")


def comparison_text(comparison: Comparison, folds: list[Comparison]) -> str:
    """The comparison table, and with folds, every fold's RMSLE, MAPE and range coverage."""
    parts = [comparison.table()]
    for metric in ("rmsle", "mape", "coverage") if folds else ():
        parts += ["", fold_table(folds, metric)]
    return "\n".join(parts) + "\n"


def _log_plots(schema: Schema, judged: Evaluation) -> None:
    actual, prices = judged.actual, judged.prices
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        plots.learning_curves(judged.history, out / "learning_curves.png")
        plots.predicted_vs_actual(actual, prices, out / "predicted_vs_actual.png")
        plots.range_calibration(actual, prices, out / "range_calibration.png")
        for feature in schema.of_type(FeatureType.CATEGORY)[:1]:
            groups = judged.frame[feature.name].rename(feature.name)
            plots.residuals_by_group(
                groups, actual, prices[:, 0], out / f"residuals_by_{feature.name}.png"
            )
        mlflow.log_artifacts(tmp, "plots")


def _example(dataset: Dataset) -> pd.DataFrame:
    """Two raw rows, photos inlined as base64 so the example stands on its own."""
    rows = dataset.frame[[f.name for f in dataset.schema.features]].head(2).copy()
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
