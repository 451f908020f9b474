"""What a logged model needs to explain its prices: the neutral values (models.explain) and the
indexed sold listings for comparables (models.comparables), written into one artifact folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from models.comparables import listings_table, thumbnails, with_representation, write_comparables
from models.explain import NEUTRAL_FILE, fit_neutral
from models.schema import FeatureType, Schema
from training.prepare import Decoded, Split, tf_dataset

BATCH = 256
CHUNK = 8192  # listings indexed at a time: memory holds a chunk's vectors, table and thumbnails


def write_explanation(
    folder: Path, model: keras.Model, schema: Schema, decoded: Decoded, train: pd.DataFrame
) -> Path:
    """Neutral values from the training rows `train`; every usable row of the dataset indexed
    as a comparable (a sold listing is a comparable whichever split it fell in)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NEUTRAL_FILE).write_text(fit_neutral(schema, train).to_json(), encoding="utf-8")
    joint = with_representation(model)
    if joint is not None:
        write_comparables(folder, len(decoded), _chunks(joint, schema, decoded))
    return folder


def _chunks(
    joint: keras.Model, schema: Schema, decoded: Decoded
) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
    """Each chunk's joint representations and `listings_table` rows (their ids and row labels
    are the dataset's, not the chunk's)."""
    for start in range(0, len(decoded), CHUNK):
        rows = np.arange(start, min(start + CHUNK, len(decoded)))
        part = decoded.take(rows)
        table = listings_table(schema, decoded.frame.iloc[rows], _thumbnails(schema, part))
        yield representations(joint, schema, part), table


def representations(joint: keras.Model, schema: Schema, split: Split) -> np.ndarray:
    """Every row's joint representation (the second output of `with_representation`)."""
    _, vectors = joint.predict(tf_dataset(split, schema, BATCH), verbose=0)
    return np.asarray(vectors, dtype=np.float32)


def _thumbnails(schema: Schema, split: Split) -> list[bytes | None] | None:
    """Thumbnails of every row's first photo, read from the store a batch at a time."""
    images = schema.of_type(FeatureType.IMAGE)
    if not images:
        return None
    found: list[bytes | None] = []
    for start in range(0, len(split), BATCH):
        positions = np.arange(start, min(start + BATCH, len(split)))
        found.extend(thumbnails(split.photos.read(images[0].name, positions)))
    return found
