"""Branch builders: one named sub-model per kind of input, each usable alone (for ablations).

Every builder adapts its preprocessing layers on the training values it is given, so what was
fitted on training data is saved inside the model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import keras
import numpy as np
from keras import layers

from models.config import PhotoConfig, TabularConfig, TextConfig
from models.layers import BlankPhoto, BlankText, FusedBatchNormalization, Log, Presence
from models.schema import Feature, FeatureType

Norm = type[keras.layers.Layer]  # a batch normalisation layer class
# Preprocessing computes in float32 under mixed precision too: float16 ends at 65504, so a raw
# area or mileage would become inf, and it would round a year's scaled value to 3 digits.
PRE = "float32"


def text_branch(
    feature: Feature, config: TextConfig, texts: Sequence[str], blank_rate: float, seed: int
) -> keras.Model:
    """Text → token ids → embedding → stacked Conv1D → global max pool, plus a presence flag.

    It reads text as `models.text_normal.NormaliseText` leaves it, and `texts` are too."""
    name = feature.name
    raw = keras.Input(shape=(), dtype="string", name=f"{name}_normalised")
    vectorizer = layers.TextVectorization(
        max_tokens=config.max_tokens,
        output_sequence_length=config.sequence_length,
        name=f"{name}_vectorizer",
    )
    vectorizer.adapt(np.asarray(texts, dtype=object))
    ids = vectorizer(BlankText(blank_rate, seed=seed, name=f"{name}_blank")(raw))
    x = layers.Embedding(vectorizer.vocabulary_size(), config.embedding_dim)(ids)
    for filters in config.filters:
        x = layers.Conv1D(filters, config.kernel_size, padding="same", activation="relu")(x)
    pooled = layers.GlobalMaxPooling1D()(x)
    if config.bottleneck:
        pooled = layers.Dense(config.bottleneck)(pooled)
    present = Presence(name=f"{name}_present")(ids)
    return keras.Model(raw, layers.Concatenate()([pooled, present]), name=f"text_{name}")


def photo_branch(
    feature: Feature, config: PhotoConfig, blank_rate: float, seed: int
) -> keras.Model:
    """uint8 photo → strided stem → residual (or inception) stages → global pooling, + presence."""
    name = feature.name
    size = config.image_size
    raw = keras.Input(shape=(size, size, 3), dtype="uint8", name=name)
    photos = BlankPhoto(blank_rate, seed=seed, name=f"{name}_blank")(raw)
    present = Presence(name=f"{name}_present")(photos)
    pooled = _photo_features(photos, config, seed)
    if config.bottleneck:
        pooled = layers.Dense(config.bottleneck)(pooled)
    return keras.Model(raw, layers.Concatenate()([pooled, present]), name=f"photo_{name}")


def shared_photo_branch(
    features: Sequence[Feature], config: PhotoConfig, blank_rate: float, seed: int
) -> keras.Model:
    """One convnet for every photo of a listing (a house's rooms), each photo with its own
    projection of the convnet's output, so the head still knows which one it saw: the convnet
    learns from N times the examples with the weights of one."""
    size = config.image_size
    raw = keras.Input(shape=(size, size, 3), dtype="uint8")
    encoder = keras.Model(raw, _photo_features(raw, config, seed), name="photo_encoder")
    width = config.bottleneck or int(encoder.output.shape[-1])
    inputs: dict[str, Any] = {}
    parts: list[Any] = []
    for i, feature in enumerate(features):
        name = feature.name
        inputs[name] = keras.Input(shape=(size, size, 3), dtype="uint8", name=name)
        photos = BlankPhoto(blank_rate, seed=seed + i, name=f"{name}_blank")(inputs[name])
        parts.append(layers.Dense(width, name=f"{name}_projection")(encoder(photos)))
        parts.append(Presence(name=f"{name}_present")(photos))
    return keras.Model(inputs, layers.Concatenate()(parts), name="photos")


def _photo_features(photos: Any, config: PhotoConfig, seed: int) -> Any:
    """Rescale, augment, stem, stages, global pooling: the convnet every photo branch runs."""
    x = layers.Rescaling(1.0 / 255.0)(photos)
    if config.flip:
        x = layers.RandomFlip("horizontal", seed=seed)(x)
    if config.shift:
        x = layers.RandomTranslation(config.shift, config.shift, fill_mode="constant", seed=seed)(x)
    norm = _NORMS[config.batch_norm]
    x = _conv_bn(x, config.stem_filters, 3, strides=config.stem_stride, norm=norm)
    block = residual_block if config.block == "residual" else inception_block
    for filters in config.block_filters:
        x = block(x, filters, strides=2, norm=norm)
    pooled = [layers.GlobalAveragePooling2D()(x)]
    if config.pooling == "avg+max":
        pooled.append(layers.GlobalMaxPooling2D()(x))
    return layers.Concatenate()(pooled) if len(pooled) > 1 else pooled[0]


_NORMS: dict[str, Norm] = {
    "fused": FusedBatchNormalization,
    "keras": layers.BatchNormalization,
}


def _conv_bn(
    x: Any,
    filters: int,
    kernel: int,
    strides: int = 1,
    relu: bool = True,
    norm: Norm = FusedBatchNormalization,
) -> Any:
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = norm()(x)
    return layers.ReLU()(x) if relu else x


def residual_block(
    x: Any, filters: int, strides: int = 1, norm: Norm = FusedBatchNormalization
) -> Any:
    """Two 3x3 convolutions plus a shortcut: identity, or a 1x1 projection where shapes change."""
    conv = partial(_conv_bn, norm=norm)
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = conv(x, filters, 1, strides=strides, relu=False)
    y = conv(x, filters, 3, strides=strides)
    y = conv(y, filters, 3, relu=False)
    return layers.ReLU()(layers.Add()([shortcut, y]))


def inception_block(
    x: Any, filters: int, strides: int = 1, norm: Norm = FusedBatchNormalization
) -> Any:
    """Parallel 1x1, 3x3, double-3x3 and pooled paths, concatenated to `filters` channels."""
    conv = partial(_conv_bn, norm=norm)
    quarter = max(filters // 4, 1)
    one = conv(x, quarter, 1, strides=strides)
    three = conv(conv(x, quarter, 1), filters // 2, 3, strides=strides)
    five = conv(conv(x, quarter // 2 or 1, 1), quarter // 2 or 1, 3)
    five = conv(five, quarter // 2 or 1, 3, strides=strides)
    pooled = layers.MaxPooling2D(3, strides=strides, padding="same")(x)
    pooled = conv(pooled, filters - quarter - filters // 2 - (quarter // 2 or 1), 1)
    return layers.Concatenate()([one, three, five, pooled])


def tabular_encoder(
    features: Sequence[Feature], config: TabularConfig, columns: Mapping[str, Sequence[Any]]
) -> keras.Model:
    """Category one-hots (with an unknown slot), integer one-hots and scaled values, normalised
    numbers (and logs of positive ones), as one vector: what the tabular branch and the wide path
    read."""
    inputs: dict[str, Any] = {}
    parts: list[Any] = []
    for feature in features:
        raw, encoded = _encode_tabular(feature, columns[feature.name], config)
        inputs[feature.name] = raw
        parts.extend(encoded)
    x = layers.Concatenate(dtype=PRE)(parts) if len(parts) > 1 else parts[0]
    return keras.Model(inputs, x, name="tabular_encoder")


def tabular_branch(width: int, config: TabularConfig) -> keras.Model:
    """Dense layers over the tabular encoding (`tabular_encoder`'s output, `width` wide)."""
    encoded = keras.Input(shape=(width,), name="tabular_encoded")
    x = encoded
    for units in config.units:
        x = layers.Dense(units, activation="relu")(x)
    return keras.Model(encoded, x, name="tabular")


def frequent_values(values: Sequence[Any], min_count: int, limit: int | None = None) -> list[str]:
    """Values seen at least `min_count` times, most frequent first ('' for missing included), at
    most `limit` of them."""
    counts = Counter("" if v is None else str(v) for v in values)
    return [value for value, n in counts.most_common(limit) if n >= min_count]


def _encode_tabular(
    feature: Feature, values: Sequence[Any], config: TabularConfig
) -> tuple[Any, list[Any]]:
    name = feature.name
    if feature.type == FeatureType.CATEGORY:
        raw = keras.Input(shape=(), dtype="string", name=name)
        lookup = layers.StringLookup(
            vocabulary=frequent_values(values, config.min_count, config.max_categories),
            output_mode="one_hot",
            name=f"{name}_lookup",
        )
        return raw, [lookup(raw)]
    if feature.type == FeatureType.INTEGER:
        raw = keras.Input(shape=(), dtype="int64", name=name)
        low, high = int(feature.min or 0), int(feature.max or 0)
        lookup = layers.IntegerLookup(
            vocabulary=np.arange(low, high + 1, dtype="int64"),
            output_mode="one_hot",
            name=f"{name}_onehot",
        )
        scaled = layers.Rescaling(
            1.0 / max(high - low, 1), offset=-low / max(high - low, 1), dtype=PRE
        )
        # Rescaling casts to float: the ordinal value lets the model share strength across years.
        return raw, [lookup(raw), scaled(layers.Reshape((1,), dtype=PRE)(raw))]
    raw = keras.Input(shape=(), dtype="float32", name=name)
    column = layers.Reshape((1,), dtype=PRE)(raw)
    numbers = np.asarray(values, dtype="float32").reshape(-1, 1)
    encoded = [_normalised(column, numbers, f"{name}_norm")]
    if feature.min is not None and feature.min > 0:
        # A positive quantity (an area, a weight) moves price by ratios: its log is what a
        # log-price head can use in a straight line.
        logs = Log(name=f"{name}_log", dtype=PRE)(column)
        encoded.append(_normalised(logs, np.log(numbers), f"{name}_log_norm"))
    return raw, encoded


def _normalised(x: Any, values: np.ndarray, name: str) -> Any:
    norm = layers.Normalization(axis=-1, name=name, dtype=PRE)
    norm.adapt(values)
    return norm(x)
