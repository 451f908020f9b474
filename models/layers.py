"""Custom layers of the joint model, registered so a saved model loads without extra code."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf
from keras import ops

from models.calibration import apply_shifts

PACKAGE = "appraiser"


@keras.saving.register_keras_serializable(package=PACKAGE)
class BlankPhoto(keras.layers.Layer):
    """While training, replace a whole photo by zeros (a missing photo) with probability `rate`."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        self._generator = keras.random.SeedGenerator(seed)

    def call(self, photos: Any, training: bool | None = None) -> Any:
        if not training or self.rate <= 0:
            return photos
        keep = keras.random.uniform((ops.shape(photos)[0], 1, 1, 1), seed=self._generator)
        return ops.where(keep >= self.rate, photos, ops.zeros_like(photos))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class BlankText(keras.layers.Layer):
    """While training, replace a text by '' (an empty description) with probability `rate`."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        self._generator = keras.random.SeedGenerator(seed)

    def call(self, texts: Any, training: bool | None = None) -> Any:
        if not training or self.rate <= 0:
            return texts
        keep = keras.random.uniform(tf.shape(texts), seed=self._generator)
        return tf.where(keep >= self.rate, texts, tf.zeros_like(texts))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Gate(keras.layers.Layer):
    """Its input times one learned scalar that starts at zero: a branch that joins closed.

    While the gate is zero (and frozen), the model is exactly the model without that branch,
    so training can fit the rest first and then decide whether opening it helps.
    """

    def build(self, input_shape: Any) -> None:
        self.gate = self.add_weight(shape=(), initializer="zeros", name="gate")

    def call(self, values: Any) -> Any:
        return values * ops.cast(self.gate, values.dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class Presence(keras.layers.Layer):
    """1.0 where an input has any non-zero entry (a photo, or text with known tokens), else 0.0."""

    def call(self, values: Any) -> Any:
        axes = list(range(1, len(values.shape)))
        present = ops.max(ops.cast(ops.not_equal(values, 0), "float32"), axis=axes)
        return ops.expand_dims(present, -1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0], 1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class Log(keras.layers.Layer):
    """Natural log of positive values; values at or below zero are clipped to 1e-30 first."""

    def call(self, values: Any) -> Any:
        return ops.log(ops.maximum(ops.cast(values, "float32"), 1e-30))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


_FUSED_DTYPES = (tf.float32, tf.float16, tf.bfloat16)  # what FusedBatchNormV3 takes as maps


@keras.saving.register_keras_serializable(package=PACKAGE)
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """Batch normalisation of channels-last maps through TensorFlow's fused kernel.

    Keras 3 builds batch normalisation from a dozen small ops; the fused kernel and its
    gradient read each feature map once (see docs/benchmarks.md for the training speed-up).
    Under mixed precision the maps are float16 (or bfloat16) and the kernel keeps its scale,
    offset and statistics in float32, as Keras does. Anything else (a mask, renorm, another
    layout) takes Keras's own path.
    """

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        if not self._fusable(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        learn = bool(training) and self.trainable
        outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            inputs,
            self.gamma,
            self.beta,
            mean=None if learn else self.moving_mean,
            variance=None if learn else self.moving_variance,
            epsilon=self.epsilon,
            is_training=learn,
        )
        if learn:
            keep = self.momentum
            self.moving_mean.assign(self.moving_mean * keep + mean * (1.0 - keep))
            self.moving_variance.assign(self.moving_variance * keep + variance * (1.0 - keep))
        return outputs

    def _fusable(self, inputs: Any, mask: Any) -> bool:
        return (
            mask is None
            and len(inputs.shape) == 4
            and self.axis in (3, -1)
            and inputs.dtype in _FUSED_DTYPES
            and self.center
            and self.scale
            and not self.renorm
            and not self.synchronized
        )


@keras.saving.register_keras_serializable(package=PACKAGE)
class OrderedQuantiles(keras.layers.Layer):
    """Turn raw outputs into quantiles that never cross: the median plus or minus softplus gaps.

    Input has one column per quantile; `median_index` is where 0.5 sits in the sorted list. The
    median column is used as is, every other column becomes a positive gap from its neighbour.
    """

    def __init__(self, median_index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.median_index = median_index

    def call(self, raw: Any) -> Any:
        m = self.median_index
        median = raw[:, m : m + 1]
        gaps = ops.softplus(raw)
        below = median - ops.flip(ops.cumsum(ops.flip(gaps[:, :m], axis=1), axis=1), axis=1)
        above = median + ops.cumsum(gaps[:, m + 1 :], axis=1)
        return ops.concatenate([below, median, above], axis=1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "median_index": self.median_index}


@keras.saving.register_keras_serializable(package=PACKAGE)
class CalibratedQuantiles(keras.layers.Layer):
    """Sorted quantiles moved by conformal shifts (`models.calibration`), still never crossing.

    The shifts are a non-trainable weight, zero until training calibrates them on held-out rows,
    so they are saved inside the model and every path that runs it gives the calibrated range.
    Bounds are kept on their side of the median, so a large negative shift cannot cross it.
    """

    def __init__(self, median_index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.median_index = median_index

    def build(self, input_shape: Any) -> None:
        self.shifts = self.add_weight(
            shape=(int(input_shape[-1]),), initializer="zeros", trainable=False, name="shifts"
        )

    def call(self, quantiles: Any) -> Any:
        return apply_shifts(quantiles, self.shifts, self.median_index)

    def set_shifts(self, shifts: Any) -> None:
        """Store the calibration (one shift per quantile, in log price)."""
        self.shifts.assign(ops.convert_to_tensor(shifts, dtype=self.shifts.dtype))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "median_index": self.median_index}
