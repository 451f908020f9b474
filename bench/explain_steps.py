"""Where an explanation's CPU goes, step by step, in this process: the predictor with the
service's thread settings (one TensorFlow thread each), no HTTP, no batcher.

A prediction is one row through a pass; an explanation builds its 16 coalition rows, runs them
through a pass of 16 and reads the contributions and comparables off the answers. A pass over
2 rows (the listing and its baseline) stands for what a pass would cost if each branch ran only
on its two distinct inputs (the listing's value and "missing") and the head on the 16 mixes;
the photo branch alone, on 16 rows and on 1, says how much of a pass is the photo's convnet.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from models.inputs import PreparedListing


@dataclass(frozen=True)
class Step:
    """One step's CPU ms per listing (the median of the rounds)."""

    name: str
    cpu_ms: float


def cpu_ms(work: Callable[[PreparedListing], Any], rows: Sequence[PreparedListing]) -> float:
    """Process CPU ms per call of `work` over `rows` (TensorFlow's threads included)."""
    started = time.process_time()
    for row in rows:
        work(row)
    return (time.process_time() - started) * 1000 / len(rows)


def measure(predictor: Any, listings: Sequence[dict[str, Any]], k: int, rounds: int) -> list[Step]:
    """Each step over the prepared `listings`, `rounds` times, in turn so drift hits all."""
    from service.inference.predictor import explained

    explainer = predictor.explainer
    if explainer is None:
        raise RuntimeError("the model was logged without explanation data")
    rows = [predictor.prepare(listing) for listing in listings]
    coalitions = {id(r): explainer.rows(r) for r in rows}
    estimates = {id(r): predictor.forward(coalitions[id(r)]) for r in rows}
    steps: dict[str, Callable[[PreparedListing], Any]] = {
        "predict: pass of 1 row": lambda r: predictor.forward([r]),
        "explain: build the 16 coalition rows": explainer.rows,
        "explain: pass of 16 rows": lambda r: predictor.forward(coalitions[id(r)]),
        "explain: contributions and comparables": lambda r: explained(
            explainer, estimates[id(r)], k
        ),
        "pass of 2 rows (listing and baseline)": lambda r: predictor.forward(
            [coalitions[id(r)][0], r]
        ),
        "pass of 32 rows (two explanations)": lambda r: predictor.forward(coalitions[id(r)] * 2),
    }
    steps.update(photo_branch_steps(predictor, coalitions))
    for work in steps.values():  # warm every shape once
        work(rows[0])
    readings: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, work in steps.items():
            readings[name].append(cpu_ms(work, rows))
    return [Step(name, statistics.median(values)) for name, values in readings.items()]


def photo_branch_steps(
    predictor: Any, coalitions: dict[int, list[PreparedListing]]
) -> dict[str, Callable[[PreparedListing], Any]]:
    """The photo branch alone on a listing's 16 coalition photos and on its own photo (none for
    a model with other than one photo branch)."""
    import keras
    import numpy as np
    import tensorflow as tf

    from models.architecture import photo_layers
    from models.schema import FeatureType

    images = predictor.schema.of_type(FeatureType.IMAGE)
    # Private on purpose: one branch of the served model is timed here, not the whole pass.
    branches = [b for b in photo_layers(predictor._model) if isinstance(b, keras.Model)]
    if len(images) != 1 or len(branches) != 1:
        return {}
    name, branch = images[0].name, branches[0]
    call = tf.function(lambda photos: branch(photos, training=False))

    def photos(rows: Sequence[PreparedListing]) -> Any:
        return call(tf.constant(np.stack([row.photos[name] for row in rows]))).numpy()

    return {
        "photo branch alone, 16 rows": lambda r: photos(coalitions[id(r)]),
        "photo branch alone, 1 row": lambda r: photos([r]),
    }
