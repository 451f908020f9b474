"""`build_model`: a branch per feature as the schema says, a wide (linear) path, one quantile head.

The deep branches (text, photo, tabular) are joined and read by a small MLP; beside them, the
wide path (`models.wide`) takes the encoded tabular inputs and a bag of words of each text
straight to the head. Both add up to the raw head output, which becomes sorted quantiles of log
price, then calibrated ones (`CalibratedQuantiles`, the model's output).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import pandas as pd
from keras import layers

from models.branches import (
    photo_branch,
    shared_photo_branch,
    tabular_branch,
    tabular_encoder,
    text_branch,
)
from models.config import ModelConfig
from models.inputs import model_inputs
from models.layers import CalibratedQuantiles, Gate, OrderedQuantiles
from models.schema import FeatureType, Schema
from models.text_normal import NormaliseText, normalised_texts
from models.wide import RidgeFit, fit_ridge, text_bag_of_words

OUTPUT = "log_price_quantiles"
WIDE = "wide"
PHOTO_PREFIXES = ("photo_", "photos")  # names of the photo branches (and `<branch>_gate`)
TABULAR_TYPES = (FeatureType.CATEGORY, FeatureType.INTEGER, FeatureType.NUMBER)
_INITIAL_GAP = 0.3  # starting distance between neighbouring quantiles, in log price
_RIDGE_BATCH = 4096  # training rows encoded at a time while fitting the wide path
VOCABULARY_SAMPLE = 50_000  # training texts the vocabularies are learned on, at most


def build_model(
    schema: Schema, config: ModelConfig, train: pd.DataFrame, seed: int = 0
) -> keras.Model:
    """The joint model over every feature of `schema`, preprocessing adapted on `train` only.

    `train` holds the training split's raw values and the target: the wide path starts as the
    ridge regression on it. A schema holding one kind of feature builds that branch alone (what
    the ablations use).
    """
    graph = _Graph()
    _add_texts(graph, schema, config, train, seed)
    _add_photos(graph, schema, config, seed + 100)
    _add_tabular(graph, schema, config, train)
    x = layers.Concatenate(name="joined")(graph.deep) if len(graph.deep) > 1 else graph.deep[0]
    log_prices = np.log(train[schema.target].to_numpy(dtype="float64"))
    if not graph.wide:
        raw = _head(x, config, _starting_bias(config, float(np.median(log_prices))))
        return _model(graph.inputs, raw, config)
    wide = graph.wide
    features = (
        layers.Concatenate(name="wide_features", dtype="float32")(wide)
        if len(wide) > 1
        else wide[0]
    )
    # float32 under mixed precision too: float16 would round a log price of 12 by about 1%.
    linear = layers.Dense(
        len(config.quantiles), name=WIDE, trainable=config.wide.trainable, dtype="float32"
    )
    raw = layers.Add(name="deep_plus_wide", dtype="float32")(
        [_head(x, config, None), linear(features)]
    )
    model = _model(graph.inputs, raw, config)
    _start_as_ridge(model, schema, graph.inputs, features, train, log_prices, config.quantiles)
    return model


@dataclass
class _Graph:
    """The model's inputs by feature name, the deep branches' outputs and the wide path's."""

    inputs: dict[str, Any] = field(default_factory=dict)
    deep: list[Any] = field(default_factory=list)
    wide: list[Any] = field(default_factory=list)


def _add_texts(
    graph: _Graph, schema: Schema, config: ModelConfig, train: pd.DataFrame, seed: int
) -> None:
    for i, feature in enumerate(schema.of_type(FeatureType.TEXT)):
        name = feature.name
        raw = graph.inputs[name] = keras.Input(shape=(), dtype="string", name=name)
        # one normalisation feeds both readers of the text (`models.text_normal`)
        text = NormaliseText(name=f"{name}_normalised")(raw)
        texts = normalised_texts(vocabulary_sample(train[name], seed).tolist())
        branch = text_branch(feature, config.text, texts, config.modality_dropout, seed + i)
        graph.deep.append(branch(text))
        if config.wide.enabled and config.wide.text_tokens:
            graph.wide.append(text_bag_of_words(name, config.wide.text_tokens, texts, text))


def vocabulary_sample(texts: pd.Series, seed: int) -> pd.Series:
    """The texts the vocabularies are learned on: every training text up to
    `VOCABULARY_SAMPLE`, a seeded sample of that many beyond, so that learning them costs the
    same memory at any dataset size (a vocabulary of a few thousand tokens is settled well
    before)."""
    if len(texts) <= VOCABULARY_SAMPLE:
        return texts
    return texts.sample(VOCABULARY_SAMPLE, random_state=seed)


def _add_photos(graph: _Graph, schema: Schema, config: ModelConfig, seed: int) -> None:
    for branch in _photo_branches(schema.of_type(FeatureType.IMAGE), config, seed):
        photos = branch.input  # a dict when one branch reads several photos
        graph.inputs.update(photos if isinstance(photos, dict) else {photos.name: photos})
        part = branch(photos)
        graph.deep.append(Gate(name=f"{branch.name}_gate")(part) if config.photos_last else part)


def _add_tabular(graph: _Graph, schema: Schema, config: ModelConfig, train: pd.DataFrame) -> None:
    tabular = [f for f in schema.features if f.type in TABULAR_TYPES]
    if not tabular:
        return
    columns = {f.name: train[f.name].tolist() for f in tabular}
    encoder = tabular_encoder(tabular, config.tabular, columns)
    inputs = {f.name: encoder.input[f.name] for f in tabular}
    graph.inputs.update(inputs)
    encoded = encoder(inputs)
    graph.deep.append(tabular_branch(int(encoded.shape[-1]), config.tabular)(encoded))
    if config.wide.enabled:
        graph.wide.append(encoded)


def photo_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The photo branches of a built model and their gates: what a staged fit freezes first."""
    return [
        layer
        for layer in model.layers
        if isinstance(layer, keras.Model | Gate) and layer.name.startswith(PHOTO_PREFIXES)
    ]


def _photo_branches(images: list[Any], config: ModelConfig, seed: int) -> list[keras.Model]:
    """One branch per image feature, or one shared by all of them (`photo.shared`)."""
    rate = config.modality_dropout
    if config.photo.shared and len(images) > 1:
        return [shared_photo_branch(images, config.photo, rate, seed)]
    return [photo_branch(f, config.photo, rate, seed + i) for i, f in enumerate(images)]


def _model(inputs: dict[str, Any], raw: Any, config: ModelConfig) -> keras.Model:
    median = config.quantiles.index(0.5)
    # float32 out even under mixed precision: the pinball loss and the prices need the range.
    ordered = OrderedQuantiles(median, name="ordered_quantiles", dtype="float32")(raw)
    calibrated = CalibratedQuantiles(median, name=OUTPUT, dtype="float32")(ordered)
    return keras.Model(inputs, calibrated, name="appraiser")


def _head(x: Any, config: ModelConfig, bias: list[float] | None) -> Any:
    """The MLP over the joined branches; with `bias` None it starts at exactly zero output."""
    for units in config.head_units:
        x = layers.Dense(units, activation="relu")(x)
        if config.dropout:
            x = layers.Dropout(config.dropout)(x)
    if bias is None:  # the wide path holds the starting prediction; the deep part adds to it
        return layers.Dense(len(config.quantiles), kernel_initializer="zeros", name="deep")(x)
    return layers.Dense(
        len(config.quantiles),
        kernel_initializer=keras.initializers.VarianceScaling(0.1),
        bias_initializer=keras.initializers.Constant(bias),
        name="deep",
    )(x)


def _starting_bias(config: ModelConfig, median_log_price: float) -> list[float]:
    """Raw head outputs for quantiles _INITIAL_GAP apart around `median_log_price`."""
    gap = _inverse_softplus(_INITIAL_GAP)
    bias = [gap] * len(config.quantiles)
    bias[config.quantiles.index(0.5)] = median_log_price
    return bias


def _start_as_ridge(
    model: keras.Model,
    schema: Schema,
    inputs: dict[str, Any],
    features: Any,
    train: pd.DataFrame,
    log_prices: np.ndarray,
    levels: list[float],
) -> RidgeFit:
    """Set the wide layer to the ridge fit on `train`, its quantile gaps to the fit's residuals."""
    used = [f for f in schema.features if f.type != FeatureType.IMAGE]
    encode = keras.Model({f.name: inputs[f.name] for f in used}, features)
    sub = schema.model_copy(update={"features": tuple(used)})

    def batches() -> Any:
        for start in range(0, len(train), _RIDGE_BATCH):
            rows = train.iloc[start : start + _RIDGE_BATCH]
            values = model_inputs(sub, rows, {})
            tensors = {k: keras.ops.convert_to_tensor(v) for k, v in values.items()}
            x = keras.ops.convert_to_numpy(encode(tensors))
            yield x, log_prices[start : start + _RIDGE_BATCH]

    fit = fit_ridge(batches())
    residuals = log_prices - np.concatenate([fit.predict(x) for x, _ in batches()])
    median = levels.index(0.5)
    bias = _quantile_biases(residuals, levels)
    bias[median] += fit.intercept
    kernel = np.zeros((len(fit.coef), len(levels)), dtype="float32")
    kernel[:, median] = fit.coef
    model.get_layer(WIDE).set_weights([kernel, bias.astype("float32")])
    return fit


def _quantile_biases(residuals: np.ndarray, levels: list[float]) -> np.ndarray:
    """Raw head outputs for quantiles at the residuals' own quantiles around the fit itself.

    The median stays the ridge prediction (the mean of a symmetric error): shifting it by the
    residuals' sample median would only add that median's noise.
    """
    median = levels.index(0.5)
    points = np.quantile(residuals, levels)
    points[median] = 0.0
    raw = np.zeros(len(levels))
    for k in range(len(levels)):
        if k != median:  # each raw value is the softplus-inverse of the gap to its inner neighbour
            inner = k + 1 if k < median else k - 1
            raw[k] = _inverse_softplus(max(abs(points[k] - points[inner]), 1e-3))
    return raw


def _inverse_softplus(value: float) -> float:
    return math.log(math.expm1(value))
