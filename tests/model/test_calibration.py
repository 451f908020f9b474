"""Conformal calibration: held-out rows set shifts that make the range cover what it promises."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from models.calibration import apply_shifts, conformal_shifts
from models.layers import CalibratedQuantiles

pytestmark = pytest.mark.model
LEVELS = [0.1, 0.5, 0.9]


def _overconfident(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles a model believes are 10%/50%/90% but that are far too narrow for the noise."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(4, 1, n)
    y = centre + rng.normal(0, 0.5, n)
    quantiles = np.stack([centre - 0.2, centre, centre + 0.2], axis=1)
    return quantiles, y


def _coverage(quantiles: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((y >= quantiles[:, 0]) & (y <= quantiles[:, 2])))


def test_shifts_from_held_out_rows_restore_the_promised_coverage() -> None:
    held_q, held_y = _overconfident(2000, seed=1)
    new_q, new_y = _overconfident(20000, seed=2)
    assert _coverage(new_q, new_y) < 0.35
    shifts = conformal_shifts(held_q, held_y, LEVELS)
    assert shifts[1] == 0 and shifts[0] < 0 < shifts[2]
    moved = keras.ops.convert_to_numpy(apply_shifts(new_q, shifts, 1))
    assert _coverage(moved, new_y) == pytest.approx(0.8, abs=0.015)
    np.testing.assert_allclose(moved[:, 1], new_q[:, 1])  # the price itself does not move


def test_a_range_too_wide_is_narrowed_but_never_crosses_the_median() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(0, 0.01, 500)
    quantiles = np.stack([np.full(500, -2.0), np.zeros(500), np.full(500, 2.0)], axis=1)
    shifts = conformal_shifts(quantiles, y, LEVELS)
    assert shifts[0] > 1.9 and shifts[2] < -1.9
    wild = np.array([[-2.0, 0.0, 2.0], [-0.5, 1.0, 1.1]])
    moved = keras.ops.convert_to_numpy(apply_shifts(wild, np.array([3.0, 0.0, -3.0]), 1))
    np.testing.assert_allclose(moved, [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])


def test_the_layer_saves_its_shifts_with_the_model(tmp_path: Path) -> None:
    raw = keras.Input(shape=(3,))
    model = keras.Model(raw, CalibratedQuantiles(1, name="q")(raw))
    model.get_layer("q").set_shifts(np.array([-0.3, 0.0, 0.4]))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    out = keras.ops.convert_to_numpy(loaded(np.array([[1.0, 2.0, 3.0]])))
    np.testing.assert_allclose(out, [[0.7, 2.0, 3.4]], atol=1e-6)
