"""The pinball (quantile) loss on log price."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from models.layers import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class PinballLoss(keras.losses.Loss):
    """Mean pinball loss over the quantiles; its minimiser is each quantile of the target."""

    def __init__(self, quantiles: Sequence[float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.quantiles = list(quantiles)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        q = ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        error = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1, 1)) - y_pred
        return ops.mean(ops.maximum(q * error, (q - 1.0) * error), axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "quantiles": self.quantiles}
