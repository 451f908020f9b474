"""The training input pipeline: every row once per epoch, reshuffled, without autotuning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.tiny import tiny_config
from training.dataset import read_dataset
from training.prepare import (
    final_indices,
    fold_indices,
    prepare_splits,
    split_indices,
    tf_dataset,
)


def test_each_epoch_yields_every_row_once_reshuffled_without_autotuning(
    tiny_dataset_template: Path,
) -> None:
    dataset = read_dataset(tiny_dataset_template)
    train = prepare_splits(dataset, tiny_config(), progress=False).train
    data = tf_dataset(train, dataset.schema, 4, shuffle_seed=1)
    assert data.options().autotune.enabled is False
    epochs = [np.concatenate([y.numpy() for _, y in data]) for _ in range(2)]
    expected = np.sort(train.log_price(dataset.schema))
    for epoch in epochs:
        np.testing.assert_allclose(np.sort(epoch), expected)
    assert not np.array_equal(epochs[0], epochs[1])


def test_holdout_rows_split_four_ways_without_overlap() -> None:
    config = tiny_config(test_fraction=0.2, val_fraction=0.1, calibration_fraction=0.1)
    train, val, calibration, test = split_indices(200, config)
    parts = [train, val, calibration, test]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(200))
    assert [len(p) for p in parts] == [120, 20, 20, 40]


def test_calibration_rows_come_out_of_the_held_out_share_not_out_of_training() -> None:
    """Splitting the held-out rows into validation and calibration leaves training as it was."""
    both = tiny_config(val_fraction=0.075, calibration_fraction=0.075)
    alone = tiny_config(val_fraction=0.15 - 1e-9, calibration_fraction=1e-9)
    assert np.array_equal(split_indices(1000, both)[0], split_indices(1000, alone)[0])


def test_folds_test_every_row_once_and_the_final_fit_sees_every_row() -> None:
    config = tiny_config(cv_folds=4, val_fraction=0.1, calibration_fraction=0.05)
    folds = fold_indices(101, config)
    assert np.array_equal(np.sort(np.concatenate([t for _, _, t in folds])), np.arange(101))
    for train, val, test in folds:
        assert not set(train) & set(val) and not (set(train) | set(val)) & set(test)
        assert len(val) == pytest.approx(0.15 * 101, abs=1)  # calibration's share joins val
    train, val = final_indices(101, config)
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(101))
