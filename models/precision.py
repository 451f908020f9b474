"""Numeric precision of a model outside training: every layer, and serving in float32.

A model trained under `mixed_float16` keeps that policy in its saved config, so loaded as it
is, it would compute in float16 wherever it is served: slower than float32 on a CPU, and
rounder. Serving switches every layer to float32 (its variables are float32 already).
"""

from __future__ import annotations

import keras

FLOAT32 = "float32"
HALF = ("float16", "bfloat16")


def every_layer(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's layers, and those of every model nested in it, depth first."""
    found: list[keras.layers.Layer] = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found.extend(every_layer(layer))
    return found


def in_float32(model: keras.Model) -> keras.Model:
    """`model`, every layer computing in float32 whatever policy it was trained with."""
    for layer in [model, *every_layer(model)]:
        if layer.dtype_policy.compute_dtype in HALF:
            layer.dtype_policy = FLOAT32
    return model
