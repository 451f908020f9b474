"""Strategy and precision choices on a machine without GPUs, and their config validation."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest
import tensorflow as tf
from typer.testing import CliRunner

from appraise import app
from training.config import ConfigError, TrainConfig
from training.devices import choose_strategy, device_names, global_batch_size, precision

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


def test_asking_for_a_gpu_where_none_is_seen_stops_before_any_work(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GPU image that lost its GPU must say so, not train on the CPU for hours."""
    assert not tf.config.list_physical_devices("GPU")  # this machine, as in CI
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["train", str(tiny_dataset), "--device", "gpu"])
    assert result.exit_code == 2, result.output
    assert "device: gpu is asked for, but TensorFlow sees no GPU" in result.output
    assert not (tmp_path / "mlflow.db").exists()  # nothing was trained or logged
    result = CliRunner().invoke(app, ["train", str(tiny_dataset), "--device", "tpu"])
    assert result.exit_code == 2 and "device: Input should be" in result.output


def test_the_devices_a_strategy_trains_on_are_named() -> None:
    assert device_names("auto") == ["/device:CPU:0"]
    assert device_names("default") == ["/device:CPU:0"]
