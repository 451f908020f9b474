"""The predictor: a logged model behind a compiled forward pass on a fixed set of batch shapes.

One class serves the HTTP API and the batch scorer. `prepare` validates and decodes one listing
(thread-safe, run it in a pool); `forward` scores prepared listings in one compiled pass per
chunk. Keras `predict` builds a data pipeline per call; the `tf.function` here is traced once
with a fixed input signature, and passes call its concrete function, which skips each call's
signature matching and trace lookup (`make bench-pass`; figures in docs/benchmarks.md, "Figures
behind the code").
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import tensorflow as tf

from models.comparables import with_representation
from models.explainer import Explainer, Explanation, NotExplainableError
from models.inputs import INPUT_DTYPES, PreparedListing, batch_inputs, image_size
from models.photo_split import split_photos
from models.predictions import median_index, quantiles_to_prices
from models.schema import FeatureType, Schema
from service.inference.listing import InputError, prepare
from service.inference.registry import ModelInfo
from service.inference.split_pass import SplitPass

log = logging.getLogger(__name__)
DEFAULT_BATCH_SIZES = (1, 2, 4, 8, 16, 32)


@dataclass(frozen=True)
class PriceEstimate:
    """One listing's price (the median) and its 80% range, and where the model places it (its
    joint representation, for comparables; None for a model without one)."""

    price: float
    low: float
    high: float
    representation: np.ndarray | None = field(default=None, compare=False, repr=False)


class PricePredictor(Protocol):
    """What the batcher and the routes need from a predictor; tests pass a fake one."""

    @property
    def info(self) -> ModelInfo: ...
    @property
    def schema(self) -> Schema: ...
    @property
    def device(self) -> str: ...
    @property
    def batch_sizes(self) -> tuple[int, ...]: ...
    @property
    def explainer(self) -> Explainer | None: ...
    def prepare(self, listing: Mapping[str, Any], root: Path | None = None) -> PreparedListing: ...
    def forward(self, rows: Sequence[PreparedListing]) -> list[PriceEstimate]: ...
    def warm(self) -> None: ...


class Predictor:
    """A loaded Keras model (preprocessing inside) with its schema, compiled once for serving."""

    def __init__(
        self,
        keras_model: Any,
        schema: Schema,
        info: ModelInfo,
        batch_sizes: Sequence[int] = DEFAULT_BATCH_SIZES,
        device: str = "/CPU:0",
        explainer: Explainer | None = None,
    ) -> None:
        # One pass answers the quantiles and, where the model has it, the joint representation.
        self._model = with_representation(keras_model) or keras_model
        self._explainer = explainer
        self._schema = schema
        self._info = info
        self._batch_sizes = tuple(sorted(set(batch_sizes)))
        self._device = device
        self._median = median_index(keras_model)
        self.photo_sizes = {
            f.name: image_size(keras_model, f) for f in schema.of_type(FeatureType.IMAGE)
        }
        self._pass = tf.function(self._call, input_signature=[self._signature()])
        split = split_photos(self._model, schema) if explainer is not None else None
        self._split = None if split is None else SplitPass(split, schema, self.photo_sizes)

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def schema(self) -> Schema:
        return self._schema

    @property
    def device(self) -> str:
        return self._device

    @property
    def batch_sizes(self) -> tuple[int, ...]:
        return self._batch_sizes

    @property
    def explainer(self) -> Explainer | None:
        """What explains this model's prices; None for a model logged without explanation data."""
        return self._explainer

    @functools.cached_property
    def _compiled(self) -> Any:
        """The one concrete function of the forward pass (traced on first use, by `warm`)."""
        return self._pass.get_concrete_function()

    @property
    def trace_count(self) -> int:
        """How often the forward pass was traced: 1 after warming, and it must stay 1."""
        return int(self._pass.experimental_get_tracing_count())

    def prepare(self, listing: Mapping[str, Any], root: Path | None = None) -> PreparedListing:
        """Validate one listing and decode its photos; raises InputError naming the field."""
        return prepare(self._schema, self.photo_sizes, listing, root)

    def forward(self, rows: Sequence[PreparedListing]) -> list[PriceEstimate]:
        """Prices of prepared listings, one compiled pass per chunk of the largest batch size."""
        largest = self._batch_sizes[-1]
        estimates: list[PriceEstimate] = []
        for start in range(0, len(rows), largest):
            chunk = rows[start : start + largest]
            prices, vectors = self._prices(chunk, self._fit(len(chunk)))
            for i, row in enumerate(prices):
                vector = None if vectors is None else vectors[i]
                price, low, high = map(float, row)
                estimates.append(PriceEstimate(price, low, high, vector))
        return estimates

    def explain_prepared(self, rows: Sequence[PreparedListing], k: int) -> list[Explanation]:
        """Explanations of prepared listings with `k` comparables each: their coalition rows
        (models.explain) through `forward`, as many listings a pass as fill the largest batch
        shape, so memory holds one pass of rows whatever the count. NotExplainableError for a
        model logged without explanation data."""
        explainer = self._explainer
        if explainer is None:
            raise NotExplainableError(
                f"model {self._info.uri} was logged without explanation data (trained before "
                "explanations existed); train it again to explain its prices"
            )
        per = explainer.rows_per_listing
        step = max(1, self._batch_sizes[-1] // per)
        found: list[Explanation] = []
        for start in range(0, len(rows), step):
            group = rows[start : start + step]
            estimates = self.forward([row for listing in group for row in explainer.rows(listing)])
            for i in range(len(group)):
                found.append(explained(explainer, estimates[i * per : (i + 1) * per], k))
        return found

    def predict(
        self,
        listings: Iterable[Mapping[str, Any]],
        root: Path | None = None,
        mapper: Callable[..., Iterable[Any]] = map,
    ) -> list[PriceEstimate | InputError]:
        """Score raw listings (photos as bytes, base64 or paths under `root`) in order.

        A listing that cannot be scored gets its InputError in its place. `mapper` runs the
        preparation, e.g. a thread pool's `map`: photo decoding releases the GIL.
        """
        return self.forward_prepared(self.prepare_many(listings, root, mapper))

    def prepare_many(
        self,
        listings: Iterable[Mapping[str, Any]],
        root: Path | None = None,
        mapper: Callable[..., Iterable[Any]] = map,
    ) -> list[PreparedListing | InputError]:
        """`prepare` for each listing, in order; a listing that fails gets its InputError."""
        return list(mapper(lambda listing: self._try_prepare(listing, root), listings))

    def forward_prepared(
        self, prepared: Sequence[PreparedListing | InputError]
    ) -> list[PriceEstimate | InputError]:
        """Prices for the prepared listings, the InputErrors passed through in their places."""
        good = [p for p in prepared if isinstance(p, PreparedListing)]
        scored = iter(self.forward(good))
        return [p if isinstance(p, InputError) else next(scored) for p in prepared]

    def warm(self) -> None:
        """Trace once and run every batch shape, so no request pays for tracing or kernel setup."""
        blank = PreparedListing(
            {f.name: None for f in self._schema.features if f.type != FeatureType.IMAGE},
            {n: np.zeros((s, s, 3), dtype=np.uint8) for n, s in self.photo_sizes.items()},
        )
        for size in self._batch_sizes:
            self._prices([blank], size)
        if self._split is not None:
            self._split.warm(self._batch_sizes)
        log.info(
            "warmed %s v%s on %s: batch sizes %s",
            self._info.name,
            self._info.version,
            self._device,
            ",".join(map(str, self._batch_sizes)),
        )

    def _try_prepare(
        self, listing: Mapping[str, Any], root: Path | None
    ) -> PreparedListing | InputError:
        try:
            return self.prepare(listing, root)
        except InputError as exc:
            return exc

    def _fit(self, n: int) -> int:
        """The smallest batch shape that holds `n` rows."""
        return next(size for size in self._batch_sizes if size >= n)

    def _prices(
        self, rows: Sequence[PreparedListing], size: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Price, low and high of `rows` (padded to `size`), and their representations. Rows
        that repeat a photo (an explanation's) run it through its branch once."""
        with tf.device(self._device):
            if self._split is not None and SplitPass.repeats(rows):
                outputs = self._split(rows, self._fit)
            else:
                outputs = self._compiled(batch_inputs(self._schema, rows, self.photo_sizes, size))
        quantiles = outputs[0].numpy()[: len(rows)]
        vectors = outputs[1].numpy()[: len(rows)] if len(outputs) > 1 else None
        return quantiles_to_prices(quantiles, self._median), vectors

    def _call(self, inputs: dict[str, tf.Tensor]) -> tuple[tf.Tensor, ...]:
        outputs = self._model(inputs, training=False)
        return tuple(outputs) if isinstance(outputs, list | tuple) else (outputs,)

    def _signature(self) -> dict[str, tf.TensorSpec]:
        """One spec per feature with an open batch dimension: a single trace for every shape."""
        specs = {}
        for feature in self._schema.features:
            shape: tuple[int | None, ...] = (None,)
            if feature.type == FeatureType.IMAGE:
                side = self.photo_sizes[feature.name]
                shape = (None, side, side, 3)
            specs[feature.name] = tf.TensorSpec(
                shape, INPUT_DTYPES[feature.type], name=feature.name
            )
        return specs


def explained(explainer: Explainer, estimates: Sequence[PriceEstimate], k: int) -> Explanation:
    """One listing's explanation from the estimates of its coalition rows (the listing last)."""
    own = estimates[-1]
    log_prices = np.log([e.price for e in estimates])
    return explainer.explain(log_prices, (own.price, own.low, own.high), own.representation, k)
