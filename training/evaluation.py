"""How a run judges its model: one holdout split on a large dataset, k folds on a small one.

Both paths end with the model to register, already calibrated, its contenders' scores on the
same rows, the joint model's prices on those rows (for the plots), and how to score the current
champion comparably.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import mlflow
import numpy as np
import pandas as pd

from models.pyfunc import AppraiserModel
from training.calibrate import calibrate_scores, shifts_from, store_shifts
from training.compare import JOINT, Comparison
from training.config import TrainConfig
from training.contest import fit_joint, run_contest
from training.crossval import cross_validate
from training.dataset import Dataset
from training.metrics import price_metrics
from training.prepare import Decoded, Split, final_indices, holdout_splits
from training.tracking import recorded_score
from training.trainer import predict_prices

HOLDOUT = "holdout"


@dataclass
class Evaluation:
    """The model to register and the evidence for it."""

    model: keras.Model
    history: dict[str, list[float]]
    comparison: Comparison  # test scores, or their means over the folds
    actual: np.ndarray  # prices of the rows the joint model was judged on
    prices: np.ndarray  # its calibrated price, low and high there
    frame: pd.DataFrame  # those rows
    fit_seconds: float  # building and fitting the registered model
    protocol: str  # HOLDOUT, or "k-fold cross-validation"
    score_champion: Callable[[str], float | None]  # another model's comparable test RMSLE
    train_frame: pd.DataFrame  # the rows the registered model was fitted on
    folds: list[Comparison] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, float]:
        return self.comparison.get(JOINT).metrics


def evaluate(
    dataset: Dataset, decoded: Decoded, config: TrainConfig, verbose: int | str
) -> Evaluation:
    """k folds when the dataset has fewer usable rows than `cv_below_rows`, else a holdout."""
    if protocol_of(config, len(decoded)) == HOLDOUT:
        return _holdout(dataset, decoded, config, verbose)
    return _cross_validated(dataset, decoded, config, verbose)


def protocol_of(config: TrainConfig, rows: int) -> str:
    """How a run on `rows` usable rows is judged, in words (logged, and compared for champions)."""
    if rows < config.cv_below_rows:
        return f"{config.cv_folds}-fold cross-validation"
    return HOLDOUT


def _holdout(
    dataset: Dataset, decoded: Decoded, config: TrainConfig, verbose: int | str
) -> Evaluation:
    schema, levels = dataset.schema, config.model.quantiles
    splits = holdout_splits(decoded, config)
    contest = run_contest(schema, splits, config, verbose)
    assert splits.calibration is not None  # a holdout always holds calibration rows
    shifts = shifts_from(contest.calibration, splits.calibration.log_price(schema), levels)
    actual = splits.test.frame[schema.target].to_numpy(dtype="float64")
    calibrate_scores(contest.comparison, shifts, actual, levels.index(0.5))
    store_shifts(contest.model, shifts[JOINT])
    return Evaluation(
        contest.model,
        contest.history,
        contest.comparison,
        actual,
        predict_prices(contest.model, splits.test, schema),
        splits.test.frame,
        contest.fit_seconds,
        HOLDOUT,
        lambda uri: score_on(uri, dataset, splits.test),
        splits.train.frame,
    )


def _cross_validated(
    dataset: Dataset, decoded: Decoded, config: TrainConfig, verbose: int | str
) -> Evaluation:
    schema = dataset.schema
    cv = cross_validate(decoded, schema, config, progress=verbose != 0)
    train, val = final_indices(len(decoded), config)
    keras.utils.set_random_seed(config.seed)
    fitted_on = decoded.take(train)
    model, history, seconds = fit_joint(schema, fitted_on, decoded.take(val), config, verbose)
    store_shifts(model, cv.shifts)
    frame = decoded.frame.iloc[cv.rows].reset_index(drop=True)
    protocol = protocol_of(config, len(decoded))
    fingerprint = dataset.fingerprint()
    return Evaluation(
        model,
        history,
        cv.comparison,
        frame[schema.target].to_numpy(dtype="float64"),
        cv.prices,
        frame,
        seconds,
        protocol,
        lambda uri: recorded_score(uri, fingerprint, protocol),
        fitted_on.frame,
        cv.folds,
    )


def score_on(model_uri: str, dataset: Dataset, split: Split) -> float | None:
    """Another logged model's test RMSLE on this split; None when its schema differs."""
    wrapper = mlflow.pyfunc.load_model(model_uri).unwrap_python_model()
    if (
        not isinstance(wrapper, AppraiserModel)
        or wrapper.schema.features != dataset.schema.features
    ):
        return None
    scored = wrapper.predict_frame(split.frame, dataset.folder)
    return price_metrics(split.frame[dataset.schema.target], scored["price"])["rmsle"]
