"""A forward pass that runs each distinct photo through its branch once, then the rest of the
model over every row (models.photo_split): what an explanation's coalition rows, which repeat
two photos 2^(n-1) times each, cost instead of a convnet pass per row.

Photos are told apart by identity: coalition rows share the listing's array and one blank.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from models.inputs import INPUT_DTYPES, PreparedListing, feature_input
from models.photo_split import PhotoSplit
from models.schema import FeatureType, Schema


class SplitPass:
    """Compiled branch passes (one per image feature) and a compiled head pass, each traced
    once with an open batch dimension, on first use (`warm`)."""

    def __init__(self, split: PhotoSplit, schema: Schema, sides: dict[str, int]) -> None:
        self._split = split
        self._schema = schema
        self._sides = sides

    @functools.cached_property
    def _branches(self) -> dict[str, Any]:
        return {
            name: _compiled(
                self._split.branches[name],
                tf.TensorSpec((None, side, side, 3), tf.uint8, name=name),
            )
            for name, side in self._sides.items()
        }

    @functools.cached_property
    def _head(self) -> Any:
        return _compiled(self._split.head, self._head_signature())

    @staticmethod
    def repeats(rows: Sequence[PreparedListing]) -> bool:
        """Whether some photo is in more than one row: only then does the split save work."""
        ids = [id(photo) for row in rows for photo in row.photos.values()]
        return len(set(ids)) < len(ids)

    def __call__(
        self, rows: Sequence[PreparedListing], fit: Callable[[int], int]
    ) -> tuple[Any, ...]:
        """The model's outputs for `rows`, padded to `fit(len(rows))` rows; `fit` gives the
        batch shape for a count, so the branch passes run on shapes already traced too."""
        size = fit(len(rows))
        inputs: dict[str, Any] = {}
        for feature in self._schema.features:
            if feature.type == FeatureType.IMAGE:
                inputs[feature.name] = self._photo_features(feature.name, rows, size, fit)
            else:
                column = feature_input(feature, [r.values[feature.name] for r in rows], size)
                inputs[feature.name] = tf.convert_to_tensor(column, INPUT_DTYPES[feature.type])
        return _tuple(self._head(inputs))

    def warm(self, sizes: Sequence[int]) -> None:
        """Run every pass at every batch shape."""
        blank = PreparedListing(
            {f.name: None for f in self._schema.features if f.type != FeatureType.IMAGE},
            {n: np.zeros((s, s, 3), dtype=np.uint8) for n, s in self._sides.items()},
        )
        for size in sizes:
            self([blank] * size, functools.partial(_always, size))

    def _photo_features(
        self, name: str, rows: Sequence[PreparedListing], size: int, fit: Callable[[int], int]
    ) -> tf.Tensor:
        """Each row's branch output for its photo, the branch run once per distinct photo."""
        slots: dict[int, int] = {}
        distinct: list[np.ndarray] = []
        for row in rows:
            photo = row.photos[name]
            if slots.setdefault(id(photo), len(distinct)) == len(distinct):
                distinct.append(photo)
        shape = fit(len(distinct))
        photos = np.zeros((shape, *distinct[0].shape), dtype=np.uint8)
        photos[: len(distinct)] = distinct
        features = self._branches[name](tf.convert_to_tensor(photos))
        index = [slots[id(row.photos[name])] for row in rows]
        index += [index[-1]] * (size - len(rows))  # padding rows: any valid features will do
        return tf.gather(features, index)

    def _head_signature(self) -> dict[str, tf.TensorSpec]:
        specs = {}
        for feature in self._schema.features:
            if feature.type == FeatureType.IMAGE:
                width = self._split.width(feature.name)
                dtype = self._split.branches[feature.name].output.dtype
                specs[feature.name] = tf.TensorSpec((None, width), dtype, name=feature.name)
            else:
                dtype = INPUT_DTYPES[feature.type]
                specs[feature.name] = tf.TensorSpec((None,), dtype, name=feature.name)
        return specs


def _compiled(model: Any, signature: Any) -> Any:
    """The concrete function of `model`'s inference call for one input signature."""

    def call(inputs: Any) -> Any:
        return model(inputs, training=False)

    return tf.function(call, input_signature=[signature]).get_concrete_function()


def _always(size: int, _count: int) -> int:
    return size


def _tuple(outputs: Any) -> tuple[Any, ...]:
    return tuple(outputs) if isinstance(outputs, list | tuple) else (outputs,)
