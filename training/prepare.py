"""Splits (one holdout, or k folds) and the tf.data input pipeline: each photo decoded once into
a store on disk (training.photo_store) and read back by batch, so memory holds the table, not
the photos."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.model_selection import KFold, train_test_split

from models.inputs import model_inputs
from models.schema import Feature, FeatureType, Schema
from training.config import TrainConfig
from training.dataset import Dataset
from training.photo_store import PhotoStore, open_or_write

PREFETCH = 2  # batches ready ahead of the step
PHOTO_READERS = 2  # batches whose photos are read at once (pread releases the GIL)


@dataclass
class Photos:
    """The photos of some rows of a store, by position in those rows."""

    store: PhotoStore
    rows: np.ndarray  # store rows, in the split's order

    def read(self, feature: str, positions: np.ndarray) -> np.ndarray:
        return self.store.read(feature, self.rows[positions])

    def take(self, positions: np.ndarray) -> Photos:
        return Photos(self.store, self.rows[positions])


@dataclass
class Split:
    """One split's typed rows and their photos."""

    frame: pd.DataFrame
    photos: Photos

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
    """Every usable row of a dataset and the store of its decoded photos: what the splits are
    cut from."""

    frame: pd.DataFrame
    store: PhotoStore

    def take(self, rows: np.ndarray) -> Split:
        """The split made of the rows at positions `rows`."""
        frame = self.frame.iloc[rows].reset_index(drop=True)
        return Split(frame, Photos(self.store, np.asarray(rows)))

    def everything(self) -> Split:
        return self.take(np.arange(len(self)))

    def __len__(self) -> int:
        return len(self.frame)


def decode_dataset(dataset: Dataset, config: TrainConfig, progress: bool = True) -> Decoded:
    """Every photo decoded once, in threads, through the one decode path, into the store of
    `config.photo_store` (reused when made from the same data) or a temporary one."""
    store = open_or_write(
        dataset,
        config.photo_store,
        config.model.photo.image_size,
        workers=config.decode_workers,
        progress=progress,
    )
    return Decoded(dataset.frame.reset_index(drop=True), store)


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
    """Batches of (inputs, log price), shuffled each epoch when a seed is given, prefetched.

    Only row positions are shuffled (a shuffle holds every element it shuffles, and a position
    is the smallest one); each batch then gathers its table columns from tensors held once and
    reads its photos from the store."""
    table = {k: tf.convert_to_tensor(v) for k, v in model_inputs(schema, split.frame, None).items()}
    labels = tf.convert_to_tensor(split.log_price(schema))
    data = tf.data.Dataset.from_tensor_slices(np.arange(len(split)))
    if shuffle_seed is not None:
        data = data.shuffle(len(split), seed=shuffle_seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size)
    images = schema.of_type(FeatureType.IMAGE)
    read = functools.partial(_batch, table, labels, split.photos, images)
    data = data.map(read, num_parallel_calls=PHOTO_READERS if images else None)
    return without_autotune(data.prefetch(PREFETCH))


def _batch(
    table: dict[str, tf.Tensor],
    labels: tf.Tensor,
    photos: Photos,
    images: list[Feature],
    positions: tf.Tensor,
) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
    """The batch of rows at `positions`: their table columns, their photos read from the store,
    and their log prices."""
    inputs = {name: tf.gather(column, positions) for name, column in table.items()}
    if images:
        read = tf.numpy_function(
            lambda rows: [photos.read(f.name, rows) for f in images],
            [positions],
            [tf.uint8] * len(images),
            stateful=False,
        )
        side = photos.store.photo_size
        for feature, pixels in zip(images, read, strict=True):
            pixels.set_shape((None, side, side, 3))
            inputs[feature.name] = pixels
    return inputs, tf.gather(labels, positions)


def without_autotune(data: tf.data.Dataset) -> tf.data.Dataset:
    """`data` with tf.data's autotuning off, so that an iterator ends without stalling.

    With it on, dropping an iterator (every epoch, for training and for validation) waited
    for the autotuner's thread: the process sat idle for 1 s, at times 8 s, on this machine.
    Slices from memory need no tuning.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return data.with_options(options)
