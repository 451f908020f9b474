"""On data whose price is linear in its tabular columns, the joint model must not lose to the
linear model: its wide path starts as that model, and a fit never ends worse than it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny import tiny_config
from training.compare import JOINT, LINEAR
from training.crossval import cross_validate
from training.dataset import read_dataset
from training.pipeline import seed_everything
from training.prepare import decode_dataset
from training.synth_linear import write_linear_dataset

pytestmark = pytest.mark.integration


def test_joint_model_does_not_lose_to_the_linear_baseline_on_linear_data(tmp_path: Path) -> None:
    floor = write_linear_dataset(tmp_path / "linear", rows=300, seed=5)
    dataset = read_dataset(tmp_path / "linear")
    config = tiny_config(epochs=20, compare=False, cv_below_rows=1000, learning_rate=0.003)
    seed_everything(config.seed)
    cv = cross_validate(decode_dataset(dataset, config, progress=False), dataset.schema, config)
    joint, linear = (cv.comparison.get(name).metrics["rmsle"] for name in (JOINT, LINEAR))
    assert joint <= linear, f"joint {joint:.4f} lost to linear {linear:.4f} (floor {floor:.4f})"
    assert linear < 1.25 * floor  # the baseline itself is near the best possible here
    lost = [
        (fold.get(JOINT).metrics["rmsle"], fold.get(LINEAR).metrics["rmsle"]) for fold in cv.folds
    ]
    assert all(j <= 1.05 * lin for j, lin in lost), lost
