"""The MLflow pyfunc wrapper: a logged Appraiser model answers pandas rows of raw values.

It carries the Keras model (with its preprocessing inside) and the schema, so
`mlflow.pyfunc.load_model(uri).predict(frame)` works, and so do MLflow's own tools.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

from models.explain_columns import explain_listings, explanation_frame
from models.explainer import DEFAULT_COMPARABLES, Explainer
from models.inputs import PreparedListing, batch_inputs, image_size, prepare_listing
from models.predictions import median_index, prices_frame, quantiles_to_prices
from models.schema import FeatureType, Schema
from models.validation import FieldError

KERAS_ARTIFACT = "keras_model"
SCHEMA_ARTIFACT = "schema"
EXPLANATION_ARTIFACT = "explanation"  # neutral values and comparables (models.explain)
PREDICT_BATCH = 256
FRAME_CHUNK = 4096  # rows whose photos are decoded at once: memory stays flat for any frame


class AppraiserModel(mlflow.pyfunc.PythonModel):
    """Raw rows in (photo as bytes, base64 text or a path); price, range and error out, and
    with `params={"explain": True}` each feature's contribution and comparable listings."""

    keras_model: Any
    schema: Schema
    explanation: Path | None = None

    def load_context(self, context: Any) -> None:
        import keras

        # registers the custom layers before loading
        import models.layers
        import models.text_normal  # noqa: F401
        from models.precision import in_float32

        saved = keras.models.load_model(context.artifacts[KERAS_ARTIFACT], compile=False)
        self.keras_model = in_float32(saved)
        text = Path(context.artifacts[SCHEMA_ARTIFACT]).read_text(encoding="utf-8")
        self.schema = Schema.from_yaml(text)
        folder = context.artifacts.get(EXPLANATION_ARTIFACT)
        self.explanation = Path(folder) if folder else None

    @property
    def photo_sizes(self) -> dict[str, int]:
        """Decoded photo side per image feature, read off the model itself."""
        images = self.schema.of_type(FeatureType.IMAGE)
        return {f.name: image_size(self.keras_model, f) for f in images}

    @functools.cached_property
    def explainer(self) -> Explainer:
        """What explains this model's prices; NotExplainableError for a model logged without."""
        return Explainer.load(self.schema, self.explanation)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Score every row; rows that cannot be scored get their reason in `error`. With
        `explain`, also each feature's contribution and the `comparables` nearest listings."""
        params = params or {}
        root = Path(params.get("photo_root") or Path.cwd())
        if params.get("explain"):
            k = int(params.get("comparables", DEFAULT_COMPARABLES))
            return self.explain_frame(model_input, root, k)
        return self.predict_frame(model_input, root)

    def predict_frame(self, frame: pd.DataFrame, root: Path | None) -> pd.DataFrame:
        """`predict` without MLflow's context: used by evaluation and the batch scorer."""
        return _by_chunk(frame, lambda chunk: self._predict_chunk(chunk, root))

    def explain_frame(self, frame: pd.DataFrame, root: Path | None, k: int) -> pd.DataFrame:
        """`predict_frame` plus the explanation columns (models.explain_columns)."""
        return _by_chunk(frame, lambda chunk: self._explain_chunk(chunk, root, k))

    def _predict_chunk(self, frame: pd.DataFrame, root: Path | None) -> pd.DataFrame:
        prepared = self.prepare_frame(frame, root)
        good = [p for p in prepared if isinstance(p, PreparedListing)]
        prices = np.zeros((0, 3))
        if good:
            inputs = batch_inputs(self.schema, good, self.photo_sizes, len(good))
            quantiles = self.keras_model.predict(inputs, batch_size=PREDICT_BATCH, verbose=0)
            prices = quantiles_to_prices(quantiles, median_index(self.keras_model))
        return prices_frame([p if isinstance(p, str) else None for p in prepared], prices)

    def _explain_chunk(self, frame: pd.DataFrame, root: Path | None, k: int) -> pd.DataFrame:
        explainer = self.explainer
        prepared = self.prepare_frame(frame, root)
        good = [p for p in prepared if isinstance(p, PreparedListing)]
        explained = explain_listings(self.keras_model, explainer, good, self.photo_sizes, k)
        return explanation_frame(explainer, prepared, explained)

    def prepare_frame(self, frame: pd.DataFrame, root: Path | None) -> list[PreparedListing | str]:
        """Each row checked and its photos decoded, or the reason it cannot be scored."""
        rows = [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]
        sizes = self.photo_sizes
        prepared: list[PreparedListing | str] = []
        for row in rows:
            try:
                prepared.append(prepare_listing(self.schema, row, sizes, root))
            except FieldError as exc:
                prepared.append(str(exc))
        return prepared


def _by_chunk(frame: pd.DataFrame, score: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """`score` over `frame` FRAME_CHUNK rows at a time, the answers in order."""
    starts = range(0, max(len(frame), 1), FRAME_CHUNK)
    parts = [score(frame.iloc[start : start + FRAME_CHUNK]) for start in starts]
    return pd.concat(parts, ignore_index=True)
