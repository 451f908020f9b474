"""A tiny end-to-end run into a temporary MLflow store, then the registered model on raw rows."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from appraise import app
from tests.tiny import tiny_config
from training import pipeline
from training.compare import JOINT
from training.config import TrainConfig
from training.evaluation import Evaluation, evaluate
from training.pipeline import TrainResult, train
from training.tracking import CHAMPION, model_requirements, promote_if_better

pytestmark = pytest.mark.integration
NAME = "appraiser-test"


def _config() -> TrainConfig:
    return tiny_config(model_name=NAME, experiment="test")


@pytest.fixture(scope="module")
def trained(
    tiny_dataset_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[TrainResult, TrainResult, Path]:
    """Two identical runs in a fresh store: the first becomes champion, the second must not."""
    store = tmp_path_factory.mktemp("mlflow")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(store)
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        first = train(tiny_dataset_template, _config(), verbose=0)
        second = train(tiny_dataset_template, _config(), verbose=0)
    return first, second, store


def test_first_run_is_registered_and_champion(
    trained: tuple[TrainResult, TrainResult, Path],
) -> None:
    first, _, store = trained
    assert first.registered_version == "1" and first.champion
    assert first.summary()["devices"] == "/device:CPU:0"  # the JSON line `appraise train` prints
    params = mlflow.MlflowClient(f"sqlite:///{store / 'mlflow.db'}").get_run(first.run_id)
    assert params.data.params["devices"] == "/device:CPU:0"
    assert (store / "mlflow.db").is_file() and (store / "mlartifacts").is_dir()
    # the logged model's environment is the given pins, not MLflow's guess
    files = (store / "mlartifacts").rglob("requirements.txt")
    assert {tuple(f.read_text().split()) for f in files} == {tuple(model_requirements())}
    names = {s.name for s in first.comparison.scores}
    assert {
        "joint model",
        "tabular only",
        "text only",
        "photo only",
        "late fusion: weighted",
    } <= names
    assert {"global median", "median per brand", "linear (TF-IDF + one-hot)"} <= names


def test_run_times_the_joint_model_apart_from_the_comparison(
    trained: tuple[TrainResult, TrainResult, Path],
) -> None:
    """The joint model's own build and fit time is reported apart from the whole run's."""
    first, _, store = trained
    assert 0 < first.fit_seconds < first.seconds
    client = mlflow.MlflowClient(f"sqlite:///{store / 'mlflow.db'}")
    logged = client.get_run(first.run_id).data.metrics["fit_seconds"]
    assert logged == pytest.approx(first.fit_seconds)


def test_same_config_and_seed_reproduce_metrics_and_alias_stays(
    trained: tuple[TrainResult, TrainResult, Path],
) -> None:
    first, second, _ = trained
    assert second.metrics["rmsle"] == pytest.approx(first.metrics["rmsle"], rel=1e-6)
    # The ablations train on a thread beside the joint model; their scores must not depend on it.
    scores = [{s.name: s.metrics["rmsle"] for s in r.comparison.scores} for r in (first, second)]
    assert scores[1] == pytest.approx(scores[0], rel=1e-6)
    assert second.registered_version == "2" and not second.champion
    assert "does not beat" in second.champion_reason


def test_champion_predicts_on_raw_rows(
    trained: tuple[TrainResult, TrainResult, Path], tiny_dataset_template: Path
) -> None:
    _, _, store = trained
    listings = pd.read_csv(tiny_dataset_template / "listings.csv", dtype=str, keep_default_na=False)
    with_photo = listings[listings["photo"] != ""].iloc[0]
    photo_bytes = (tiny_dataset_template / with_photo["photo"]).read_bytes()
    rows = pd.DataFrame(
        [
            {
                "brand": with_photo["brand"],
                "year": 2010,
                "description": "wool coat, like new",
                "photo": photo_bytes,
            },
            {
                "brand": with_photo["brand"],
                "year": 2010,
                "description": "wool coat, like new",
                "photo": base64.b64encode(photo_bytes).decode(),
            },
            {"brand": with_photo["brand"], "year": 2001, "description": "silk dress", "photo": ""},
            {
                "brand": with_photo["brand"],
                "year": 2001,
                "description": "",
                "photo": with_photo["photo"],
            },
            {
                "brand": "Brand Nobody Has Seen",
                "year": 1999,
                "description": "cotton shirt",
                "photo": None,
            },
            {"brand": "x", "year": 1800, "description": "too old", "photo": ""},
        ]
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        mlflow.set_tracking_uri(f"sqlite:///{store / 'mlflow.db'}")
        model = mlflow.pyfunc.load_model(f"models:/{NAME}@{CHAMPION}")
        out = model.predict(rows, params={"photo_root": str(tiny_dataset_template)})
    assert len(out) == len(rows)
    good = out.iloc[:5]
    assert (good["error"] == "").all(), good["error"].tolist()
    assert np.isfinite(good["price"]).all() and (good["price"] > 0).all()
    assert (good["price_low"] <= good["price"]).all() and (
        good["price"] <= good["price_high"]
    ).all()
    assert good["price"].iloc[0] == pytest.approx(good["price"].iloc[1])  # bytes == base64
    assert "year: 1800 is below the minimum" in out["error"].iloc[5]
    assert np.isnan(out["price"].iloc[5])


def test_alias_does_not_move_to_a_worse_model(
    trained: tuple[TrainResult, TrainResult, Path],
) -> None:
    _, _, store = trained
    mlflow.set_tracking_uri(f"sqlite:///{store / 'mlflow.db'}")
    moved, reason = promote_if_better(NAME, "2", rmsle=9.9, score_champion=lambda uri: 0.5)
    assert not moved and "does not beat" in reason
    client = mlflow.MlflowClient()
    assert str(client.get_model_version_by_alias(NAME, CHAMPION).version) == "1"


def test_evaluate_command_prints_metrics_json(
    trained: tuple[TrainResult, TrainResult, Path], tiny_dataset_template: Path
) -> None:
    _, _, store = trained
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        args = ["evaluate", f"models:/{NAME}@{CHAMPION}", str(tiny_dataset_template), "--json"]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output.strip().splitlines()[-1])
    assert {"rmsle", "mae", "mape", "r2", "coverage"} <= set(metrics)
    assert metrics["rows"] == 40 and 0 <= metrics["coverage"] <= 1


def test_evaluate_command_refuses_unknown_model(
    tiny_dataset_template: Path, tmp_path: Path
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
        args = ["evaluate", "models:/nobody@champion", str(tiny_dataset_template)]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "error:" in result.output


def test_train_command_refuses_too_few_rows(tiny_dataset: Path) -> None:
    path = tiny_dataset / "listings.csv"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:6]))
    result = CliRunner().invoke(app, ["train", str(tiny_dataset), "--quiet"])
    assert result.exit_code == 1
    assert "5 usable rows; training needs at least 20" in result.output


def test_tiers_command_prices_the_same_listing_under_each_tier(
    trained: tuple[TrainResult, TrainResult, Path],
) -> None:
    _, _, store = trained
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        result = CliRunner().invoke(app, ["tiers", f"models:/{NAME}@{CHAMPION}"])
        missing = CliRunner().invoke(app, ["tiers", "models:/nobody@champion"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "x budget" in line]
    assert [line.split()[0] for line in lines] == ["budget", "mid", "premium", "luxury"]
    assert "= 1.0x budget (the generator's own: 1.0x)" in lines[0]
    assert missing.exit_code == 1 and "error:" in missing.output


def test_a_model_with_a_non_finite_metric_never_becomes_champion(
    trained: tuple[TrainResult, TrainResult, Path], tiny_dataset_template: Path
) -> None:
    """A run whose test RMSLE is NaN (a diverged fit) is registered but leaves the alias where it
    was, and its run says why; `>=` alone would let a NaN through, as no comparison holds."""
    _, _, store = trained

    def diverged(*args: Any, **kwargs: Any) -> Evaluation:
        judged = evaluate(*args, **kwargs)
        judged.comparison.get(JOINT).metrics["rmsle"] = float("nan")
        return judged

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(store)
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        patch.setattr(pipeline, "evaluate", diverged)
        result = train(tiny_dataset_template, _config(), verbose=0)
        client = mlflow.MlflowClient(f"sqlite:///{store / 'mlflow.db'}")
        tags = client.get_run(result.run_id).data.tags
        champion = str(client.get_model_version_by_alias(NAME, CHAMPION).version)
    assert not result.champion and champion == "1"
    assert tags["champion"] == "False"
    assert "test RMSLE is nan" in tags["champion_reason"], tags["champion_reason"]
