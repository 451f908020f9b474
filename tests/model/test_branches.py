"""Branch builders, the joint model's structure, and quantiles that never cross."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from models import architecture
from models.architecture import OUTPUT, build_model, photo_layers
from models.branches import photo_branch, tabular_branch, tabular_encoder, text_branch
from models.config import ModelConfig, PhotoConfig, TabularConfig, TextConfig
from models.layers import FusedBatchNormalization, OrderedQuantiles
from models.schema import Feature, FeatureType, Schema, clothing_schema
from training import baselines
from training.baselines import LinearBaseline

pytestmark = pytest.mark.model


def _rows(n: int = 24) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "brand": rng.choice(["Acme", "Zed", "Lux"], n),
            "year": rng.integers(1990, 2026, n),
            "description": rng.choice(["wool coat, good", "silk dress new", ""], n),
            "photo": [""] * n,
            "price": rng.uniform(5, 500, n),
        }
    )


def test_text_branch_is_named_and_pools_to_filters_plus_presence() -> None:
    feature = Feature(name="description", type=FeatureType.TEXT)
    branch = text_branch(feature, TextConfig(filters=[16, 8]), ["a b c", "d e"], 0.0, seed=1)
    assert branch.name == "text_description"
    assert branch.output.shape == (None, 8 + 1)


@pytest.mark.parametrize("block", ["residual", "inception"])
def test_photo_branch_downsamples_and_pools(block: str) -> None:
    feature = Feature(name="photo", type=FeatureType.IMAGE)
    config = PhotoConfig(image_size=32, block_filters=[8, 16], block=block)  # type: ignore[arg-type]
    branch = photo_branch(feature, config, 0.0, seed=1)
    assert branch.name == "photo_photo"
    assert branch.input.shape == (None, 32, 32, 3)
    assert branch.output.shape == (None, 16 * 2 + 1)  # average and max pooled, plus presence
    if block == "residual":  # a 1x1 projection shortcut wherever the shape changes
        kernels = [
            layer.kernel_size for layer in branch.layers if isinstance(layer, keras.layers.Conv2D)
        ]
        assert kernels.count((1, 1)) == 2


@pytest.mark.parametrize(("size", "stride", "side"), [(64, 2, 32), (96, 3, 32), (32, 1, 32)])
def test_the_stem_stride_sets_the_side_of_the_first_feature_map(
    size: int, stride: int, side: int
) -> None:
    """Stride 3 on 96 px photos leaves the 32x32 map that stride 2 leaves on 64 px ones."""
    feature = Feature(name="photo", type=FeatureType.IMAGE)
    config = PhotoConfig(image_size=size, stem_stride=stride, block_filters=[8])
    branch = photo_branch(feature, config, 0.0, seed=1)
    stem = next(layer for layer in branch.layers if isinstance(layer, keras.layers.Conv2D))
    assert stem.strides == (stride, stride)
    assert stem.output.shape[1:3] == (side, side)


@pytest.mark.parametrize(
    ("choice", "kind"),
    [("fused", FusedBatchNormalization), ("keras", keras.layers.BatchNormalization)],
)
def test_batch_norm_choice_sets_every_normalisation_layer(
    choice: str, kind: type[keras.layers.Layer]
) -> None:
    feature = Feature(name="photo", type=FeatureType.IMAGE)
    config = PhotoConfig(image_size=32, block_filters=[8, 16], batch_norm=choice)  # type: ignore[arg-type]
    norms = [
        type(layer)
        for layer in photo_branch(feature, config, 0.0, seed=1).layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert norms == [kind] * 7  # the stem, and three per stage (two convolutions, one shortcut)


def test_bottlenecks_narrow_the_photo_and_text_outputs_to_their_width_plus_presence() -> None:
    photo = Feature(name="photo", type=FeatureType.IMAGE)
    config = PhotoConfig(image_size=32, block_filters=[8, 16], bottleneck=4)
    assert photo_branch(photo, config, 0.0, seed=1).output.shape == (None, 4 + 1)
    text = Feature(name="description", type=FeatureType.TEXT)
    branch = text_branch(text, TextConfig(filters=[16], bottleneck=3), ["a b", "c"], 0.0, seed=1)
    assert branch.output.shape == (None, 3 + 1)


def test_tabular_encoder_has_unknown_slot_and_year_one_hot() -> None:
    schema = clothing_schema()
    features = [schema.feature("brand"), schema.feature("year")]
    rows = _rows()
    config = TabularConfig(units=[8])
    encoder = tabular_encoder(features, config, {f.name: rows[f.name].tolist() for f in features})
    assert encoder.name == "tabular_encoder"
    lookup = encoder.get_layer("brand_lookup")
    assert lookup.vocabulary_size() == 4  # three brands plus the out-of-vocabulary slot
    encoded = encoder(
        {
            "brand": keras.ops.convert_to_tensor(["Never seen"]),
            "year": keras.ops.convert_to_tensor([1999]),
        }
    )
    assert encoded.shape == (1, 4 + (2026 - 1960 + 2) + 1)  # brand, year one-hot + value
    branch = tabular_branch(int(encoded.shape[-1]), config)
    assert branch.name == "tabular"
    assert branch(encoded).shape == (1, 8)


def test_joint_model_has_one_branch_per_kind_and_quantile_head() -> None:
    config = ModelConfig(photo=PhotoConfig(image_size=16, block_filters=[8]))
    model = build_model(clothing_schema(), config, _rows())
    names = {layer.name for layer in model.layers}
    assert {"text_description", "photo_photo", "tabular", "wide", OUTPUT} <= names
    assert model.output.shape == (None, 3)


def test_without_the_wide_path_the_deep_head_holds_the_start() -> None:
    config = ModelConfig(photo=PhotoConfig(image_size=16, block_filters=[8]))
    config = config.model_copy(update={"wide": config.wide.model_copy(update={"enabled": False})})
    model = build_model(clothing_schema(), config, _rows())
    assert "wide" not in {layer.name for layer in model.layers}


def test_quantiles_never_cross() -> None:
    raw = np.random.default_rng(1).normal(0, 5, size=(500, 5)).astype("float32")
    out = keras.ops.convert_to_numpy(OrderedQuantiles(median_index=2)(raw))
    assert np.all(np.diff(out, axis=1) >= 0)
    np.testing.assert_allclose(out[:, 2], raw[:, 2])


def test_joint_model_under_mixed_precision_outputs_float32_quantiles() -> None:
    """The GPU mixed-precision path: float16 compute inside, float32 quantiles out."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        config = ModelConfig(photo=PhotoConfig(image_size=16, block_filters=[8]))
        rows = _rows()
        model = build_model(clothing_schema(), config, rows)
        inputs = {
            "brand": keras.ops.convert_to_tensor(rows["brand"].tolist()),
            "year": keras.ops.convert_to_tensor(rows["year"].to_numpy()),
            "description": keras.ops.convert_to_tensor(rows["description"].tolist()),
            "photo": keras.ops.zeros((len(rows), 16, 16, 3), dtype="uint8"),
        }
        out = model(inputs)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert model.get_layer("joined").compute_dtype == "float16"
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(out)))


def test_rare_category_values_share_the_unknown_slot() -> None:
    """A brand seen once trains the unknown slot, which unseen brands then use."""
    feature = Feature(name="brand", type=FeatureType.CATEGORY)
    brands = ["Acme"] * 3 + ["Zed"] * 2 + ["One-off"]
    encoder = tabular_encoder([feature], TabularConfig(min_count=2), {"brand": brands})
    lookup = encoder.get_layer("brand_lookup")
    assert lookup.get_vocabulary() == ["[UNK]", "Acme", "Zed"]
    codes = keras.ops.convert_to_numpy(lookup(keras.ops.convert_to_tensor(["One-off", "New"])))
    assert codes[:, 0].tolist() == [1.0, 1.0]


def test_a_long_tail_of_categories_is_capped_at_the_most_frequent() -> None:
    """Beyond `max_categories` values, the rarer ones share the unknown slot: the model's and
    the linear baseline's one-hots stay as wide whatever the number of brands."""
    feature = Feature(name="brand", type=FeatureType.CATEGORY)
    brands = ["Acme"] * 5 + ["Zed"] * 4 + ["Ray"] * 3 + ["Oak"] * 2
    config = TabularConfig(min_count=2, max_categories=2)
    encoder = tabular_encoder([feature], config, {"brand": brands})
    assert encoder.get_layer("brand_lookup").get_vocabulary() == ["[UNK]", "Acme", "Zed"]
    schema = Schema(features=(feature,), target="price")
    frame = pd.DataFrame({"brand": brands, "price": np.linspace(10.0, 50.0, len(brands))})
    baseline = LinearBaseline(schema, max_categories=2).fit(frame)
    assert sum(len(c) for c in baseline.onehot.categories_) == 4  # every value seen
    assert baseline.onehot.transform(frame[["brand"]]).shape[1] == 3  # two, and the rest


def test_the_linear_baseline_fitted_a_chunk_at_a_time_is_the_same_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rows are encoded and summed into X'X a chunk at a time so that memory does not grow with
    the rows; chunks of 5 rows (the last one short) must give the one-chunk fit."""
    schema = clothing_schema()
    train, test = _rows(48), _rows(17)
    whole = LinearBaseline(schema).fit(train).predict(test)
    monkeypatch.setattr(baselines, "_CHUNK", 5)
    chunked = LinearBaseline(schema).fit(train).predict(test)
    assert len(chunked) == len(test)
    np.testing.assert_allclose(chunked, whole, rtol=1e-9)


def test_the_linear_baselines_text_vocabulary_comes_from_a_stated_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[list[str]] = []
    fit = TfidfVectorizer.fit

    def spy(self: TfidfVectorizer, documents: pd.Series, y: object = None) -> TfidfVectorizer:
        seen.append(list(documents))
        return fit(self, documents)

    monkeypatch.setattr(TfidfVectorizer, "fit", spy)
    monkeypatch.setattr(LinearBaseline, "VOCABULARY_SAMPLE", 4)
    train = _rows(40)
    train["description"] = [f"text {i}" for i in range(40)]
    LinearBaseline(clothing_schema()).fit(train)
    assert len(seen) == 1 and len(seen[0]) == 4
    assert set(seen[0]) <= set(train["description"])


def test_vocabularies_are_learned_on_every_text_up_to_the_sample_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = pd.Series([f"text {i}" for i in range(30)])
    monkeypatch.setattr(architecture, "VOCABULARY_SAMPLE", 30)
    pd.testing.assert_series_equal(architecture.vocabulary_sample(texts, seed=1), texts)
    monkeypatch.setattr(architecture, "VOCABULARY_SAMPLE", 8)
    sample = architecture.vocabulary_sample(texts, seed=1)
    assert len(sample) == 8 and set(sample) <= set(texts)
    pd.testing.assert_series_equal(sample, architecture.vocabulary_sample(texts, seed=1))


def test_positive_numbers_enter_as_values_and_as_logs() -> None:
    """An area moves price by ratios; a number that may be zero or negative gets no log."""
    area = Feature(name="area", type=FeatureType.NUMBER, min=1.0)
    delta = Feature(name="delta", type=FeatureType.NUMBER)
    columns = {"area": [100.0, 1000.0, 10000.0], "delta": [-1.0, 0.0, 1.0]}
    encoder = tabular_encoder([area, delta], TabularConfig(), columns)
    names = {layer.name for layer in encoder.layers}
    assert {"area_norm", "area_log_norm", "delta_norm"} <= names
    assert "delta_log_norm" not in names
    logs = encoder.get_layer("area_log_norm")(np.log(np.array([[100.0], [1000.0], [10000.0]])))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(logs)[:, 0], [-1.2247, 0, 1.2247], atol=1e-3
    )


def _houses_like_rows(n: int = 24) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = pd.DataFrame({"zipcode": rng.choice(["1", "2"], n), "area": rng.uniform(500, 3000, n)})
    for room in ("kitchen", "frontal"):
        rows[f"photo_{room}"] = ""
    rows["price"] = np.exp(12 + rng.normal(0, 0.3, n))
    return rows


def _houses_like_schema() -> Schema:
    return Schema(
        features=(
            Feature(name="zipcode", type=FeatureType.CATEGORY),
            Feature(name="area", type=FeatureType.NUMBER, min=1),
            Feature(name="photo_kitchen", type=FeatureType.IMAGE),
            Feature(name="photo_frontal", type=FeatureType.IMAGE),
        )
    )


def _inputs(rows: pd.DataFrame, photos: np.ndarray) -> dict[str, object]:
    return {
        "zipcode": keras.ops.convert_to_tensor(rows["zipcode"].tolist()),
        "area": keras.ops.convert_to_tensor(rows["area"].to_numpy("float32")),
        "photo_kitchen": keras.ops.convert_to_tensor(photos),
        "photo_frontal": keras.ops.convert_to_tensor(photos[::-1]),
    }


def test_one_shared_encoder_reads_every_photo_and_survives_a_reload(tmp_path: Path) -> None:
    config = ModelConfig(photo=PhotoConfig(image_size=16, block_filters=[8], shared=True))
    rows = _houses_like_rows()
    model = build_model(_houses_like_schema(), config, rows)
    photos = model.get_layer("photos")
    encoders = [layer for layer in photos.layers if layer.name == "photo_encoder"]
    assert len(encoders) == 1  # one convnet, called once per photo feature
    assert {"photo_kitchen_projection", "photo_frontal_projection"} <= {
        layer.name for layer in photos.layers
    }
    image = np.random.default_rng(1).integers(0, 255, (len(rows), 16, 16, 3)).astype("uint8")
    before = keras.ops.convert_to_numpy(model(_inputs(rows, image), training=False))
    model.save(tmp_path / "shared.keras")
    loaded = keras.models.load_model(tmp_path / "shared.keras")
    after = keras.ops.convert_to_numpy(loaded(_inputs(rows, image), training=False))
    np.testing.assert_allclose(after, before, atol=1e-6)


def test_photos_that_join_last_start_closed() -> None:
    """With their gates at zero, the photos cannot move a price until training opens them."""
    config = ModelConfig(photo=PhotoConfig(image_size=16, block_filters=[8]), photos_last=True)
    rows = _houses_like_rows()
    model = build_model(_houses_like_schema(), config, rows)
    assert {layer.name for layer in photo_layers(model)} == {
        "photo_photo_kitchen",
        "photo_photo_frontal",
        "photo_photo_kitchen_gate",
        "photo_photo_frontal_gate",
    }
    rng = np.random.default_rng(2)
    prices = [
        keras.ops.convert_to_numpy(model(_inputs(rows, photos), training=False))
        for photos in (
            np.zeros((len(rows), 16, 16, 3), "uint8"),
            rng.integers(0, 255, (len(rows), 16, 16, 3)).astype("uint8"),
        )
    ]
    np.testing.assert_array_equal(prices[0], prices[1])
