"""Every contender trained and scored on one split: the joint model, the ablations, the baselines.

The same unit serves a holdout run (one split, with calibration rows) and each fold of a
cross-validation (`training.crossval`). Scores here are of the raw ranges; `training.calibrate`
replaces them by those of the calibrated ranges once the calibration is known.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from models.architecture import build_model
from models.predictions import median_index, quantiles_to_prices
from models.schema import Schema
from training.ablations import Ablations
from training.compare import JOINT, Comparison, Score, baseline_scores
from training.config import TrainConfig
from training.devices import choose_strategy, global_batch_size, precision
from training.metrics import price_metrics
from training.multi_worker import local_copy, require_same_inputs, require_same_model
from training.prepare import Split, Splits
from training.trainer import fit, predict_quantiles


@dataclass
class Contest:
    """The fitted joint model and every contender's test scores on one split."""

    model: keras.Model
    history: dict[str, list[float]]
    comparison: Comparison
    calibration: dict[str, np.ndarray]  # raw quantiles on the calibration rows, per contender
    fit_seconds: float  # building and fitting the joint model


def run_contest(schema: Schema, splits: Splits, config: TrainConfig, verbose: int | str) -> Contest:
    """Fit the joint model while the ablations (when `config.compare`) train beside it."""
    model, history, ablations, seconds = _fit(schema, splits, config, verbose)
    test = predict_quantiles(model, splits.test, schema)
    actual = splits.test.frame[schema.target].to_numpy(dtype="float64")
    joint = Score(JOINT, "joint", price_metrics(actual, *_prices(test, model).T))
    comparison = ablations.comparison() if ablations else Comparison()
    baselines = baseline_scores(schema, splits, config.model.tabular.max_categories)
    comparison.scores[:0] = [joint, *baselines]
    comparison.quantiles[JOINT] = test
    calibration = dict(ablations.calibration) if ablations else {}
    if splits.calibration is not None:
        calibration[JOINT] = predict_quantiles(model, splits.calibration, schema)
    return Contest(model, history, comparison, calibration, seconds)


def fit_joint(
    schema: Schema, train: Split, val: Split, config: TrainConfig, verbose: int | str
) -> tuple[keras.Model, dict[str, list[float]], float]:
    """Only the joint model, fitted on `train` (early stopping on `val`), and its seconds."""
    alone = config.model_copy(update={"compare": False})
    model, history, _, seconds = _fit(schema, Splits(train, val, val), alone, verbose)
    return model, history, seconds


def _fit(
    schema: Schema, splits: Splits, config: TrainConfig, verbose: int | str
) -> tuple[keras.Model, dict[str, list[float]], Ablations | None, float]:
    """The fitted joint model, its history, the trained ablations and the joint model's seconds."""
    strategy = choose_strategy(config.strategy)
    across_workers = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
    if across_workers:
        frames = splits.train.frame, splits.val.frame
        require_same_inputs(strategy, config.model_dump_json(), *frames)
    start = time.perf_counter()
    with precision(config.mixed_precision), strategy.scope():
        model = build_model(schema, config.model, splits.train.frame, seed=config.seed)
    if across_workers:
        require_same_model(model)
    seconds = time.perf_counter() - start
    # Built after the joint model, so that its starting weights are those of a run without them.
    ablations = Ablations(schema, splits, config, progress=verbose != 0) if config.compare else None
    with ablations or contextlib.nullcontext():
        start = time.perf_counter()
        with precision(config.mixed_precision), strategy.scope():
            batch_size = global_batch_size(config.batch_size, strategy)
            history = fit(model, splits.train, splits.val, schema, config, verbose, batch_size)
        # The rest of the run needs no other worker (training.multi_worker), and predicts on one
        # device: Keras splits each predicted batch over the replicas, and a last batch with
        # fewer rows than replicas leaves one empty, which batch normalisation rejects.
        if across_workers or strategy.num_replicas_in_sync > 1:
            model = local_copy(model)
        seconds += time.perf_counter() - start
    return model, history, ablations, seconds


def _prices(quantiles: np.ndarray, model: keras.Model) -> np.ndarray:
    return quantiles_to_prices(quantiles, median_index(model))
