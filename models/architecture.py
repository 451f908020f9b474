"""`build_model`: one branch per feature as the schema says, joined into one quantile head."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import pandas as pd
from keras import layers

from models.branches import photo_branch, tabular_branch, text_branch
from models.config import ModelConfig
from models.layers import OrderedQuantiles
from models.schema import FeatureType, Schema

OUTPUT = "log_price_quantiles"
TABULAR_TYPES = (FeatureType.CATEGORY, FeatureType.INTEGER, FeatureType.NUMBER)
_INITIAL_GAP = 0.3  # starting distance between neighbouring quantiles, in log price


def build_model(
    schema: Schema, config: ModelConfig, train: pd.DataFrame, seed: int = 0
) -> keras.Model:
    """The joint model over every feature of `schema`, preprocessing adapted on `train` only.

    `train` holds the training split's raw values (and the target, used to start the head at
    the median log price). A schema holding one kind of feature builds that branch alone.
    """
    inputs: dict[str, Any] = {}
    parts: list[Any] = []
    for i, feature in enumerate(schema.of_type(FeatureType.TEXT)):
        branch = text_branch(
            feature, config.text, train[feature.name].tolist(), config.modality_dropout, seed + i
        )
        inputs[feature.name] = branch.inputs[0]
        parts.append(branch(branch.inputs[0]))
    for i, feature in enumerate(schema.of_type(FeatureType.IMAGE)):
        branch = photo_branch(feature, config.photo, config.modality_dropout, seed + 100 + i)
        inputs[feature.name] = branch.inputs[0]
        parts.append(branch(branch.inputs[0]))
    tabular = [f for f in schema.features if f.type in TABULAR_TYPES]
    if tabular:
        columns = {f.name: train[f.name].tolist() for f in tabular}
        branch = tabular_branch(tabular, config.tabular, columns)
        branch_inputs = {f.name: branch.input[f.name] for f in tabular}
        inputs.update(branch_inputs)
        parts.append(branch(branch_inputs))
    x = layers.Concatenate(name="joined")(parts) if len(parts) > 1 else parts[0]
    median = float(np.median(np.log(train[schema.target].to_numpy(dtype="float64"))))
    return keras.Model(inputs, _head(x, config, median), name="appraiser")


def _head(x: Any, config: ModelConfig, median_log_price: float) -> Any:
    for units in config.head_units:
        x = layers.Dense(units, activation="relu")(x)
        if config.dropout:
            x = layers.Dropout(config.dropout)(x)
    median_index = config.quantiles.index(0.5)
    gap = math.log(math.expm1(_INITIAL_GAP))  # inverse softplus: gaps start at _INITIAL_GAP
    bias = [gap] * len(config.quantiles)
    bias[median_index] = median_log_price
    raw = layers.Dense(
        len(config.quantiles),
        kernel_initializer=keras.initializers.VarianceScaling(0.1),
        bias_initializer=keras.initializers.Constant(bias),
    )(x)
    # float32 out even under mixed precision: the pinball loss and the prices need the range.
    return OrderedQuantiles(median_index, name=OUTPUT, dtype="float32")(raw)
