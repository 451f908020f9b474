"""Custom layers: the fused batch normalisation gives Keras's answers; both survive a save."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.layers import FusedBatchNormalization, Log

pytestmark = pytest.mark.model


def _twin_layers(shape: tuple[int, ...]) -> tuple[keras.layers.Layer, FusedBatchNormalization]:
    """Keras's batch normalisation and ours, built with the same (non-trivial) weights."""
    ours, theirs = FusedBatchNormalization(), keras.layers.BatchNormalization()
    ours.build(shape)
    theirs.build(shape)
    weights = [w + 0.3 * (i + 1) for i, w in enumerate(ours.get_weights())]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return theirs, ours


@pytest.mark.parametrize("training", [True, False])
def test_fused_batch_norm_matches_keras_outputs_and_gradients(training: bool) -> None:
    maps = tf.constant(np.random.default_rng(0).normal(2, 3, (6, 5, 5, 4)), dtype="float32")
    theirs, ours = _twin_layers(maps.shape)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(maps)
        expected = theirs(maps, training=training)
        got = ours(maps, training=training)
        losses = [tf.reduce_sum(expected**2), tf.reduce_sum(got**2)]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    grads = [
        tape.gradient(loss, [maps, layer.gamma])
        for loss, layer in zip(losses, (theirs, ours), strict=True)
    ]
    for want, have in zip(*grads, strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-3, atol=1e-3)


def test_fused_batch_norm_moves_its_statistics_toward_the_batch() -> None:
    maps = tf.constant(np.random.default_rng(1).normal(5, 2, (8, 4, 4, 3)), dtype="float32")
    theirs, ours = _twin_layers(maps.shape)
    theirs(maps, training=True)
    ours(maps, training=True)
    np.testing.assert_allclose(ours.moving_mean, theirs.moving_mean, rtol=1e-5)
    # the fused kernel corrects the batch variance for the sample size (n / (n - 1))
    np.testing.assert_allclose(ours.moving_variance, theirs.moving_variance, rtol=1e-2)
    assert not np.allclose(ours.moving_mean, 0.3 * 3)


def test_fused_batch_norm_falls_back_for_what_the_kernel_cannot_take() -> None:
    """A 2-D input (no spatial axes) goes through Keras's own path and still normalises."""
    values = tf.constant(np.random.default_rng(2).normal(4, 2, (64, 3)), dtype="float32")
    out = FusedBatchNormalization(center=False, scale=False)(values, training=True)
    np.testing.assert_allclose(np.mean(out, axis=0), 0, atol=1e-4)


def test_custom_layers_load_from_a_saved_model(tmp_path: Path) -> None:
    model = keras.Sequential([keras.Input((3, 3, 2)), FusedBatchNormalization(), Log()])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert [type(layer) for layer in loaded.layers] == [FusedBatchNormalization, Log]


def test_log_clips_non_positive_values_to_one_tiny_value() -> None:
    out = keras.ops.convert_to_numpy(Log()(tf.constant([[np.e], [1.0], [0.0], [-5.0]])))
    np.testing.assert_allclose(out[:2, 0], [1.0, 0.0], atol=1e-6)
    assert np.all(np.isfinite(out)) and out[2, 0] == out[3, 0] < -60
