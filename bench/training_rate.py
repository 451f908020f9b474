"""Training input pipeline: examples/s through the real `tf_dataset` vs in-memory tensors.

The runs use the same compiled Keras train step (one `fit` on one compiled model); only the
input differs: the training input pipeline (`training.prepare.tf_dataset`: the table sliced from
memory, shuffled, batched, each batch's photos read from the photo store, prefetched), the
pipeline of before the store (every photo decoded into memory and sliced with the table), or
one batch of tensors already in memory, repeated. The ratios say how much each costs the step.
The model is compiled as `training.trainer.fit` compiles it.
A last run times the same model built with Keras's own batch normalisation instead of the
fused one (`photo.batch_norm: keras`), from memory: what the fused kernel saves a step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from models.architecture import build_model
from models.inputs import model_inputs
from models.schema import FeatureType, Schema
from training.config import TrainConfig
from training.dataset import read_dataset
from training.pipeline import seed_everything
from training.prepare import PREFETCH, Split, prepare_splits, tf_dataset, without_autotune
from training.trainer import compile_model

ROUNDS = 4  # pipeline and memory alternate, an epoch each, best of each: fairer when shared


@dataclass(frozen=True)
class TrainingRate:
    """Examples per second of the train step fed by the pipeline and from memory."""

    pipeline: float
    memory: float
    batch_size: int
    memory_keras_norm: float
    slices: float  # the in-memory pipeline of before the photo store

    @property
    def store_share(self) -> float:
        """The store-fed pipeline's rate as a share of the in-memory one's."""
        return self.pipeline / self.slices

    @property
    def ratio(self) -> float:
        return self.pipeline / self.memory


def _timed_fit(model: keras.Model, data: tf.data.Dataset, epochs: int, examples: int) -> float:
    start = time.perf_counter()
    model.fit(data, epochs=epochs, verbose=0, shuffle=False)
    return examples * epochs / (time.perf_counter() - start)


def measure(folder: Path, epochs: int = 1) -> TrainingRate:
    """Build the default model on `folder`, then time `epochs` of each input, ROUNDS times."""
    config = TrainConfig.load()
    seed_everything(config.seed)
    dataset = read_dataset(folder)
    splits = prepare_splits(dataset, config, progress=False)
    schema, size = dataset.schema, config.batch_size
    keras_norm = config.model.model_copy(
        update={"photo": config.model.photo.model_copy(update={"batch_norm": "keras"})}
    )
    model, plain = (
        build_model(schema, model_config, splits.train.frame, seed=config.seed)
        for model_config in (config.model, keras_norm)
    )
    steps = len(splits.train) // size  # whole batches only: one batch shape, one trace
    for each in (model, plain):
        compile_model(each, config, steps)  # the schedule's length sets rates, not a step's cost
    pipeline = tf_dataset(splits.train, schema, size, shuffle_seed=config.seed).take(steps)
    memory = without_autotune(tf.data.Dataset.from_tensors(next(iter(pipeline))).repeat(steps))
    slices = _in_memory(splits.train, schema, size, config.seed).take(steps)
    for each in (model, plain):
        each.fit(pipeline, epochs=1, verbose=0, shuffle=False)  # trace the step once
    rates: dict[str, list[float]] = {"pipeline": [], "memory": [], "keras_norm": [], "slices": []}
    for _ in range(ROUNDS):
        rates["pipeline"].append(_timed_fit(model, pipeline, epochs, steps * size))
        rates["slices"].append(_timed_fit(model, slices, epochs, steps * size))
        rates["memory"].append(_timed_fit(model, memory, epochs, steps * size))
        rates["keras_norm"].append(_timed_fit(plain, memory, epochs, steps * size))
    best = {name: max(values) for name, values in rates.items()}
    return TrainingRate(best["pipeline"], best["memory"], size, best["keras_norm"], best["slices"])


def _in_memory(split: Split, schema: Schema, size: int, seed: int) -> tf.data.Dataset:
    """The training pipeline as it was before the photo store: every photo in memory."""
    every = np.arange(len(split))
    photos = {f.name: split.photos.read(f.name, every) for f in schema.of_type(FeatureType.IMAGE)}
    data = tf.data.Dataset.from_tensor_slices(
        (model_inputs(schema, split.frame, photos), split.log_price(schema))
    )
    data = data.shuffle(len(split), seed=seed, reshuffle_each_iteration=True)
    return without_autotune(data.batch(size).prefetch(PREFETCH))
