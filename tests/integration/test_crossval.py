"""Small data is judged by k-fold cross-validation; the champion moves on figures from the same
data judged the same way; the registered model is fitted on every row and calibrated."""

from __future__ import annotations

import shutil
from pathlib import Path

import mlflow
import numpy as np
import pytest

from models.architecture import OUTPUT
from tests.tiny import tiny_config
from training.compare import JOINT, LINEAR
from training.pipeline import TrainResult, train

pytestmark = pytest.mark.integration
NAME = "appraiser-cv"
FOLDS = 2


@pytest.fixture(scope="module")
def runs(
    tiny_dataset_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[TrainResult], Path]:
    """The same cross-validated run twice, then once on the same data less one row."""
    store = tmp_path_factory.mktemp("mlflow-cv")
    other = store / "other"
    shutil.copytree(tiny_dataset_template, other)
    listings = other / "listings.csv"
    listings.write_text("".join(listings.read_text().splitlines(keepends=True)[:-1]))
    config = tiny_config(
        model_name=NAME,
        experiment="cv",
        cv_below_rows=1000,
        cv_folds=FOLDS,
        compare=False,
        epochs=1,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(store)
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        results = [train(folder, config, verbose=0) for folder in (tiny_dataset_template,) * 2]
        results.append(train(other, config, verbose=0))
    return results, store


def test_every_contender_is_scored_on_every_fold(runs: tuple[list[TrainResult], Path]) -> None:
    first = runs[0][0]
    assert first.protocol == f"{FOLDS}-fold cross-validation"
    assert len(first.folds) == FOLDS
    for name in (JOINT, LINEAR):
        folds = [fold.get(name).metrics["rmsle"] for fold in first.folds]
        score = first.comparison.get(name)
        assert score.metrics["rmsle"] == pytest.approx(np.mean(folds))
        assert score.spread["rmsle"] == pytest.approx(np.std(folds, ddof=1))
    joint = first.comparison.get(JOINT).metrics
    assert {"coverage", "coverage_uncalibrated", "range_width_uncalibrated"} <= set(joint)


def test_folds_and_protocol_are_logged(runs: tuple[list[TrainResult], Path]) -> None:
    (first, *_), store = runs
    client = mlflow.MlflowClient(f"sqlite:///{store / 'mlflow.db'}")
    run = client.get_run(first.run_id)
    assert run.data.tags["evaluation"] == f"{FOLDS}-fold cross-validation"
    assert run.data.metrics["test.rmsle"] == pytest.approx(first.metrics["rmsle"])
    assert "test.rmsle_sd" in run.data.metrics
    history = client.get_metric_history(first.run_id, "fold.joint_model.rmsle")
    assert sorted(m.step for m in history) == list(range(FOLDS))


def test_the_champion_moves_only_on_figures_from_the_same_data(
    runs: tuple[list[TrainResult], Path],
) -> None:
    (first, second, other), _ = runs
    assert first.champion
    assert not second.champion and "does not beat" in second.champion_reason
    assert second.metrics["rmsle"] == pytest.approx(first.metrics["rmsle"], rel=1e-6)
    assert not other.champion and "other data" in other.champion_reason


def test_the_registered_model_carries_the_folds_calibration(
    runs: tuple[list[TrainResult], Path],
) -> None:
    (first, *_), store = runs
    mlflow.set_tracking_uri(f"sqlite:///{store / 'mlflow.db'}")
    wrapper = mlflow.pyfunc.load_model(first.model_uri).unwrap_python_model()
    shifts = np.asarray(wrapper.keras_model.get_layer(OUTPUT).shifts)
    assert shifts[1] == 0 and np.count_nonzero(shifts) == 2
