"""Fit one Keras model: AdamW (optionally averaged), pinball loss, LR schedule, early stopping."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from models.losses import PinballLoss
from models.predictions import median_index, quantiles_to_prices
from models.schema import Schema
from training.config import TrainConfig
from training.devices import build_before_distributed_fit
from training.prepare import Split, tf_dataset


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
    """Train until validation loss stops improving; the best weights are restored.

    `batch_size` is the global batch (per-replica size times replicas); default the config's.
    `callbacks` come after the trainer's own.
    """
    batch_size = batch_size or config.batch_size
    compile_model(model, config, math.ceil(len(train) / batch_size) * config.epochs)
    data = tf_dataset(train, schema, batch_size, shuffle_seed=config.seed)
    build_before_distributed_fit(model, data)
    history = model.fit(
        data,
        validation_data=tf_dataset(val, schema, 256),
        epochs=config.epochs,
        callbacks=[*_callbacks(config), *callbacks],
        verbose=verbose,
        shuffle=False,  # tf_dataset already shuffles, reproducibly
    )
    return {k: [float(v) for v in values] for k, values in history.history.items()}


def compile_model(model: keras.Model, config: TrainConfig, steps: int) -> None:
    """Compile with the run's optimizer and the pinball loss; `steps` is the schedule's length."""
    model.compile(optimizer=_optimizer(config, steps), loss=PinballLoss(config.model.quantiles))


def _optimizer(config: TrainConfig, steps: int) -> keras.optimizers.Optimizer:
    """AdamW on the configured schedule, keeping a weight average when `ema_momentum` is set."""
    learning_rate: Any = config.learning_rate
    if config.lr_schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(config.learning_rate, steps)
    optimizer = keras.optimizers.AdamW(
        learning_rate,
        weight_decay=config.weight_decay,
        use_ema=config.ema_momentum is not None,
        ema_momentum=config.ema_momentum or 0.99,
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


def predict_prices(model: keras.Model, split: Split, schema: Schema) -> np.ndarray:
    """Price, low and high columns for every row of a split."""
    quantiles = model.predict(tf_dataset(split, schema, 256), verbose=0)
    return quantiles_to_prices(quantiles, median_index(model))
