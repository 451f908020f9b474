"""`appraise evaluate`: score every usable row of a dataset with a logged model."""

from __future__ import annotations

from pathlib import Path

import mlflow

from models.pyfunc import AppraiserModel
from models.store import configure_tracking
from training.dataset import read_dataset
from training.metrics import price_metrics


class EvaluationError(ValueError):
    """The model cannot score this dataset; the message says why."""


def evaluate_model(model_uri: str, folder: Path) -> dict[str, float]:
    """Metrics of the logged model at `model_uri` on every usable row of `folder`."""
    configure_tracking()
    dataset = read_dataset(folder)
    wrapper = mlflow.pyfunc.load_model(model_uri).unwrap_python_model()
    if not isinstance(wrapper, AppraiserModel):
        raise EvaluationError(f"{model_uri} is not an Appraiser model")
    missing = [f.name for f in wrapper.schema.features if f.name not in dataset.frame.columns]
    if missing:
        raise EvaluationError(f"dataset lacks the model's feature(s): {', '.join(missing)}")
    scored = wrapper.predict_frame(dataset.frame, dataset.folder)
    ok = scored["error"] == ""
    actual = dataset.frame.loc[ok, dataset.schema.target]
    metrics = price_metrics(
        actual, scored.loc[ok, "price"], scored.loc[ok, "price_low"], scored.loc[ok, "price_high"]
    )
    return {**metrics, "rows": float(ok.sum()), "unscored": float((~ok).sum())}
