"""Listings in Korean, Japanese and a script the model never saw, over HTTP (JSON and
multipart): priced as the logged pyfunc model prices them, the same in full and half width,
and `max_chars` counted in characters."""

from __future__ import annotations

from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest

from tests.languages import DESCRIPTIONS, widths
from tests.service.conftest import NAME, ServeApp, Store, as_json, listings

pytestmark = pytest.mark.service


def _listing(store: Store, description: str) -> dict[str, Any]:
    return {**listings(store.dataset, 1)[0], "description": description}


def _price(answer: dict[str, Any]) -> list[float]:
    return [answer["price"], answer["price_range"]["low"], answer["price_range"]["high"]]


def test_any_language_over_json_and_multipart_as_the_pyfunc_model(
    serve: ServeApp, store: Store
) -> None:
    client = serve()
    known = listings(store.dataset, 1)[0]["description"]  # words the model has seen
    texts = DESCRIPTIONS | widths(known)
    rows = {key: _listing(store, text) for key, text in texts.items()}
    mlflow.set_tracking_uri(store.tracking_uri)
    model = mlflow.pyfunc.load_model(f"models:/{NAME}/{store.version}")
    expected = model.predict(pd.DataFrame(rows.values()))
    assert (expected["error"] == "").all(), expected["error"].tolist()
    prices = {}
    for i, (key, row) in enumerate(rows.items()):
        answer = client.post("/v1/predict", json=as_json(row))
        assert answer.status_code == 200, answer.text
        prices[key] = _price(answer.json())
        want = expected.iloc[i][["price", "price_low", "price_high"]].tolist()
        np.testing.assert_allclose(prices[key], want, rtol=1e-4)
        form = {k: str(v) for k, v in row.items() if k != "photo"}
        files = {"photo": ("p.jpg", row["photo"], "image/jpeg")} if row["photo"] else None
        multipart = client.post("/v1/predict", data=form, files=files)
        assert multipart.status_code == 200, multipart.text
        assert _price(multipart.json()) == prices[key]
    assert prices["full"] == prices["half"]
    assert all(p[0] > 0 for p in prices.values())


def test_max_chars_counts_characters_not_bytes(serve: ServeApp, store: Store) -> None:
    client = serve()
    limit = 2000  # the clothing schema's description limit
    at_limit = client.post("/v1/predict", json=as_json(_listing(store, "美" * limit)))
    assert at_limit.status_code == 200, at_limit.text  # 6,000 bytes of UTF-8
    over = client.post("/v1/predict", json=as_json(_listing(store, "美" * (limit + 1))))
    assert over.status_code == 422
    assert f"is {limit + 1} characters long; the limit is {limit}" in over.text
    assert "description" in over.text


def test_demo_page_declares_utf8(serve: ServeApp) -> None:
    page = serve().get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<meta charset="utf-8">' in page.text
