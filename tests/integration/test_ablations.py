"""Ablations train on a thread beside the joint model, for their own number of epochs, and stop
when the joint model's fit fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny import tiny_config
from training.ablations import Ablations
from training.dataset import read_dataset
from training.prepare import prepare_splits

pytestmark = pytest.mark.integration


def test_a_failure_beside_them_stops_the_ablations_after_one_batch(
    tiny_dataset_template: Path,
) -> None:
    dataset = read_dataset(tiny_dataset_template)
    config = tiny_config()
    splits = prepare_splits(dataset, config, progress=False)
    ablations = Ablations(dataset.schema, splits, config)
    assert [a.name for a in ablations.models] == ["tabular", "text", "photo"]
    with pytest.raises(RuntimeError, match="joint fit failed"), ablations:
        raise RuntimeError("joint fit failed")
    optimizers = [getattr(a.model, "optimizer", None) for a in ablations.models]
    steps = [int(o.iterations) if o is not None else 0 for o in optimizers]
    batches = -(-len(splits.train) // config.batch_size) * config.epochs
    assert sum(steps) <= 1 < batches


def test_the_ablations_train_for_their_own_number_of_epochs(tiny_dataset_template: Path) -> None:
    dataset = read_dataset(tiny_dataset_template)
    config = tiny_config(epochs=3, ablation_epochs=1, patience=10)
    splits = prepare_splits(dataset, config, progress=False)
    with Ablations(dataset.schema, splits, config) as ablations:
        scores = ablations.comparison().scores
    assert len(scores) >= 3
    per_epoch = -(-len(splits.train) // config.batch_size)
    steps = [int(a.model.optimizer.iterations) for a in ablations.models]
    assert steps == [per_epoch] * 3
