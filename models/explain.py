"""Why a price: each feature's exact Shapley contribution to a listing's log price.

The baseline is the listing with nothing known. What "nothing known" means per feature type:
photo and text absent (what the model saw under modality dropout), a category in its unknown
slot, an integer or a number at the training split's median (a neutral value: the model has
no missing input for them). For n features, the 2^n listings that mix the listing's values with
the baseline's go through one batched forward pass, and Shapley's formula weighs their log
prices; the contributions sum exactly to log(price) - log(baseline price).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.inputs import PreparedListing
from models.schema import Feature, FeatureType, Schema
from models.validation import Value

UNKNOWN_CATEGORY = "[UNK]"  # never a vocabulary entry: StringLookup's out-of-vocabulary slot
NEUTRAL_FILE = "neutral.json"  # in the logged model's explanation artifact
MAX_FEATURES = 12  # 4,096 rows per explanation; more features need sampling, not exact values


@dataclass(frozen=True)
class Neutral:
    """Each non-photo feature's "nothing known" value (photos are absent: all zeros)."""

    values: dict[str, Value]

    def to_json(self) -> str:
        return json.dumps({"values": self.values}, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Neutral:
        return cls(dict(json.loads(text)["values"]))


def fit_neutral(schema: Schema, train: pd.DataFrame) -> Neutral:
    """The neutral values from the training split's raw columns."""
    return Neutral({f.name: _neutral_value(f, train[f.name]) for f in _tabular_and_text(schema)})


def _neutral_value(feature: Feature, column: pd.Series) -> Value:
    if feature.type == FeatureType.TEXT:
        return ""
    if feature.type == FeatureType.CATEGORY:
        return UNKNOWN_CATEGORY
    known = pd.to_numeric(column, errors="coerce").dropna()
    middle = float(known.median()) if len(known) else float(feature.min or 0)
    return round(middle) if feature.type == FeatureType.INTEGER else middle


def _tabular_and_text(schema: Schema) -> list[Feature]:
    return [f for f in schema.features if f.type != FeatureType.IMAGE]


def masks(n: int) -> np.ndarray:
    """Every coalition of `n` features as a (2^n, n) boolean array: row i keeps feature j's
    value when bit j of i is set. Row 0 is the baseline, the last row the listing itself."""
    if n > MAX_FEATURES:
        raise ValueError(f"{n} features: exact contributions stop at {MAX_FEATURES}")
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)


def coalition_rows(
    listing: PreparedListing, neutral: Neutral, features: Sequence[Feature]
) -> list[PreparedListing]:
    """The 2^n listings of `masks(len(features))`: the listing's values where kept, else the
    neutral value (or no photo)."""
    # one blank per photo, shared like the listing's own: a pass runs each distinct photo once
    blanks = {name: np.zeros_like(photo) for name, photo in listing.photos.items()}
    rows = []
    for keep in masks(len(features)):
        values = dict(listing.values)
        photos = dict(listing.photos)
        for feature, kept in zip(features, keep, strict=True):
            if kept:
                continue
            if feature.type == FeatureType.IMAGE:
                photos[feature.name] = blanks[feature.name]
            else:
                values[feature.name] = neutral.values[feature.name]
        rows.append(PreparedListing(values, photos))
    return rows


def shapley(log_prices: np.ndarray) -> np.ndarray:
    """Exact Shapley values from the log prices of every coalition (in `masks` order)."""
    size = len(log_prices)
    n = size.bit_length() - 1
    if n < 1 or size != 2**n:
        raise ValueError(f"{size} coalition prices: expected a power of 2, at least 2")
    values = np.zeros(n)
    for coalition in range(size - 1):  # the last keeps everything: nothing left to add
        s = coalition.bit_count()
        weight = math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n)
        for j in range(n):
            if not coalition >> j & 1:
                gain = log_prices[coalition | 1 << j] - log_prices[coalition]
                values[j] += weight * gain
    return values


@dataclass(frozen=True)
class Contribution:
    """One feature's share of the price: in log price, and as a price ratio (exp of it)."""

    feature: str
    log_price: float

    @property
    def ratio(self) -> float:
        return math.exp(self.log_price)


def contributions(features: Sequence[Feature], log_prices: np.ndarray) -> list[Contribution]:
    """Each feature's contribution, from the coalitions' log prices (in `masks` order)."""
    return [
        Contribution(f.name, float(v)) for f, v in zip(features, shapley(log_prices), strict=True)
    ]
