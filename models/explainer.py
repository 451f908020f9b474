"""One listing's explanation from the model's outputs: price and range, each feature's
contribution (models.explain) and comparable sold listings (models.comparables).

The caller runs the forward pass (the pyfunc model in one Keras call, the service through its
micro-batcher): `rows` says what to run, `explain` reads the outputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.comparables import LISTINGS_FILE, Comparable, Comparables
from models.explain import (
    NEUTRAL_FILE,
    Contribution,
    Neutral,
    coalition_rows,
    contributions,
    masks,
)
from models.inputs import PreparedListing
from models.schema import Schema

DEFAULT_COMPARABLES = 5
MAX_COMPARABLES = 50


class NotExplainableError(ValueError):
    """The model was logged without what explanations need (trained before they existed)."""


@dataclass(frozen=True)
class Explanation:
    """A listing's price and range, what moved it from the baseline, and comparables."""

    price: float
    low: float
    high: float
    baseline_price: float  # the price of a listing with nothing known
    contributions: list[Contribution]  # sum of log_price = log(price / baseline_price)
    comparables: list[Comparable]


class Explainer:
    """Explains a model's prices over every feature of its schema."""

    def __init__(self, schema: Schema, neutral: Neutral, comparables: Comparables | None) -> None:
        self.schema = schema
        self.features = list(schema.features)
        self.neutral = neutral
        self.comparables = comparables
        masks(len(self.features))  # refuses a schema too wide for exact values, at load

    @classmethod
    def load(cls, schema: Schema, folder: Path | None) -> Explainer:
        """From a logged model's explanation folder; raises NotExplainableError without one."""
        if folder is None or not (folder / NEUTRAL_FILE).is_file():
            raise NotExplainableError(
                "this model was logged without explanation data (trained before explanations "
                "existed); train it again to explain its prices"
            )
        neutral = Neutral.from_json((folder / NEUTRAL_FILE).read_text(encoding="utf-8"))
        found = Comparables.load(folder) if (folder / LISTINGS_FILE).is_file() else None
        return cls(schema, neutral, found)

    @property
    def rows_per_listing(self) -> int:
        return int(2 ** len(self.features))

    def rows(self, listing: PreparedListing) -> list[PreparedListing]:
        """The listings to run for one explanation (the listing itself last)."""
        return coalition_rows(listing, self.neutral, self.features)

    def explain(
        self,
        log_prices: np.ndarray,
        own: tuple[float, float, float],
        representation: np.ndarray | None,
        k: int = DEFAULT_COMPARABLES,
    ) -> Explanation:
        """The explanation from the log prices (medians) of `rows`, in order, the listing's own
        price, low and high, and its joint representation (None: no comparables)."""
        found: list[Comparable] = []
        if self.comparables is not None and representation is not None and k > 0:
            found = self.comparables.nearest(representation, k)[0]
        medians = np.asarray(log_prices, dtype="float64")
        return Explanation(
            float(own[0]),
            float(own[1]),
            float(own[2]),
            math.exp(float(medians[0])),
            contributions(self.features, medians),
            found,
        )
