"""Exact Shapley values: the axioms on games whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from models.explain import MAX_FEATURES, masks, shapley


def test_an_additive_game_gives_each_feature_its_own_effect() -> None:
    effects = np.array([0.5, -0.2, 0.0, 1.1])
    values = masks(4) @ effects
    np.testing.assert_allclose(shapley(values), effects, atol=1e-12)


def test_an_interaction_is_split_evenly_between_the_features_that_make_it() -> None:
    keep = masks(3)
    values = 0.3 * keep[:, 0] + 0.8 * (keep[:, 1] & keep[:, 2])  # 1 and 2 only count together
    np.testing.assert_allclose(shapley(values), [0.3, 0.4, 0.4], atol=1e-12)


def test_contributions_sum_to_the_listing_minus_the_baseline_for_any_game() -> None:
    values = np.random.default_rng(5).normal(size=2**5)
    assert shapley(values).sum() == pytest.approx(values[-1] - values[0], abs=1e-12)


def test_masks_run_from_the_baseline_to_the_listing_itself() -> None:
    keep = masks(3)
    assert keep.shape == (8, 3) and not keep[0].any() and keep[-1].all()
    assert keep[0b101].tolist() == [True, False, True]  # bit j keeps feature j


def test_too_many_features_for_exact_values_is_refused() -> None:
    with pytest.raises(ValueError, match=f"stop at {MAX_FEATURES}"):
        masks(MAX_FEATURES + 1)
    with pytest.raises(ValueError, match="power of 2"):
        shapley(np.zeros(6))
