"""The tutorial way: a minimal FastAPI app calling the logged model's `predict` per request.

What most serving tutorials show, on the same logged model and the same JSON body as this
service: load the pyfunc model once, and on each request build a one-row frame and predict.
Keras `predict` builds a data pipeline per call, which is why this is slow.
"""

from __future__ import annotations

import os
from typing import Any

import mlflow
import pandas as pd
from fastapi import FastAPI

app = FastAPI()
model = mlflow.pyfunc.load_model(os.environ["TUTORIAL_MODEL_URI"])


@app.post("/predict")
def predict(listing: dict[str, Any]) -> dict[str, Any]:
    """One listing in, its price out."""
    row = model.predict(pd.DataFrame([listing])).iloc[0]
    return {"price": float(row["price"]), "low": float(row["price_low"])}


@app.get("/health")
def health() -> dict[str, str]:
    """Answers once the model is loaded (loading happens at import, as tutorials do)."""
    return {"status": "ok"}
