"""The optimizer and the end of a fit: a weight average that cannot blind a short run, weight
decay that spares biases, and a fit that never ends worse on validation than it started."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest

from models.architecture import build_model, photo_layers
from models.losses import PinballLoss
from models.schema import Schema
from tests.tiny import tiny_config
from training.config import TrainConfig
from training.dataset import read_dataset
from training.pipeline import seed_everything
from training.prepare import Splits, prepare_splits
from training.trainer import ema_momentum, fit, predict_quantiles

pytestmark = pytest.mark.integration

SPARED = {"bias", "gamma", "beta"}  # variable names weight decay must leave alone


def _fitted(folder: Path, config: TrainConfig) -> tuple[keras.Model, float, float]:
    """The tiny joint model after `fit`: the model, its validation loss before and after."""
    seed_everything(config.seed)
    dataset = read_dataset(folder)
    splits = prepare_splits(dataset, config, progress=False)
    model = build_model(dataset.schema, config.model, splits.train.frame, seed=config.seed)
    before = _val_loss(model, splits, dataset.schema, config)
    fit(model, splits.train, splits.val, dataset.schema, config, verbose=0)
    return model, before, _val_loss(model, splits, dataset.schema, config)


def _val_loss(model: keras.Model, splits: Splits, schema: Schema, config: TrainConfig) -> float:
    """The pinball loss training minimises, on the validation rows."""
    quantiles = predict_quantiles(model, splits.val, schema)
    loss = PinballLoss(config.model.quantiles)(splits.val.log_price(schema), quantiles)
    return float(keras.ops.convert_to_numpy(loss))


def test_the_average_remembers_at_most_one_epoch() -> None:
    assert ema_momentum(0.995, steps_per_epoch=1000) == 0.995  # long epochs: as configured
    assert ema_momentum(0.995, steps_per_epoch=20) == pytest.approx(0.95)
    assert ema_momentum(None, steps_per_epoch=20) is None


def test_a_short_run_with_a_slow_average_ends_no_worse_than_without(
    tiny_dataset_template: Path,
) -> None:
    """0.995 remembers ~200 steps; this run has 12. Its average alone would be the start."""
    plain = _fitted(tiny_dataset_template, tiny_config(epochs=6, learning_rate=0.01))
    averaged = _fitted(
        tiny_dataset_template, tiny_config(epochs=6, learning_rate=0.01, ema_momentum=0.995)
    )
    assert averaged[2] <= plain[2] + 1e-6
    assert averaged[2] < averaged[1]  # and it learned something


def test_a_fit_never_ends_worse_on_validation_than_it_started(
    tiny_dataset_template: Path,
) -> None:
    """A learning rate that wrecks the weights: the fit falls back to where it started."""
    _, before, after = _fitted(tiny_dataset_template, tiny_config(epochs=2, learning_rate=1.0))
    assert after <= before + 1e-6


def test_weight_decay_spares_biases_and_normalisation(tiny_dataset_template: Path) -> None:
    """Decay would pull the head's biases (the median log price, the quantile gaps) to zero."""
    model, _, _ = _fitted(tiny_dataset_template, tiny_config(epochs=1, weight_decay=0.3))
    optimizer = model.optimizer
    decayed = {v.path: optimizer._use_weight_decay(v) for v in model.trainable_variables}
    spared = {path for path, decays in decayed.items() if not decays}
    assert spared == {v.path for v in model.trainable_variables if v.name in SPARED}
    assert any(decayed.values())  # the kernels and the embedding still decay


def test_photos_last_fits_twice_and_leaves_the_photos_trainable(
    tiny_dataset_template: Path,
) -> None:
    config = tiny_config(epochs=2)
    config = config.model_copy(
        update={"model": config.model.model_copy(update={"photos_last": True})}
    )
    seed_everything(config.seed)
    dataset = read_dataset(tiny_dataset_template)
    splits = prepare_splits(dataset, config, progress=False)
    model = build_model(dataset.schema, config.model, splits.train.frame, seed=config.seed)
    history = fit(model, splits.train, splits.val, dataset.schema, config, verbose=0)
    assert len(history["loss"]) == 4  # two epochs without the photos, two with them
    assert all(layer.trainable for layer in photo_layers(model))
