"""k-fold cross-validation: honest figures on a small dataset, where one split is luck.

Every contender is trained and scored on each fold (`training.contest`); a fold's ranges are
calibrated on the other folds' test rows, so no fold's own prices set its calibration, and the
joint model to register is calibrated on every fold's test rows (cross-conformal, in the spirit
of Barber et al. 2021's CV+). The registered model itself is fitted on every row
(`training.pipeline`): the folds measure the recipe, the final fit uses all the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from tqdm import tqdm

from models.calibration import conformal_shifts
from models.predictions import quantiles_to_prices
from models.schema import Schema
from training.calibrate import calibrate_scores, calibrated, shifts_from
from training.compare import JOINT, Comparison, mean_over_folds
from training.config import TrainConfig
from training.contest import run_contest
from training.prepare import Decoded, Splits, fold_indices


@dataclass
class CrossValidation:
    """Per-fold and mean scores, the joint model's calibration, and its out-of-fold prices."""

    folds: list[Comparison]
    comparison: Comparison  # means over folds, with their spread
    shifts: np.ndarray  # the joint model's calibration, from every fold's test rows
    rows: np.ndarray  # row positions, fold after fold
    prices: np.ndarray  # the joint model's price, low and high there, each fold calibrated apart


def cross_validate(
    decoded: Decoded, schema: Schema, config: TrainConfig, progress: bool = True
) -> CrossValidation:
    """Score every contender on each of `config.cv_folds` folds."""
    folds: list[Comparison] = []
    tests: list[np.ndarray] = []
    logs: list[np.ndarray] = []
    bar = tqdm(
        fold_indices(len(decoded), config),
        desc="cross-validation",
        unit="fold",
        disable=not progress,
    )
    for train, val, test in bar:
        keras.utils.set_random_seed(config.seed)  # every fold starts as the first does
        splits = Splits(decoded.take(train), decoded.take(val), decoded.take(test))
        contest = run_contest(schema, splits, config, verbose=0)
        folds.append(contest.comparison)
        tests.append(test)
        logs.append(splits.test.log_price(schema))
        bar.set_postfix(rmsle=f"{contest.comparison.get(JOINT).metrics['rmsle']:.4f}")
        keras.backend.clear_session()  # each fold's models are done with
    levels = config.model.quantiles
    median = levels.index(0.5)
    prices = []
    for i, fold in enumerate(folds):
        others = [j for j in range(len(folds)) if j != i]
        held = {n: np.concatenate([folds[j].quantiles[n] for j in others]) for n in fold.quantiles}
        shifts = shifts_from(held, np.concatenate([logs[j] for j in others]), levels)
        calibrate_scores(fold, shifts, np.exp(logs[i]), median)
        joint = calibrated(fold.quantiles[JOINT], shifts[JOINT], median)
        prices.append(quantiles_to_prices(joint, median))
    every = np.concatenate([fold.quantiles[JOINT] for fold in folds])
    final = conformal_shifts(every, np.concatenate(logs), levels)
    rows, out_of_fold = np.concatenate(tests), np.concatenate(prices)
    return CrossValidation(folds, mean_over_folds(folds), final, rows, out_of_fold)
