"""The service on a tiny real model: same prices as the logged pyfunc model, batching under
concurrency, one trace of the forward pass, the model's details, and explanations."""

from __future__ import annotations

import base64
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest

from service.api.settings import Settings
from service.inference.listing import InputError
from service.inference.loading import load_predictor
from service.inference.predictor import PriceEstimate
from service.inference.split_pass import SplitPass
from tests.service.conftest import NAME, ServeApp, Store, as_json, listings

pytestmark = pytest.mark.service


@pytest.fixture(scope="module")
def reference(store: Store) -> tuple[list[dict[str, object]], pd.DataFrame]:
    """24 listings and the prices the logged pyfunc model gives them."""
    rows = listings(store.dataset, 24)
    mlflow.set_tracking_uri(store.tracking_uri)
    model = mlflow.pyfunc.load_model(f"models:/{NAME}/{store.version}")
    prices = model.predict(pd.DataFrame(rows))
    assert (prices["error"] == "").all(), prices["error"].tolist()
    return rows, prices


def _close(answer: dict[str, object], expected: pd.Series) -> None:
    got = [answer["price"], answer["price_range"]["low"], answer["price_range"]["high"]]  # type: ignore[index]
    want = [expected["price"], expected["price_low"], expected["price_high"]]
    np.testing.assert_allclose(got, want, rtol=1e-4)


def test_prices_match_the_pyfunc_model(
    serve: ServeApp, reference: tuple[list[dict[str, object]], pd.DataFrame]
) -> None:
    client = serve()
    rows, expected = reference
    for i, row in enumerate(rows[:6]):
        response = client.post("/v1/predict", json=as_json(row))
        assert response.status_code == 200, response.text
        _close(response.json(), expected.iloc[i])
        assert response.json()["model"] == {"name": NAME, "version": "1"}
    form = {k: str(v) for k, v in rows[1].items() if k != "photo"}
    photo = rows[1]["photo"]
    assert isinstance(photo, bytes)
    response = client.post(
        "/v1/predict", data=form, files={"photo": ("p.jpg", photo, "image/jpeg")}
    )
    _close(response.json(), expected.iloc[1])
    batch = client.post("/v1/predict/batch", json={"listings": [as_json(r) for r in rows]})
    for i, answer in enumerate(batch.json()["predictions"]):
        _close(answer, expected.iloc[i])


def test_concurrent_requests_share_forward_passes_and_each_gets_its_answer(
    serve: ServeApp, reference: tuple[list[dict[str, object]], pd.DataFrame]
) -> None:
    client = serve(max_wait_ms=20)
    rows, expected = reference
    before = _forward_passes(client.get("/metrics").text)
    start = threading.Barrier(len(rows))

    def post(i: int) -> dict[str, object]:
        start.wait()
        response = client.post("/v1/predict", json=as_json(rows[i]))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(len(rows)) as pool:
        answers = list(pool.map(post, range(len(rows))))
    for i, answer in enumerate(answers):
        _close(answer, expected.iloc[i])
    passes = _forward_passes(client.get("/metrics").text) - before
    assert passes < len(rows), f"{passes} forward passes for {len(rows)} requests"


def test_forward_pass_is_traced_once_for_every_batch_shape(
    store: Store, reference: tuple[list[dict[str, object]], pd.DataFrame]
) -> None:
    settings = Settings(tracking_uri=store.tracking_uri, max_batch_size=8)
    predictor = load_predictor(f"models:/{NAME}@champion", settings)
    predictor.warm()
    assert predictor.trace_count == 1
    rows, expected = reference
    for n in (1, 3, 8, 13, 24):  # 13 and 24 span several passes of the largest shape
        prices = [o.price for o in predictor.predict(rows[:n]) if isinstance(o, PriceEstimate)]
        np.testing.assert_allclose(np.array(prices), expected["price"].iloc[:n], rtol=1e-4)
    assert predictor.trace_count == 1
    bad = predictor.predict([{"year": 1800}, rows[0]])
    assert "below the minimum" in str(bad[0]) and not isinstance(bad[1], Exception)


def test_rows_repeating_a_photo_score_as_rows_that_do_not(
    store: Store, reference: tuple[list[dict[str, object]], pd.DataFrame]
) -> None:
    """An explanation's coalition rows share two photos, which the predictor runs through the
    photo branch once each (service.inference.split_pass): the answers must be the full
    pass's, which the same rows with photos copied (nothing shared) get."""
    settings = Settings(tracking_uri=store.tracking_uri, max_batch_size=16)
    predictor = load_predictor(f"models:/{NAME}@champion", settings)
    assert predictor.explainer is not None
    rows, _ = reference
    coalitions = [r for row in rows[:2] for r in predictor.explainer.rows(predictor.prepare(row))]
    copied = [replace(r, photos={n: p.copy() for n, p in r.photos.items()}) for r in coalitions]
    assert SplitPass.repeats(coalitions) and not SplitPass.repeats(copied)
    shared, alone = predictor.forward(coalitions), predictor.forward(copied)
    for a, b in zip(shared, alone, strict=True):
        np.testing.assert_allclose([a.price, a.low, a.high], [b.price, b.low, b.high], rtol=1e-5)
        assert a.representation is not None and b.representation is not None
        np.testing.assert_allclose(a.representation, b.representation, rtol=1e-5, atol=1e-6)


def test_predictor_reads_photo_paths_under_a_root_for_the_batch_scorer(store: Store) -> None:
    predictor = load_predictor(
        f"models:/{NAME}/{store.version}", Settings(tracking_uri=store.tracking_uri)
    )
    photo = sorted((store.dataset / "photos").iterdir())[0]
    listing = {"brand": "Nordvik", "year": 2010, "description": "wool coat"}
    by_path, by_bytes, outside = predictor.predict(
        [
            {**listing, "photo": f"photos/{photo.name}"},
            {**listing, "photo": photo.read_bytes()},
            {**listing, "photo": "../../etc/passwd.jpg"},
        ],
        root=store.dataset,
    )
    assert by_path == by_bytes
    assert isinstance(outside, InputError) and "outside" in outside.problem


def test_model_route_reports_version_run_metrics_and_device(serve: ServeApp, store: Store) -> None:
    body = serve().get("/v1/model").json()
    assert body["name"] == NAME and body["version"] == store.version
    assert body["uri"] == f"models:/{NAME}/{store.version}"
    assert len(body["run_id"]) == 32
    assert {"rmsle", "mae", "r2"} <= set(body["test_metrics"])
    assert body["device"] in ("/CPU:0", "/GPU:0")
    assert body["example"]["year"] and "photo" not in body["example"]
    assert [f["name"] for f in body["features"]] == ["brand", "year", "description", "photo"]


def test_explain_prices_as_predict_its_contributions_add_up_and_a_sold_listing_finds_itself(
    serve: ServeApp, store: Store
) -> None:
    client = serve()
    frame = pd.read_csv(store.dataset / "listings.csv", dtype=str, keep_default_na=False)
    sold = [_as_sent(store, row) for _, row in frame.head(3).iterrows()]
    no_photo = {**sold[0], "photo": None}
    no_text = {**sold[1], "description": ""}
    for listing in (*sold, no_photo, no_text):
        explained = client.post("/v1/explain", json=listing)
        assert explained.status_code == 200, explained.text
        body = explained.json()
        predicted = client.post("/v1/predict", json=listing).json()
        got = [body["price"], body["price_range"]["low"], body["price_range"]["high"]]
        want = [
            predicted["price"],
            predicted["price_range"]["low"],
            predicted["price_range"]["high"],
        ]
        np.testing.assert_allclose(got, want, rtol=1e-4)
        total = sum(c["log_price"] for c in body["contributions"])
        assert abs(total - math.log(body["price"] / body["baseline_price"])) < 1e-4
    for (_, row), listing in zip(frame.head(3).iterrows(), sold, strict=True):
        nearest = client.post("/v1/explain?comparables=3", json=listing).json()["comparables"]
        assert nearest[0]["id"] == row["id"], (row["id"], nearest)
        assert nearest[0]["distance"] < 1e-3
        assert len(nearest) == 3


def _as_sent(store: Store, row: pd.Series) -> dict[str, Any]:
    """A dataset row as a client sends it: its own values, its photo's bytes as base64."""
    photo = (store.dataset / row["photo"]).read_bytes() if row["photo"] else None
    return {
        "brand": row["brand"],
        "year": int(row["year"]),
        "description": row["description"],
        "photo": base64.b64encode(photo).decode() if photo else None,
    }


def _forward_passes(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith("appraiser_batch_size_count "):
            return float(line.split()[1])
    raise AssertionError("no appraiser_batch_size_count in /metrics")
