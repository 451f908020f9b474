"""Raw listing values → the model's input tensors: the one path for every entry point.

`prepare_listing` checks one listing's values (the shared rules) and decodes its photos (the one
decode path); `batch_inputs` turns prepared listings into the model's inputs, and `model_inputs`
a training frame: both through `feature_input`, so the pyfunc model, the service, the batch
scorer and training give the model the same tensors for the same values. A missing value gets
the model's 'missing' input: '' for text, NaN for a number, the lowest value for an integer,
an all-zero image for a photo.

A photo may arrive as bytes, as base64 text, or as a path relative to a root folder (a dataset
or an input file's folder). Photos are decoded in threads: Pillow releases the GIL while decoding.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tensorflow as tf
from tqdm import tqdm

from models.features import (
    PhotoError,
    PhotoTooLargeError,
    PhotoUndecodableError,
    decode_photo,
    read_photo_file,
)
from models.schema import Feature, FeatureType, Schema
from models.validation import FieldError, Value, is_empty, parse_value

INPUT_DTYPES = {
    FeatureType.CATEGORY: tf.string,
    FeatureType.TEXT: tf.string,
    FeatureType.INTEGER: tf.int64,
    FeatureType.NUMBER: tf.float32,
    FeatureType.IMAGE: tf.uint8,
}
_PATH_LIKE = re.compile(r"\.(jpe?g|png|webp|gif|bmp)$", re.IGNORECASE)


def photo_bytes(value: Any, feature: Feature, root: Path | None) -> bytes | None:
    """The bytes of one photo value, or None when the listing has no photo."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value) or None
    if is_empty(value):
        return None
    if not isinstance(value, str):
        raise PhotoUndecodableError(
            f"photo must be bytes, base64 text or a path, not {type(value).__name__}"
        )
    text = value.strip()
    if root is not None and len(text) < 1024 and _PATH_LIKE.search(text):
        return read_photo_file(root, text, feature.max_bytes)
    if len(text) > feature.max_bytes * 4 // 3 + 4:
        raise PhotoTooLargeError(f"photo is over the limit of {feature.max_bytes} bytes")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PhotoUndecodableError("photo text is neither valid base64 nor a photo path") from None


def decode_one(value: Any, feature: Feature, size: int, root: Path | None) -> np.ndarray | None:
    """One photo value → uint8 array, or None when there is no photo; raises PhotoError."""
    data = photo_bytes(value, feature, root)
    if data is None:
        return None
    return decode_photo(data, size, max_bytes=feature.max_bytes, max_pixels=feature.max_pixels)


def decode_photos(
    values: Sequence[Any],
    feature: Feature,
    size: int,
    root: Path | None = None,
    *,
    workers: int = 4,
    progress: bool = False,
) -> tuple[np.ndarray, list[str | None]]:
    """Decode a column of photos in threads: the images and one error (or None) per row."""
    images = np.zeros((len(values), size, size, 3), dtype=np.uint8)
    errors: list[str | None] = [None] * len(values)

    def work(index: int) -> None:
        try:
            pixels = decode_one(values[index], feature, size, root)
        except PhotoError as exc:
            errors[index] = str(exc)
            return
        if pixels is not None:
            images[index] = pixels

    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = pool.map(work, range(len(values)))
        if progress:
            jobs = tqdm(jobs, total=len(values), desc=f"decoding {feature.name}", unit="photo")
        for _ in jobs:
            pass
    return images, errors


@dataclass(frozen=True)
class PreparedListing:
    """One listing ready for the model: typed values (None: missing) and one decoded photo per
    image feature (zeros: no photo)."""

    values: dict[str, Value]
    photos: dict[str, np.ndarray]


def prepare_listing(
    schema: Schema, row: Mapping[str, Any], sizes: Mapping[str, int], root: Path | None
) -> PreparedListing:
    """Check one listing's values and decode its photos, in schema order.

    Raises FieldError on the first bad field; for a photo, the PhotoError that caused it is
    chained (`__cause__`), so callers can tell an oversized photo from an undecodable one.
    """
    values: dict[str, Value] = {}
    photos: dict[str, np.ndarray] = {}
    for feature in schema.features:
        raw = row.get(feature.name)
        if feature.type != FeatureType.IMAGE:
            values[feature.name] = parse_value(feature, raw)
            continue
        size = sizes[feature.name]
        try:
            pixels = decode_one(raw, feature, size, root)
        except PhotoError as exc:
            raise FieldError(feature.name, str(exc)) from exc
        photos[feature.name] = (
            pixels if pixels is not None else np.zeros((size, size, 3), dtype=np.uint8)
        )
    return PreparedListing(values, photos)


def feature_input(feature: Feature, values: Sequence[Any], size: int) -> np.ndarray | tf.Tensor:
    """One non-image feature's typed values (None or NaN: missing) as the model's input,
    padded with missing values to `size` rows."""
    missing = [is_empty(v) for v in values] + [True] * (size - len(values))
    present = list(values) + [None] * (size - len(values))
    if feature.type == FeatureType.INTEGER:
        fill = int(feature.min or 0)  # a value inside the one-hot range
        return np.asarray([fill if m else int(v) for v, m in zip(present, missing, strict=True)],
                          dtype=np.int64)  # fmt: skip
    if feature.type == FeatureType.NUMBER:
        nums = [np.nan if m else float(v) for v, m in zip(present, missing, strict=True)]
        return np.asarray(nums, dtype=np.float32)
    # Keras 3 refuses NumPy string arrays; a tf string tensor is accepted.
    return tf.constant(["" if m else str(v) for v, m in zip(present, missing, strict=True)])


def batch_inputs(
    schema: Schema, rows: Sequence[PreparedListing], sizes: Mapping[str, int], size: int
) -> dict[str, tf.Tensor]:
    """The model's inputs for prepared listings, padded with missing values to `size` rows
    (a fixed set of sizes keeps a compiled forward pass from retracing)."""
    if len(rows) > size:
        raise ValueError(f"{len(rows)} rows do not fit a batch of {size}")
    inputs: dict[str, tf.Tensor] = {}
    for feature in schema.features:
        if feature.type == FeatureType.IMAGE:
            side = sizes[feature.name]
            images = np.zeros((size, side, side, 3), dtype=np.uint8)
            for i, row in enumerate(rows):
                images[i] = row.photos[feature.name]
            column: np.ndarray | tf.Tensor = images
        else:
            column = feature_input(feature, [r.values[feature.name] for r in rows], size)
        inputs[feature.name] = tf.convert_to_tensor(column, dtype=INPUT_DTYPES[feature.type])
    return inputs


def model_inputs(
    schema: Schema, frame: pd.DataFrame, photos: dict[str, np.ndarray] | None
) -> dict[str, Any]:
    """A training frame's typed columns (and decoded `photos`; None: no photo inputs) as the
    model's named inputs; NumPy arrays where Keras takes them, so photos are not copied."""
    inputs: dict[str, Any] = {}
    for feature in schema.features:
        if feature.type == FeatureType.IMAGE:
            if photos is not None:
                inputs[feature.name] = photos[feature.name]
        else:
            inputs[feature.name] = feature_input(feature, frame[feature.name].tolist(), len(frame))
    return inputs


def image_size(model: Any, feature: Feature) -> int:
    """The photo side a loaded model expects for an image feature, read off its input."""
    return int(model.get_layer(feature.name).output.shape[1])
