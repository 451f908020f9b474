"""The optimizer: a weight average that training ends on, and weight decay that spares biases."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from models.architecture import build_model
from tests.tiny import tiny_config
from training.config import TrainConfig
from training.dataset import read_dataset
from training.prepare import prepare_splits
from training.trainer import fit

pytestmark = pytest.mark.integration

SPARED = {"bias", "gamma", "beta"}  # variable names weight decay must leave alone


def _fitted(folder: Path, config: TrainConfig) -> tuple[keras.Model, dict[str, list[float]]]:
    """The tiny joint model after `fit` with `config`, and its history."""
    dataset = read_dataset(folder)
    splits = prepare_splits(dataset, config, progress=False)
    model = build_model(dataset.schema, config.model, splits.train.frame, seed=config.seed)
    return model, fit(model, splits.train, splits.val, dataset.schema, config, verbose=0)


def test_fit_with_ema_ends_on_the_average(tiny_dataset_template: Path) -> None:
    model, history = _fitted(tiny_dataset_template, tiny_config(epochs=1, ema_momentum=0.9))
    assert len(history["val_loss"]) == 1
    optimizer = model.optimizer
    assert optimizer.use_ema
    averages = optimizer._model_variables_moving_average
    assert len(averages) == len(model.trainable_variables) > 0
    for variable, average in zip(model.trainable_variables, averages, strict=True):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(variable), keras.ops.convert_to_numpy(average)
        )


def test_weight_decay_spares_biases_and_normalisation(tiny_dataset_template: Path) -> None:
    """Decay would pull the head's biases (the median log price, the quantile gaps) to zero."""
    model, _ = _fitted(tiny_dataset_template, tiny_config(epochs=1, weight_decay=0.3))
    decayed = {v.path: model.optimizer._use_weight_decay(v) for v in model.trainable_variables}
    spared = {path for path, decays in decayed.items() if not decays}
    assert spared == {v.path for v in model.trainable_variables if v.name in SPARED}
    assert any(decayed.values())  # the kernels and the embedding still decay
