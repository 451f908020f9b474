"""Fit one Keras model: AdamW (optionally averaged), pinball loss, LR schedule, early stopping.

A fit ends on its starting weights (for the joint model: the ridge regression its wide path
starts as) unless what it learned beats them on validation by more than one standard error,
and with a weight average, never on weights worse than the best plain epoch's. A model whose
photos join last is fitted twice, without and then with them (`ModelConfig.photos_last`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from models.architecture import photo_layers
from models.losses import PinballLoss
from models.predictions import median_index, quantiles_to_prices
from models.schema import Schema
from training.config import TrainConfig
from training.devices import build_before_distributed_fit
from training.multi_worker import (
    SameStatistics,
    backup_callbacks,
    fit_key,
    full_batches,
    is_multi_worker,
    predict_here,
    sharded,
    sharded_train,
    steps_note,
    validation_batch,
    worker_model,
)
from training.prepare import Split, tf_dataset

log = logging.getLogger(__name__)


def fit(
    model: keras.Model,
    train: Split,
    val: Split,
    schema: Schema,
    config: TrainConfig,
    verbose: int | str = "auto",
    batch_size: int | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> dict[str, list[float]]:
    """Train until validation loss stops improving; the best weights are kept.

    With `model.photos_last`, in two fits: everything but the photos (their gates closed and
    frozen), then everything; the second is kept only if it clearly beats the first.
    `batch_size` is the global batch (per-replica size times replicas); default the config's.
    `callbacks` come after the trainer's own.
    """
    photos = photo_layers(model) if config.model.photos_last else []
    if not photos:
        return _fit(model, train, val, schema, config, verbose, batch_size, callbacks)
    for layer in photos:
        layer.trainable = False
    first = _fit(model, train, val, schema, config, verbose, batch_size, callbacks)
    for layer in photos:
        layer.trainable = True
    second = _fit(model, train, val, schema, config, verbose, batch_size, callbacks)
    return {key: first[key] + second.get(key, []) for key in first}


def _fit(
    model: keras.Model,
    train: Split,
    val: Split,
    schema: Schema,
    config: TrainConfig,
    verbose: int | str,
    batch_size: int | None,
    callbacks: Sequence[keras.callbacks.Callback],
) -> dict[str, list[float]]:
    batch_size = batch_size or config.batch_size
    data = tf_dataset(train, schema, batch_size, shuffle_seed=config.seed)
    if is_multi_worker(model):
        run = _across_workers(model, train, val, schema, config, data, batch_size)
    else:
        run = _on_this_host(model, train, val, schema, data, batch_size)
    compile_model(run.model, config, run.steps_per_epoch)
    build_before_distributed_fit(run.model, run.data)
    scorer = _Scorer(run.val, val.log_price(schema), config.model.quantiles, run.predict)
    start = scorer(model)
    # With an average, validation and early stopping see the average; this sees the plain weights.
    plain = _BestPlain(scorer) if config.ema_momentum is not None else None
    history = run.model.fit(
        run.data,
        validation_data=run.val,
        epochs=config.epochs,
        # A backup before the average is swapped in, so that it holds the plain weights.
        callbacks=[*([plain] if plain else []), *run.callbacks, *_callbacks(config), *callbacks],
        verbose=verbose,
        shuffle=False,  # tf_dataset already shuffles, reproducibly
    )
    learned = [scorer(model), *([plain.best] if plain and plain.best else [])]
    model.set_weights(_choose(start, learned).weights)
    return {k: [float(v) for v in values] for k, values in history.history.items()}


def _keras_predict(model: keras.Model, data: tf.data.Dataset) -> np.ndarray:
    return np.asarray(model.predict(data, verbose=0))


@dataclass
class _Run:
    """What one fit trains (the model or a view of its layers), on which batches, and how its
    validation rows are predicted."""

    model: keras.Model
    data: tf.data.Dataset
    val: tf.data.Dataset
    steps_per_epoch: int
    callbacks: list[keras.callbacks.Callback] = field(default_factory=list)
    predict: Callable[[keras.Model, tf.data.Dataset], np.ndarray] = _keras_predict


def _on_this_host(
    model: keras.Model, train: Split, val: Split, schema: Schema, data: tf.data.Dataset, batch: int
) -> _Run:
    """A fit in this process. Over several replicas (mirrored), training steps on full global
    batches only and validation batches leave no replica empty: a replica with no rows fails in
    batch normalisation. The rows a step leaves out change each epoch, with the shuffle."""
    replicas = int(model.distribute_strategy.num_replicas_in_sync)
    if replicas == 1:
        return _Run(model, data, tf_dataset(val, schema, 256), math.ceil(len(train) / batch))
    steps = full_batches(len(train), batch)
    log.info("mirrored fit: %s", steps_note(len(train), batch))
    val_data = tf_dataset(val, schema, validation_batch(len(val), replicas))
    return _Run(model, data.take(steps), val_data, steps)


def _across_workers(
    model: keras.Model,
    train: Split,
    val: Split,
    schema: Schema,
    config: TrainConfig,
    data: tf.data.Dataset,
    batch_size: int,
) -> _Run:
    """A multi-worker fit: full global batches sharded per worker, validation batches that
    leave no replica empty, the chief's backup (`training.multi_worker`)."""
    assert config.backup_dir is not None  # TrainConfig requires it with multi_worker
    replicas = int(model.distribute_strategy.num_replicas_in_sync)
    steps = full_batches(len(train), batch_size)
    log.info("multi_worker fit: %s", steps_note(len(train), batch_size))
    val_data = tf_dataset(val, schema, validation_batch(len(val), replicas))
    key = fit_key(config.model_dump_json(), train.frame, val.frame, len(model.trainable_weights))
    folder = f"{config.backup_dir.rstrip('/')}/{key}"
    return _Run(
        worker_model(model),
        sharded_train(data, steps),
        sharded(val_data),
        steps,
        [SameStatistics(), *backup_callbacks(model, folder)],
        predict_here,
    )


def compile_model(model: keras.Model, config: TrainConfig, steps_per_epoch: int) -> None:
    """Compile with the run's optimizer and the pinball loss."""
    optimizer = _optimizer(config, steps_per_epoch)
    model.compile(optimizer=optimizer, loss=PinballLoss(config.model.quantiles))


def ema_momentum(configured: float | None, steps_per_epoch: int) -> float | None:
    """The weight average's momentum, lowered so its time constant stays within one epoch.

    The average's memory is about 1 / (1 - momentum) steps. Longer than an epoch, the average
    validated at an epoch's end still holds much of the earlier weights, and in a run shorter
    than that memory, mostly the starting ones: a short training would end blind.
    """
    if configured is None:
        return None
    return min(configured, 1.0 - 1.0 / max(steps_per_epoch, 1))


def _optimizer(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """AdamW on the configured schedule, keeping a weight average when `ema_momentum` is set."""
    learning_rate: Any = config.learning_rate
    if config.lr_schedule == "cosine":
        steps = steps_per_epoch * config.epochs
        learning_rate = keras.optimizers.schedules.CosineDecay(config.learning_rate, steps)
    momentum = ema_momentum(config.ema_momentum, steps_per_epoch)
    optimizer = keras.optimizers.AdamW(
        learning_rate,
        weight_decay=config.weight_decay,
        use_ema=momentum is not None,
        ema_momentum=momentum or 0.99,
    )
    # Decay pulls weights to zero; a bias or a normalisation scale there is a wrong answer (the
    # head's biases hold the median log price and the quantile gaps), not a simpler one.
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return optimizer


def _callbacks(config: TrainConfig) -> list[keras.callbacks.Callback]:
    callbacks: list[keras.callbacks.Callback] = []
    if config.ema_momentum:
        # Before early stopping, so validation and the best-weights snapshot see the average.
        callbacks.append(keras.callbacks.SwapEMAWeights(swap_on_epoch=True))
    callbacks.append(
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.patience, restore_best_weights=True
        )
    )
    if config.lr_schedule == "plateau":
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=0.5, patience=config.lr_patience, min_lr=1e-5
            )
        )
    return callbacks


@dataclass(order=True)
class _Scored:
    """Weights a fit may end on, ordered by their validation loss, with each row's loss."""

    loss: float
    rows: np.ndarray = field(compare=False)
    weights: list[np.ndarray] = field(compare=False)


class _Scorer:
    """Scores a model's current weights on the validation rows."""

    def __init__(
        self,
        val: Any,
        log_price: np.ndarray,
        quantiles: list[float],
        predict: Callable[[keras.Model, Any], np.ndarray],
    ) -> None:
        self.val, self.log_price, self.predict = val, log_price, predict
        self.loss = PinballLoss(quantiles, reduction=None)

    def __call__(self, model: keras.Model) -> _Scored:
        predicted = self.predict(model, self.val)
        rows = np.asarray(keras.ops.convert_to_numpy(self.loss(self.log_price, predicted)))
        return _Scored(float(rows.mean()), rows, model.get_weights())


def _choose(start: _Scored, learned: list[_Scored]) -> _Scored:
    """The best learned weights that beat the start by more than one standard error, else the start.

    Breiman et al.'s one-standard-error rule, on the paired per-row differences: on a small
    validation split, the best of many epochs beats the start by luck alone; a gain smaller
    than its own noise is not taken over the simpler model the fit started from.
    """
    clear = [each for each in learned if _gain(start, each) > _noise(start, each)]
    return min(clear, default=start)


def _gain(start: _Scored, other: _Scored) -> float:
    return float(np.mean(start.rows - other.rows))


def _noise(start: _Scored, other: _Scored) -> float:
    differences = start.rows - other.rows
    return float(np.std(differences, ddof=1) / math.sqrt(len(differences)))


class _BestPlain(keras.callbacks.Callback):
    """The plain (not averaged) weights of the epoch that scored best on validation.

    First in the callback list, so it sees each epoch's plain weights before the average is
    swapped in for early stopping: with them as a candidate, an average never leaves a run
    worse than the same run without one.
    """

    def __init__(self, scorer: _Scorer) -> None:
        super().__init__()
        self.scorer = scorer
        self.best: _Scored | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        scored = self.scorer(self.model)
        self.best = min(self.best, scored) if self.best else scored


def predict_quantiles(model: keras.Model, split: Split, schema: Schema) -> np.ndarray:
    """The model's log-price quantiles for every row of a split."""
    return np.asarray(model.predict(tf_dataset(split, schema, 256), verbose=0), dtype="float64")


def predict_prices(model: keras.Model, split: Split, schema: Schema) -> np.ndarray:
    """Price, low and high columns for every row of a split."""
    return quantiles_to_prices(predict_quantiles(model, split, schema), median_index(model))
