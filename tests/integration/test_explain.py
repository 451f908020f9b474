"""Explanations from a trained model: contributions that add up, a silent feature at zero,
a listing's own row as its first comparable, and the same price as a prediction."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest

from models import pyfunc
from models.explain_columns import BASELINE, COMPARABLE_IDS, CONTRIBUTION_PREFIX
from models.pyfunc import AppraiserModel
from tests.tiny import tiny_config
from training.pipeline import train

pytestmark = pytest.mark.integration
NAME = "appraiser-explain"
FEATURES = ("brand", "year", "description", "photo")


@pytest.fixture(scope="module")
def model(tiny_dataset_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The tiny dataset's model, as MLflow loads it."""
    store = tmp_path_factory.mktemp("mlflow")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(store)
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        config = tiny_config(model_name=NAME, experiment="explain", compare=False)
        result = train(tiny_dataset_template, config, verbose=0)
        yield mlflow.pyfunc.load_model(result.model_uri)


@pytest.fixture(scope="module")
def listings(tiny_dataset_template: Path) -> pd.DataFrame:
    """Raw rows, as read from the dataset: photo paths under the dataset folder."""
    frame = pd.read_csv(tiny_dataset_template / "listings.csv", dtype=str, keep_default_na=False)
    return frame.astype({"year": "int64"})


def explain(model: Any, rows: pd.DataFrame, root: Path, k: int = 5) -> pd.DataFrame:
    params = {"photo_root": str(root), "explain": True, "comparables": k}
    out: pd.DataFrame = model.predict(rows.drop(columns=["id", "price"]), params=params)
    return out


def test_contributions_sum_to_the_log_ratio_of_price_to_baseline(
    model: Any, listings: pd.DataFrame, tiny_dataset_template: Path
) -> None:
    rows = listings.head(8).copy()
    rows.loc[rows.index[:2], "photo"] = ""  # with and without photo, with and without text
    rows.loc[rows.index[1:3], "description"] = ""
    out = explain(model, rows, tiny_dataset_template)
    assert (out["error"] == "").all(), out["error"].tolist()
    total = out[[CONTRIBUTION_PREFIX + f for f in FEATURES]].sum(axis=1)
    expected = np.log(out["price"] / out[BASELINE])
    np.testing.assert_allclose(total, expected, atol=1e-4)
    assert out[BASELINE].nunique() == 1  # one baseline: the listing with nothing known


def test_a_photo_or_description_the_listing_lacks_contributes_nothing(
    model: Any, listings: pd.DataFrame, tiny_dataset_template: Path
) -> None:
    # The generator prices a missing photo or description at the population's expectation,
    # and a listing without one is exactly its baseline in that feature.
    rows = listings.head(4).copy()
    rows["photo"] = ""
    rows.loc[rows.index[:2], "description"] = ""
    out = explain(model, rows, tiny_dataset_template)
    assert out[CONTRIBUTION_PREFIX + "photo"].abs().max() < 1e-6
    assert out[CONTRIBUTION_PREFIX + "description"].iloc[:2].abs().max() < 1e-6
    assert out[CONTRIBUTION_PREFIX + "brand"].abs().max() > 1e-6  # the brand is known


def test_a_training_listing_is_its_own_first_comparable(
    model: Any, listings: pd.DataFrame, tiny_dataset_template: Path
) -> None:
    rows = listings.iloc[[0, 5, 11]]
    out = explain(model, rows, tiny_dataset_template, k=3)
    wrapper = model.unwrap_python_model()
    assert isinstance(wrapper, AppraiserModel)
    for (_, row), ids in zip(rows.iterrows(), out[COMPARABLE_IDS], strict=True):
        assert json.loads(ids)[0] == row["id"]
    explainer = wrapper.explainer
    assert explainer.comparables is not None
    assert len(explainer.comparables) == len(listings)  # every usable row is a sold listing


def test_explain_and_predict_give_the_same_price(
    model: Any, listings: pd.DataFrame, tiny_dataset_template: Path
) -> None:
    rows = listings.head(6)
    explained = explain(model, rows, tiny_dataset_template)
    predicted = model.predict(
        rows.drop(columns=["id", "price"]), params={"photo_root": str(tiny_dataset_template)}
    )
    for column in ("price", "price_low", "price_high"):
        np.testing.assert_allclose(explained[column], predicted[column], rtol=1e-4)


def test_a_bad_row_is_reported_and_the_others_are_explained(
    model: Any, listings: pd.DataFrame, tiny_dataset_template: Path
) -> None:
    rows = listings.head(3).copy()
    rows.loc[rows.index[1], "year"] = 1066
    out = explain(model, rows, tiny_dataset_template)
    assert out["error"].iloc[1].startswith("year") and out["error"].iloc[[0, 2]].eq("").all()
    assert math.isnan(out[BASELINE].iloc[1]) and out[COMPARABLE_IDS].iloc[1] == ""


def test_a_frame_scored_in_chunks_gives_every_row_its_own_answer(
    model: Any, listings: pd.DataFrame, tiny_dataset_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frames are decoded and scored FRAME_CHUNK rows at a time (memory stays flat): 7 rows in
    chunks of 3, a bad row in the second, answer as in one piece."""
    rows = listings.head(7).copy()
    rows.loc[rows.index[4], "year"] = 1066
    params = {"photo_root": str(tiny_dataset_template)}
    whole = model.predict(rows.drop(columns=["id", "price"]), params=params)
    explained = explain(model, rows, tiny_dataset_template)
    monkeypatch.setattr(pyfunc, "FRAME_CHUNK", 3)
    pd.testing.assert_frame_equal(
        model.predict(rows.drop(columns=["id", "price"]), params=params), whole
    )
    pd.testing.assert_frame_equal(explain(model, rows, tiny_dataset_template), explained)
    assert whole["error"].iloc[4].startswith("year") and len(whole) == 7
