"""Strategy and precision choices on a machine without GPUs, and their config validation."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest
import tensorflow as tf

from training.config import ConfigError, TrainConfig
from training.devices import choose_strategy, global_batch_size, precision

pytestmark = pytest.mark.unit


def test_auto_on_cpu_is_the_default_strategy_with_the_configured_batch() -> None:
    strategy = choose_strategy("auto")
    assert strategy is tf.distribute.get_strategy()
    assert global_batch_size(64, strategy) == 64


def test_mixed_precision_is_refused_without_a_gpu(caplog: pytest.LogCaptureFixture) -> None:
    with precision(True):
        assert keras.mixed_precision.global_policy().name == "float32"
    assert "none is visible" in caplog.text


def test_unknown_strategy_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("strategy: tpu\n")
    with pytest.raises(ConfigError, match="strategy"):
        TrainConfig.load(path)
