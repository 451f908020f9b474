"""Scoring tests on a tiny real model, trained once per session into a temporary MLflow store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from appraise import app
from tests.tiny import tiny_config
from training.pipeline import train

NAME = "appraiser-score"
MODEL_URI = f"models:/{NAME}@champion"


@dataclass(frozen=True)
class Store:
    """A temporary MLflow store holding one registered champion model."""

    folder: Path
    tracking_uri: str


@pytest.fixture(scope="session")
def score_store(tiny_dataset_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("score-mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    config = tiny_config(model_name=NAME, experiment="scoring-test", compare=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        train(tiny_dataset_template, config, verbose=0)
    return Store(folder, uri)


@pytest.fixture
def store_env(score_store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The store as the environment names it, with small forward passes for speed."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", score_store.tracking_uri)
    monkeypatch.setenv("APPRAISER_MAX_BATCH_SIZE", "8")
    monkeypatch.setenv("APPRAISER_DECODE_THREADS", "2")
    yield score_store


@pytest.fixture
def dataset(tiny_dataset: Path) -> Path:
    """A private copy of the tiny dataset (schema.yaml, listings.csv, photos/)."""
    return tiny_dataset


def run_score(*args: str | Path) -> Result:
    """`appraise score ...` in this process, progress bar off."""
    runner = CliRunner(env={"COLUMNS": "200"})  # wide enough that messages are not wrapped
    return runner.invoke(app, ["score", *map(str, args), "--no-progress"])


def read_table(path: Path) -> pd.DataFrame:
    """An output file, whatever its format, with missing text as ''."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(
        path,
        dtype={"id": str, "error": str},
        keep_default_na=False,
        na_values={"price": [""], "price_low": [""], "price_high": [""]},
    )
