"""The MLflow pyfunc wrapper: a logged Appraiser model answers pandas rows of raw values.

It carries the Keras model (with its preprocessing inside) and the schema, so
`mlflow.pyfunc.load_model(uri).predict(frame)` works, and so do MLflow's own tools.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

from models.inputs import PreparedListing, batch_inputs, image_size, prepare_listing
from models.predictions import median_index, prices_frame, quantiles_to_prices
from models.schema import FeatureType, Schema
from models.validation import FieldError

KERAS_ARTIFACT = "keras_model"
SCHEMA_ARTIFACT = "schema"
PREDICT_BATCH = 256


class AppraiserModel(mlflow.pyfunc.PythonModel):
    """Raw rows in (photo as bytes, base64 text or a path); price, range and error out."""

    keras_model: Any
    schema: Schema

    def load_context(self, context: Any) -> None:
        import keras

        import models.layers  # noqa: F401  (registers the custom layers before loading)

        self.keras_model = keras.models.load_model(context.artifacts[KERAS_ARTIFACT], compile=False)
        text = Path(context.artifacts[SCHEMA_ARTIFACT]).read_text(encoding="utf-8")
        self.schema = Schema.from_yaml(text)

    @property
    def photo_sizes(self) -> dict[str, int]:
        """Decoded photo side per image feature, read off the model itself."""
        images = self.schema.of_type(FeatureType.IMAGE)
        return {f.name: image_size(self.keras_model, f) for f in images}

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Score every row; rows that cannot be scored get their reason in `error`."""
        root = Path((params or {}).get("photo_root") or Path.cwd())
        return self.predict_frame(model_input, root)

    def predict_frame(self, frame: pd.DataFrame, root: Path | None) -> pd.DataFrame:
        """`predict` without MLflow's context: used by evaluation and the batch scorer."""
        rows = [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]
        sizes = self.photo_sizes
        prepared: list[PreparedListing | str] = []
        for row in rows:
            try:
                prepared.append(prepare_listing(self.schema, row, sizes, root))
            except FieldError as exc:
                prepared.append(str(exc))
        good = [p for p in prepared if isinstance(p, PreparedListing)]
        prices = np.zeros((0, 3))
        if good:
            inputs = batch_inputs(self.schema, good, sizes, len(good))
            quantiles = self.keras_model.predict(inputs, batch_size=PREDICT_BATCH, verbose=0)
            prices = quantiles_to_prices(quantiles, median_index(self.keras_model))
        return prices_frame([p if isinstance(p, str) else None for p in prepared], prices)
