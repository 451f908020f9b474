"""Mixed precision: preprocessing stays float32, the fused batch normalisation takes float16
maps, and a model trained under the float16 policy is served in float32.

`training.devices.precision` falls back to float32 where no GPU is seen, so these tests set
Keras's policy themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from models.architecture import build_model
from models.branches import tabular_encoder
from models.config import ModelConfig, TabularConfig
from models.inputs import model_inputs
from models.layers import FusedBatchNormalization
from models.pyfunc import KERAS_ARTIFACT, SCHEMA_ARTIFACT, AppraiserModel
from models.schema import Feature, FeatureType, Schema

pytestmark = pytest.mark.model

SCHEMA = Schema(
    features=(
        Feature(name="brand", type=FeatureType.CATEGORY),
        Feature(name="year", type=FeatureType.INTEGER, min=1960, max=2026),
        Feature(name="area", type=FeatureType.NUMBER, min=1),
        Feature(name="description", type=FeatureType.TEXT),
    ),
    target="price",
)


@pytest.fixture
def mixed() -> Iterator[None]:
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)


def _rows(n: int = 32) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "brand": rng.choice(["Acme", "Zed", "Lux"], n),
            "year": rng.integers(1990, 2026, n),
            "area": rng.uniform(500.0, 250_000.0, n),
            "description": rng.choice(["wool coat", "silk dress", "美品のコート"], n),
            "price": rng.uniform(5.0, 500.0, n),
        }
    )


def _encode(rows: pd.DataFrame) -> np.ndarray:
    features = [SCHEMA.feature(n) for n in ("year", "area")]
    encoder = tabular_encoder(
        features, TabularConfig(), {f.name: rows[f.name].tolist() for f in features}
    )
    values = {
        "year": keras.ops.convert_to_tensor(np.array([2017], dtype="int64")),
        "area": keras.ops.convert_to_tensor(np.array([250_000.0], dtype="float32")),
    }
    encoded = encoder(values)
    assert encoded.dtype == "float32"
    return np.asarray(keras.ops.convert_to_numpy(encoded))


def test_raw_numbers_and_years_are_encoded_in_float32(mixed: None) -> None:
    """250,000 is past float16's largest value (65,504): encoded in float16 it would be inf."""
    rows = _rows()
    under_mixed = _encode(rows)
    keras.mixed_precision.set_global_policy("float32")
    assert np.isfinite(under_mixed).all()
    np.testing.assert_array_equal(under_mixed, _encode(rows))


@pytest.mark.parametrize("training", [True, False])
def test_fused_batch_norm_takes_float16_maps(mixed: None, training: bool) -> None:
    maps = np.random.default_rng(1).normal(2.0, 3.0, (8, 6, 6, 4)).astype("float16")
    fused, plain = FusedBatchNormalization(), keras.layers.BatchNormalization()
    fused.build(maps.shape)
    plain.build(maps.shape)
    out, expected = fused(maps, training=training), plain(maps, training=training)
    assert out.dtype == "float16"
    np.testing.assert_allclose(
        np.asarray(out, "float32"), np.asarray(expected, "float32"), atol=1e-2
    )
    np.testing.assert_allclose(
        fused.moving_variance.numpy(), plain.moving_variance.numpy(), rtol=1e-3
    )
    graph = tf.function(lambda x: fused(x, training=training)).get_concrete_function(maps).graph
    assert "FusedBatchNormV3" in {op.type for op in graph.get_operations()}


def test_a_model_trained_in_float16_is_served_in_float32(mixed: None, tmp_path: Path) -> None:
    rows = _rows()
    model = build_model(SCHEMA, ModelConfig(head_units=[8]), rows)
    assert model.get_layer("deep").compute_dtype == "float16"
    inputs = {k: keras.ops.convert_to_tensor(v) for k, v in model_inputs(SCHEMA, rows, {}).items()}
    trained = keras.ops.convert_to_numpy(model(inputs))
    model.save(tmp_path / "model.keras")
    (tmp_path / "schema.yaml").write_text(SCHEMA.to_yaml(), encoding="utf-8")
    keras.mixed_precision.set_global_policy("float32")  # a CPU serving image

    served = AppraiserModel()
    artifacts = {
        KERAS_ARTIFACT: str(tmp_path / "model.keras"),
        SCHEMA_ARTIFACT: str(tmp_path / "schema.yaml"),
    }
    served.load_context(SimpleNamespace(artifacts=artifacts))
    head = served.keras_model.get_layer("deep")
    assert head.compute_dtype == "float32"
    probe = keras.Model(served.keras_model.inputs, head.output)
    assert keras.ops.convert_to_numpy(probe(inputs)).dtype == np.float32
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(served.keras_model(inputs)), trained, atol=2e-2
    )
