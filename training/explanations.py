"""What a logged model needs to explain its prices: the neutral values (models.explain) and the
indexed sold listings for comparables (models.comparables), written into one artifact folder."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from models.comparables import Comparables, listings_table, thumbnails, with_representation
from models.explain import NEUTRAL_FILE, fit_neutral
from models.schema import FeatureType, Schema
from training.prepare import Decoded, tf_dataset

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
        table = listings_table(schema, decoded.frame, _thumbnails(schema, decoded))
        Comparables.of(vectors, table).save(folder)
    return folder


def representations(joint: keras.Model, schema: Schema, decoded: Decoded) -> np.ndarray:
    """Every row's joint representation (the second output of `with_representation`)."""
    _, vectors = joint.predict(tf_dataset(decoded.everything(), schema, BATCH), verbose=0)
    return np.asarray(vectors, dtype=np.float32)


def _thumbnails(schema: Schema, decoded: Decoded) -> list[bytes | None] | None:
    """Thumbnails of every row's first photo, read from the store a batch at a time."""
    images = schema.of_type(FeatureType.IMAGE)
    if not images:
        return None
    found: list[bytes | None] = []
    for start in range(0, len(decoded), BATCH):
        rows = np.arange(start, min(start + BATCH, len(decoded)))
        found.extend(thumbnails(decoded.store.read(images[0].name, rows)))
    return found
