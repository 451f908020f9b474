"""Comparable sold listings: the training listings nearest a listing in the model's own joint
representation (the joined branch outputs the head reads), with their prices, values and a
thumbnail, as an appraiser would show them.

The representation is Euclidean: the head's first layer reads it linearly, so listings close in
it are priced alike for the same reasons. The search index (holding the vectors, see
models.vector_index) and a table of the listings are logged with the model (`save`, `load`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from models import vector_index
from models.schema import FeatureType, Schema
from models.validation import Value

REPRESENTATION = "joined"  # the layer whose output the head reads (models.architecture)
INDEX_FILE = "vectors.faiss"
LISTINGS_FILE = "listings.parquet"
THUMBNAIL_SIDE = 48
THUMBNAIL_QUALITY = 80
EXCERPT_CHARS = 120
ID, PRICE, THUMBNAIL = "id", "price", "thumbnail"


@dataclass(frozen=True)
class Comparable:
    """One sold listing near the one being priced."""

    id: str
    price: float
    distance: float
    values: dict[str, Value]  # its non-photo features, texts cut to an excerpt
    thumbnail: bytes | None  # a small JPEG of its (first) photo, when it had one


class Comparables:
    """Indexed sold listings: one vector per listing, and a table of what to show for each."""

    def __init__(self, index: Any, listings: pd.DataFrame) -> None:
        if index.ntotal != len(listings):
            raise ValueError(f"{index.ntotal} vectors for {len(listings)} listings")
        self.index = index
        self.listings = listings.reset_index(drop=True)
        self._values = [c for c in self.listings.columns if c not in (ID, PRICE, THUMBNAIL)]

    @classmethod
    def of(cls, vectors: np.ndarray, listings: pd.DataFrame) -> Comparables:
        """Index `vectors` (one row per listing) with the index their number calls for."""
        return cls(vector_index.build(vectors), listings)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def dimensions(self) -> int:
        return int(self.index.d)

    def nearest(self, queries: np.ndarray, k: int) -> list[list[Comparable]]:
        """The `k` nearest listings to each query vector, nearest first."""
        rows, distances = vector_index.search(self.index, np.atleast_2d(queries), min(k, len(self)))
        return [
            [self._comparable(int(r), float(d)) for r, d in zip(found, far, strict=True) if r >= 0]
            for found, far in zip(rows, distances, strict=True)
        ]

    def _comparable(self, row: int, distance: float) -> Comparable:
        record = self.listings.iloc[row]
        thumbnail = record[THUMBNAIL] if THUMBNAIL in self.listings.columns else None
        return Comparable(
            str(record[ID]),
            float(record[PRICE]),
            float(distance),
            {name: _plain(record[name]) for name in self._values},
            bytes(thumbnail) if thumbnail is not None else None,
        )

    def save(self, folder: Path) -> None:
        """Write the index and the listings table into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        vector_index.save(self.index, folder / INDEX_FILE)
        self.listings.to_parquet(folder / LISTINGS_FILE, index=False)

    @classmethod
    def load(cls, folder: Path) -> Comparables:
        return cls(vector_index.load(folder / INDEX_FILE), pd.read_parquet(folder / LISTINGS_FILE))


def write_comparables(
    folder: Path, rows: int, chunks: Iterable[tuple[np.ndarray, pd.DataFrame]]
) -> None:
    """Index and write `rows` listings given a chunk at a time (their vectors and their
    `listings_table` rows), so that memory holds one chunk rather than every listing."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    index: Any = None
    writer: pq.ParquetWriter | None = None
    try:
        for vectors, table in chunks:
            if index is None:
                index = vector_index.empty(int(vectors.shape[1]), rows)
            vector_index.add(index, vectors)
            arrow = pa.Table.from_pandas(table, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(folder / LISTINGS_FILE, _settled(arrow.schema))
            writer.write_table(arrow.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    if index is None or index.ntotal != rows:
        found = 0 if index is None else index.ntotal
        raise ValueError(f"comparables: {found} listings written where {rows} were announced")
    vector_index.save(index, folder / INDEX_FILE)


def _settled(schema: Any) -> Any:
    """`schema` with the columns a first chunk left untyped (all empty) typed as later chunks
    will be: thumbnails as bytes, anything else as text."""
    import pyarrow as pa

    for i, column in enumerate(schema):
        if pa.types.is_null(column.type):
            kind = pa.binary() if column.name == THUMBNAIL else pa.string()
            schema = schema.set(i, column.with_type(kind))
    return schema


def listings_table(
    schema: Schema, frame: pd.DataFrame, thumbnails: Sequence[bytes | None] | None
) -> pd.DataFrame:
    """What a comparable shows: id, sold price, the non-photo values (texts as excerpts) and a
    thumbnail of the first photo (`thumbnails`, None where the listing had no photo; no column
    for a schema without photos)."""
    ids = frame[schema.id_column] if schema.id_column in frame else pd.Series(frame.index)
    table = pd.DataFrame({ID: ids.astype(str).to_numpy(), PRICE: frame[schema.target].to_numpy()})
    for feature in schema.features:
        if feature.type == FeatureType.TEXT:
            table[feature.name] = [excerpt(v) for v in frame[feature.name]]
        elif feature.type != FeatureType.IMAGE:
            table[feature.name] = frame[feature.name].to_numpy()
    if thumbnails is not None:
        table[THUMBNAIL] = list(thumbnails)
    return table


def thumbnails(pixels: np.ndarray) -> list[bytes | None]:
    """A thumbnail of each decoded photo; None for a blank one (no photo)."""
    return [thumbnail(p) if p.any() else None for p in pixels]


def excerpt(text: Any, limit: int = EXCERPT_CHARS) -> str:
    """The start of a text, cut at a word where it is longer than `limit` characters."""
    value = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    if len(value) <= limit:
        return value
    cut = value[:limit].rsplit(" ", 1)[0] or value[:limit]
    return cut.rstrip(" ,.;:") + "…"


def thumbnail(pixels: np.ndarray, side: int = THUMBNAIL_SIDE) -> bytes:
    """A decoded photo as a small JPEG."""
    image = Image.fromarray(pixels).resize((side, side), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def _plain(value: Any) -> Value:
    """A table cell as a JSON-friendly value (NumPy scalars out, NaN as None)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()  # type: ignore[no-any-return]
    return value  # type: ignore[no-any-return]


def with_representation(model: Any) -> Any | None:
    """The Keras model answering [its quantiles, its joint representation] in one pass; None
    for a model without the joined layer (a single-branch one)."""
    import keras

    if REPRESENTATION not in {layer.name for layer in model.layers}:
        return None
    joined = model.get_layer(REPRESENTATION).output
    return keras.Model(model.input, [model.output, joined], name=f"{model.name}_with_joined")
