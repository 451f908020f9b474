"""What a logged model needs to explain its prices: the neutral values (models.explain) and the
indexed sold listings for comparables (models.comparables), written into one artifact folder."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from models.comparables import Comparables, listings_table, with_representation
from models.explain import NEUTRAL_FILE, fit_neutral
from models.inputs import model_inputs
from models.schema import Schema
from training.prepare import Decoded

BATCH = 256


def write_explanation(
    folder: Path, model: keras.Model, schema: Schema, decoded: Decoded, train: pd.DataFrame
) -> Path:
    """Neutral values from the training rows `train`; every usable row of the dataset indexed
    as a comparable (a sold listing is a comparable whichever split it fell in)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NEUTRAL_FILE).write_text(fit_neutral(schema, train).to_json(), encoding="utf-8")
    joint = with_representation(model)
    if joint is not None:
        vectors = representations(joint, schema, decoded)
        table = listings_table(schema, decoded.frame, decoded.photos)
        Comparables.of(vectors, table).save(folder)
    return folder


def representations(joint: keras.Model, schema: Schema, decoded: Decoded) -> np.ndarray:
    """Every row's joint representation (the second output of `with_representation`)."""
    inputs = model_inputs(schema, decoded.frame, decoded.photos)
    _, vectors = joint.predict(inputs, batch_size=BATCH, verbose=0)
    return np.asarray(vectors, dtype=np.float32)
