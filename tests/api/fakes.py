"""A fake predictor for API tests: the real validation and photo decoding, a fake forward pass.

Its price is a simple function of the listing, so every answer can be checked, and it records
each forward pass, so tests can see batching happen. It explains its prices with a real
Explainer (models.explainer) over a handful of sold listings: its representation of a listing is
the parts its price adds up, so a sold listing sent again is its own nearest comparable.
"""

from __future__ import annotations

import base64
import io
import struct
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from models.comparables import Comparables
from models.explain import UNKNOWN_CATEGORY, Neutral
from models.explainer import Explainer
from models.inputs import PreparedListing
from models.schema import Schema, clothing_schema
from service.inference.listing import prepare
from service.inference.predictor import PriceEstimate
from service.inference.registry import ModelInfo
from service.inference.settings import RuntimeSettings

PHOTO_MAX_BYTES = 20_000
PHOTO_MAX_PIXELS = 100 * 100


def fake_schema() -> Schema:
    """The clothing schema with small photo and text limits, so limit tests stay small."""
    smaller = {
        "brand": {"max_chars": 40},
        "description": {"max_chars": 200},
        "photo": {"max_bytes": PHOTO_MAX_BYTES, "max_pixels": PHOTO_MAX_PIXELS},
    }
    base = clothing_schema()
    features = tuple(f.model_copy(update=smaller.get(f.name, {})) for f in base.features)
    return base.model_copy(update={"features": features})


def expected_price(year: int, description: str = "", photo: bool = False) -> float:
    """What the fake answers: known inputs in, a known price out."""
    return float(sum(_parts(year, description, photo)))


def _parts(year: int, description: str, photo: bool) -> np.ndarray:
    """The fake's representation of a listing: what each input adds to its price."""
    return np.array([year - 1900, len(description), 1000.0 if photo else 0.0], dtype=np.float32)


NEUTRAL_YEAR = 1990  # the fake's "nothing known" year, as a training median would be
# Sold listings the fake explains with: id, brand, year, description, photo colour (None: none).
SOLD: tuple[tuple[str, str, int, str, tuple[int, int, int] | None], ...] = (
    ("S001", "Nordvik", 2015, "wool coat, like new", (122, 86, 62)),
    ("S002", "Hartwell", 2012, "tweed blazer, small mark on the left sleeve", (92, 96, 118)),
    ("S003", "Nordvik", 2018, "down parka, worn one winter, all zips work", (44, 66, 98)),
    ("S004", "Alder & Co", 2009, "leather boots, resoled last year", None),
    ("S005", "Hartwell", 2016, "cashmere scarf, no pilling", (168, 48, 56)),
    ("S006", "Fjellby", 2020, "rain jacket, never worn, tags still on", (38, 112, 84)),
)


def fake_explainer(schema: Schema) -> Explainer:
    """A real Explainer for the fake: neutral values as training would store them, and SOLD
    indexed by the fake's representation, each with a real JPEG thumbnail where it had a photo."""
    neutral = Neutral({"brand": UNKNOWN_CATEGORY, "year": NEUTRAL_YEAR, "description": ""})
    table = pd.DataFrame(
        {
            "id": [s[0] for s in SOLD],
            "price": [expected_price(s[2], s[3], s[4] is not None) for s in SOLD],
            "brand": [s[1] for s in SOLD],
            "year": [s[2] for s in SOLD],
            "description": [s[3] for s in SOLD],
            "thumbnail": [None if s[4] is None else jpeg((48, 48), s[4]) for s in SOLD],
        }
    )
    vectors = np.stack([_parts(s[2], s[3], s[4] is not None) for s in SOLD])
    return Explainer(schema, neutral, Comparables.of(vectors, table))


class FakePredictor:
    """Satisfies service.inference.predictor.PricePredictor without TensorFlow."""

    def __init__(
        self,
        version: str = "1",
        *,
        batch_sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32),
        forward_delay_s: float = 0.0,
        fail_warm: bool = False,
        explainable: bool = True,
    ) -> None:
        self.schema = fake_schema()
        self.info = ModelInfo(
            name="fake",
            version=version,
            uri=f"models:/fake/{version}",
            run_id=f"run-{version}",
            test_metrics={"rmsle": 0.25, "mae": 9.5},
            example={"brand": "Nordvik", "year": 2015, "description": "wool coat", "photo": None},
        )
        self.device = "/CPU:0"
        self.explainer = fake_explainer(self.schema) if explainable else None
        self.batch_sizes = batch_sizes
        self.photo_sizes = {"photo": 8}
        self.forward_delay_s = forward_delay_s
        self.fail_warm = fail_warm
        self.forward_sizes: list[int] = []
        self.broken = False
        self._lock = threading.Lock()

    def prepare(self, listing: Mapping[str, Any], root: Path | None = None) -> PreparedListing:
        return prepare(self.schema, self.photo_sizes, listing, root)

    def forward(self, rows: Sequence[PreparedListing]) -> list[PriceEstimate]:
        if self.broken:
            raise RuntimeError("a bug in the forward pass")
        with self._lock:
            self.forward_sizes.append(len(rows))
        time.sleep(self.forward_delay_s)
        return [self._estimate(r) for r in rows]

    def warm(self) -> None:
        if self.fail_warm:
            raise RuntimeError(f"version {self.info.version} does not warm")

    def _estimate(self, row: PreparedListing) -> PriceEstimate:
        year = int(row.values["year"] or 0)
        text = str(row.values["description"] or "")
        parts = _parts(year, text, bool(row.photos["photo"].any()))
        price = float(sum(parts))
        return PriceEstimate(price, price * 0.8, price * 1.25, parts)


def factory_of(*predictors: FakePredictor) -> Callable[[str, RuntimeSettings], FakePredictor]:
    """A predictor factory serving the fake whose version the URI names (the first by default)."""
    by_version = {p.info.version: p for p in predictors}

    def load(uri: str, settings: RuntimeSettings) -> FakePredictor:
        version = uri.rsplit("/", 1)[-1]
        return by_version.get(version, predictors[0])

    return load


def jpeg(size: tuple[int, int] = (16, 16), color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A small real JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


def noisy_png(side: int) -> bytes:
    """A PNG that compresses badly, to get past a byte limit with few pixels."""
    pixels = bytes((i * 7919) % 251 for i in range(side * side * 3))
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


def bomb_png(side: int = 60_000) -> bytes:
    """A few hundred bytes claiming `side`x`side` pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
