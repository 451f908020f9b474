"""Splits and the tf.data input pipeline: each photo decoded once, kept in memory, prefetched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.model_selection import train_test_split

from models.inputs import decode_photos, model_inputs
from models.schema import FeatureType, Schema
from training.config import TrainConfig
from training.dataset import Dataset

PREFETCH = 2  # batches ready ahead of the step: a batch sliced from memory takes under 1 ms


@dataclass
class Split:
    """One split's typed rows and decoded photos."""

    frame: pd.DataFrame
    photos: dict[str, np.ndarray]

    def inputs(self, schema: Schema) -> dict[str, Any]:
        return model_inputs(schema, self.frame, self.photos)

    def log_price(self, schema: Schema) -> np.ndarray:
        prices = self.frame[schema.target].to_numpy(dtype="float64")
        return np.asarray(np.log(prices))

    def __len__(self) -> int:
        return len(self.frame)


@dataclass
class Splits:
    """Train, validation and test splits of one dataset."""

    train: Split
    val: Split
    test: Split


def split_indices(n: int, config: TrainConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffled train / validation / test row positions, fixed by the config's seed."""
    rest, test = train_test_split(
        np.arange(n), test_size=config.test_fraction, random_state=config.seed
    )
    val_share = config.val_fraction / (1 - config.test_fraction)
    train, val = train_test_split(rest, test_size=val_share, random_state=config.seed + 1)
    return np.sort(train), np.sort(val), np.sort(test)


def prepare_splits(dataset: Dataset, config: TrainConfig, progress: bool = True) -> Splits:
    """Decode every photo once (in threads, through the one decode path) and split the rows."""
    frame = dataset.frame.reset_index(drop=True)
    size = config.model.photo.image_size
    photos: dict[str, np.ndarray] = {}
    for feature in dataset.schema.of_type(FeatureType.IMAGE):
        images, errors = decode_photos(
            frame[feature.name].tolist(),
            feature,
            size,
            dataset.folder,
            workers=config.decode_workers,
            progress=progress,
        )
        failed = [e for e in errors if e]
        if failed:  # the reader already decoded every photo; a failure now means a changed file
            raise RuntimeError(f"{len(failed)} photos failed to decode after validation")
        photos[feature.name] = images
    parts = [
        Split(frame.iloc[idx].reset_index(drop=True), {k: v[idx] for k, v in photos.items()})
        for idx in split_indices(len(frame), config)
    ]
    return Splits(*parts)


def tf_dataset(
    split: Split, schema: Schema, batch_size: int, shuffle_seed: int | None = None
) -> tf.data.Dataset:
    """Batches of (inputs, log price), shuffled each epoch when a seed is given, prefetched."""
    data = tf.data.Dataset.from_tensor_slices((split.inputs(schema), split.log_price(schema)))
    if shuffle_seed is not None:
        data = data.shuffle(len(split), seed=shuffle_seed, reshuffle_each_iteration=True)
    return without_autotune(data.batch(batch_size).prefetch(PREFETCH))


def without_autotune(data: tf.data.Dataset) -> tf.data.Dataset:
    """`data` with tf.data's autotuning off, so that an iterator ends without stalling.

    With it on, dropping an iterator (every epoch, for training and for validation) waited
    for the autotuner's thread: the process sat idle for 1 s, at times 8 s, on this machine.
    Slices from memory need no tuning.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return data.with_options(options)
