"""The training input pipeline: every row once per epoch, reshuffled, without autotuning."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.tiny import tiny_config
from training.dataset import read_dataset
from training.prepare import prepare_splits, tf_dataset


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
