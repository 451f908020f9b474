"""The same listings give the model the same input tensors by every route: the pyfunc model, the
HTTP routes (JSON, form, batch) and the batch scorer, listings without description, brand or
photo included. A recording model captures what each forward pass really receives."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from fastapi.testclient import TestClient

from models.pyfunc import AppraiserModel
from models.schema import Feature, FeatureType, Schema
from service.api.app import create_app
from service.api.settings import Settings
from service.inference.predictor import Predictor
from service.inference.registry import ModelInfo
from service.scoring.chunk import score_chunk
from service.scoring.source import open_source, read_chunks
from tests.api.conftest import wait_ready

pytestmark = pytest.mark.service
SIDE = 8  # the recording model's photo side
Seen = dict[int, tuple[Any, ...]]  # year → what the model got for that listing


class _Record(keras.layers.Layer):
    """Hands each call's input values to `calls` (at run time, in graph mode too); answers
    three fixed quantiles."""

    def __init__(self, names: list[str], calls: list[dict[str, np.ndarray]]) -> None:
        super().__init__()
        # A bound method, not the list: Keras would track (copy) a list attribute.
        self.names, self.keep = tuple(names), calls.append

    def call(self, inputs: dict[str, tf.Tensor]) -> tf.Tensor:
        def record(*arrays: np.ndarray) -> np.ndarray:
            self.keep(dict(zip(self.names, arrays, strict=True)))
            return np.tile(np.array([3.0, 3.5, 4.0], np.float32), (len(arrays[0]), 1))

        out = tf.numpy_function(record, [inputs[n] for n in self.names], tf.float32)
        out.set_shape((None, 3))
        return out

    def compute_output_shape(self, input_shape: Any) -> tuple[None, int]:
        return (None, 3)


def recording_model(schema: Schema, calls: list[dict[str, np.ndarray]]) -> keras.Model:
    dtypes = {FeatureType.INTEGER: "int64", FeatureType.NUMBER: "float32"}
    inputs, wired = {}, {}
    for f in schema.features:
        if f.type == FeatureType.IMAGE:
            inputs[f.name] = keras.Input((SIDE, SIDE, 3), dtype="uint8", name=f.name)
            # image_size() reads the photo side off this layer, as off a real model.
            wired[f.name] = keras.layers.Identity(name=f"photo_{f.name}")(inputs[f.name])
        else:
            inputs[f.name] = keras.Input((), dtype=dtypes.get(f.type, "string"), name=f.name)
            wired[f.name] = inputs[f.name]
    names = [f.name for f in schema.features]
    return keras.Model(inputs, _Record(names, calls)(wired))


def recording_schema(folder: Path) -> Schema:
    """The synthetic data's schema plus an optional integer and an optional number, so every
    feature type has a listing that lacks it."""
    extra = (
        Feature(name="size", type=FeatureType.INTEGER, min=30, max=60, required=False),
        Feature(name="weight_kg", type=FeatureType.NUMBER, min=0.1, max=20, required=False),
    )
    base = Schema.load(folder)
    return base.model_copy(update={"features": (*base.features, *extra)})


@pytest.fixture(scope="module")
def listings(tiny_dataset_template: Path) -> pd.DataFrame:
    """Six listings of our synthetic data as CSV text, each year unique (it names the listing
    in a pass); some lack a description, a brand, a photo, a size or a weight."""
    frame = pd.read_csv(tiny_dataset_template / "listings.csv", dtype=str, keep_default_na=False)
    frame = frame[frame["photo"] != ""].head(6).reset_index(drop=True)
    frame["year"] = [str(2001 + i) for i in range(len(frame))]
    frame["size"] = ["42", "", "38", "", "50", "31"]
    frame["weight_kg"] = ["1.25", "0.5", "", "", "2", "19.5"]
    frame.loc[1, "description"] = ""
    frame.loc[2, "photo"] = ""
    frame.loc[3, ["brand", "description"]] = ""
    frame.loc[4, "description"] = "  naïve café coat — 100% wool  "
    return frame.drop(columns=["price"])


def _comparable(value: Any) -> Any:
    """A value that compares equal when the input is the same (NaN included)."""
    if isinstance(value, np.ndarray):
        return value.tobytes()
    if isinstance(value, np.floating) and np.isnan(value):
        return "NaN"
    return value


def _seen(calls: list[dict[str, np.ndarray]], years: set[int]) -> Seen:
    """Per listing (by year), its row of every input; padding rows are left out."""
    seen: Seen = {}
    for call in calls:
        for i, year in enumerate(call["year"].tolist()):
            if year in years:
                assert year not in seen, f"listing {year} reached the model twice"
                seen[year] = tuple(_comparable(call[name][i]) for name in call)
    assert set(seen) == years
    return seen


@pytest.fixture
def recorded(tiny_dataset: Path) -> Iterator[tuple[keras.Model, Predictor, list[Any]]]:
    """The recording model, the service's predictor around it, and the calls it records."""
    calls: list[dict[str, np.ndarray]] = []
    schema = recording_schema(tiny_dataset)
    info = ModelInfo(name="recorder", version="1", uri="models:/recorder/1")
    model = recording_model(schema, calls)
    predictor = Predictor(model, schema, info, batch_sizes=(1, 2, 4, 8))
    predictor.warm()
    calls.clear()
    yield model, predictor, calls


def _json(row: dict[str, str], root: Path) -> dict[str, Any]:
    """The listing as a JSON client sends it: numbers as numbers, null when missing, the photo
    as base64 text."""
    photo = base64.b64encode((root / row["photo"]).read_bytes()).decode() if row["photo"] else None
    kinds = {"year": int, "size": int, "weight_kg": float}
    numbers = {k: kind(row[k]) if row[k] else None for k, kind in kinds.items()}
    return {**row, **numbers, "photo": photo}


def test_every_route_gives_the_model_the_same_inputs(
    listings: pd.DataFrame,
    recorded: tuple[keras.Model, Predictor, list[Any]],
    tiny_dataset: Path,
) -> None:
    root = tiny_dataset
    model, served, calls = recorded
    years = {int(y) for y in listings["year"]}
    records = listings.drop(columns=["id"]).to_dict("records")
    rows = [{str(k): str(v) for k, v in r.items()} for r in records]
    seen: dict[str, Seen] = {}

    wrapper = AppraiserModel()
    wrapper.keras_model, wrapper.schema = model, served.schema
    source = root / "score-input.csv"  # beside the photos, as the scorer wants its input
    listings.to_csv(source, index=False)
    # As MLflow's tools read a CSV: missing values are NaN, numeric columns typed.
    priced = wrapper.predict_frame(pd.read_csv(source).drop(columns=["id"]), root)
    assert (priced["error"] == "").all(), priced["error"].tolist()
    seen["pyfunc"], calls[:] = _seen(calls, years), []

    settings = Settings(model_uri="models:/recorder/1", reload_interval_s=0)
    app = create_app(settings, lambda uri, s: served, lambda uri: None)
    with TestClient(app) as client:
        wait_ready(client)
        for row in rows:
            assert client.post("/v1/predict", json=_json(row, root)).status_code == 200
        seen["HTTP JSON"], calls[:] = _seen(calls, years), []
        for row in rows:
            form = {k: v for k, v in row.items() if k != "photo"}
            photo = (root / row["photo"]).read_bytes() if row["photo"] else b""
            files = {"photo": ("p.jpg", photo, "image/jpeg")}
            assert client.post("/v1/predict", data=form, files=files).status_code == 200
        seen["HTTP form"], calls[:] = _seen(calls, years), []
        batch = {"listings": [_json(row, root) for row in rows]}
        assert client.post("/v1/predict/batch", json=batch).status_code == 200
        seen["HTTP batch"], calls[:] = _seen(calls, years), []

    scorer = open_source(source)
    [chunk] = read_chunks(scorer, list(listings.columns), 100)
    out = score_chunk(served, chunk, "id", 1, scorer.root)
    assert (out["error"] == "").all(), out["error"].tolist()
    seen["batch scorer"] = _seen(calls, years)

    reference = seen.pop("pyfunc")
    assert reference[2002][2] == b"" and reference[2004][0] == b""  # missing → empty text
    assert not any(np.frombuffer(reference[2003][3], np.uint8))  # no photo → zeros
    for route, got in seen.items():
        assert got == reference, route
