"""Splits (one holdout, or k folds) and the tf.data input pipeline: each photo decoded once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.model_selection import KFold, train_test_split

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
    """Train, validation and test splits of one dataset, and the rows that calibrate the range.

    `calibration` is None in a fold of a cross-validation, whose calibration comes from the
    other folds' test rows (`training.crossval`).
    """

    train: Split
    val: Split
    test: Split
    calibration: Split | None = None


@dataclass
class Decoded:
    """Every usable row of a dataset with its photos decoded once: what the splits are cut from."""

    frame: pd.DataFrame
    photos: dict[str, np.ndarray]

    def take(self, rows: np.ndarray) -> Split:
        """The split made of the rows at positions `rows`."""
        frame = self.frame.iloc[rows].reset_index(drop=True)
        return Split(frame, {name: images[rows] for name, images in self.photos.items()})

    def __len__(self) -> int:
        return len(self.frame)


def decode_dataset(dataset: Dataset, config: TrainConfig, progress: bool = True) -> Decoded:
    """Decode every photo once, in threads, through the one decode path."""
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
    return Decoded(frame, photos)


def split_indices(n: int, config: TrainConfig) -> tuple[np.ndarray, ...]:
    """Shuffled train / validation / calibration / test row positions, fixed by the seed.

    Validation and calibration are cut from one held-out share, so the training rows are those
    of a split with `val_fraction + calibration_fraction` for validation alone.
    """
    rest, test = train_test_split(
        np.arange(n), test_size=config.test_fraction, random_state=config.seed
    )
    held = config.val_fraction + config.calibration_fraction
    train, held_out = train_test_split(
        rest, test_size=held / (1 - config.test_fraction), random_state=config.seed + 1
    )
    val, calibration = train_test_split(
        held_out, test_size=config.calibration_fraction / held, random_state=config.seed + 2
    )
    return tuple(np.sort(part) for part in (train, val, calibration, test))


def fold_indices(n: int, config: TrainConfig) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Train / validation / test positions of each fold; the test folds cover every row once."""
    folds = KFold(config.cv_folds, shuffle=True, random_state=config.seed)
    out = []
    share = _cv_val_share(config) / (1 - 1 / config.cv_folds)
    for rest, test in folds.split(np.arange(n)):
        train, val = _train_val(rest, share, config.seed)
        out.append((train, val, np.sort(test)))
    return out


def final_indices(n: int, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation positions over every row: the fit that a cross-validated run keeps."""
    return _train_val(np.arange(n), _cv_val_share(config), config.seed)


def _cv_val_share(config: TrainConfig) -> float:
    """A cross-validation calibrates on its test folds: its calibration share goes to validation,
    so a fold trains on as many rows as a holdout would."""
    return config.val_fraction + config.calibration_fraction


def _train_val(rows: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    train, val = train_test_split(rows, test_size=share, random_state=seed + 1)
    return np.sort(train), np.sort(val)


def holdout_splits(decoded: Decoded, config: TrainConfig) -> Splits:
    """The one split of a run on a large dataset."""
    train, val, calibration, test = split_indices(len(decoded), config)
    parts = (decoded.take(rows) for rows in (train, val, test, calibration))
    return Splits(*parts)


def prepare_splits(dataset: Dataset, config: TrainConfig, progress: bool = True) -> Splits:
    """Decode every photo once and cut the holdout split."""
    return holdout_splits(decode_dataset(dataset, config, progress), config)


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
