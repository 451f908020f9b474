"""The wide path: a ridge fit from running sums, and a joint model that starts as that fit."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from models.architecture import OUTPUT, WIDE, build_model
from models.config import ModelConfig, PhotoConfig
from models.inputs import model_inputs
from models.schema import clothing_schema
from models.wide import ALPHAS, fit_ridge

pytestmark = pytest.mark.model


def _regression(n: int, p: int, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    return x, 3.0 + x @ rng.normal(size=p) + rng.normal(0, noise, n)


@pytest.mark.parametrize("in_place", [False, True])
def test_ridge_from_batches_equals_scikit_learn_at_the_chosen_penalty(in_place: bool) -> None:
    x, y = _regression(500, 12, noise=1.0)
    batches = [(x[i : i + 64], y[i : i + 64]) for i in range(0, 500, 64)]
    fit = fit_ridge(batches, in_place)
    reference = Ridge(alpha=fit.alpha).fit(x, y)
    np.testing.assert_allclose(fit.coef, reference.coef_, rtol=1e-6, atol=1e-8)
    assert fit.intercept == pytest.approx(reference.intercept_)


def test_gcv_penalises_more_when_there_is_more_noise_per_feature() -> None:
    """Few rows of pure noise call for a large penalty; many clean rows for a small one."""
    clean = fit_ridge([_regression(2000, 5, noise=0.01)])
    rng = np.random.default_rng(1)
    noise = fit_ridge([(rng.normal(size=(60, 40)), rng.normal(size=60))])
    assert clean.alpha == min(ALPHAS)
    assert noise.alpha > 100 * clean.alpha


def _rows(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    brands = rng.choice(["Acme", "Zed", "Lux"], n)
    rows = pd.DataFrame(
        {
            "brand": brands,
            "year": rng.integers(1990, 2026, n),
            "description": rng.choice(["wool coat good", "silk dress new", ""], n),
            "photo": [""] * n,
        }
    )
    rows["price"] = np.exp(3 + 1.5 * (brands == "Lux") + rng.normal(0, 0.2, n))
    return rows


def test_the_joint_model_starts_as_the_ridge_fit_of_its_wide_features() -> None:
    rows = _rows()
    config = ModelConfig(photo=PhotoConfig(image_size=16, block_filters=[8]))
    model = build_model(clothing_schema(), config, rows)
    values = model_inputs(clothing_schema(), rows, {"photo": np.zeros((len(rows), 16, 16, 3))})
    tensors = {k: keras.ops.convert_to_tensor(v) for k, v in values.items()}
    quantiles = keras.ops.convert_to_numpy(model(tensors))
    features = keras.Model(model.inputs, model.get_layer("wide_features").output)(tensors)
    ridge = fit_ridge([(keras.ops.convert_to_numpy(features), np.log(rows["price"]))])
    kernel = model.get_layer(WIDE).get_weights()[0]
    np.testing.assert_allclose(kernel[:, 1], ridge.coef, atol=1e-5)
    median = ridge.predict(keras.ops.convert_to_numpy(features))
    np.testing.assert_allclose(quantiles[:, 1], median, atol=1e-4)
    # the range starts at the residuals' own 10% and 90% points around the median
    below = np.mean(np.log(rows["price"]) < quantiles[:, 0])
    above = np.mean(np.log(rows["price"]) > quantiles[:, 2])
    assert below == pytest.approx(0.1, abs=0.03) and above == pytest.approx(0.1, abs=0.03)
    assert model.get_layer(OUTPUT).name == OUTPUT
