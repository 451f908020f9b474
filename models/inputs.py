"""Raw listing values → the model's input tensors, photos through the one decode path.

A photo may arrive as bytes, as base64 text, or as a path relative to a root folder (a dataset
or an input file's folder); a missing photo becomes an all-zero image, which the model reads as
'no photo'. Photos are decoded in threads: Pillow releases the GIL while decoding.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
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
from models.validation import is_empty

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


def model_inputs(
    schema: Schema, frame: pd.DataFrame, photos: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Typed columns of `frame` (and decoded `photos`) as the model's named inputs."""
    inputs: dict[str, Any] = {}
    for feature in schema.features:
        if feature.type == FeatureType.IMAGE:
            inputs[feature.name] = photos[feature.name]
            continue
        column = frame[feature.name]
        if feature.type == FeatureType.INTEGER:
            inputs[feature.name] = column.to_numpy(dtype="int64")
        elif feature.type == FeatureType.NUMBER:
            inputs[feature.name] = column.to_numpy(dtype="float32")
        else:
            # Keras 3 refuses NumPy string arrays; a tf string tensor is accepted.
            inputs[feature.name] = tf.constant(["" if is_empty(v) else str(v) for v in column])
    return inputs


def image_size(model: Any, feature: Feature) -> int:
    """The photo side a loaded model expects for an image feature."""
    return int(model.get_layer(f"photo_{feature.name}").input.shape[1])
