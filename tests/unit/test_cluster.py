"""`strategy: multi_worker` set-up: TF_CONFIG read and checked before TensorFlow starts, the
config's backup folder, and the batch arithmetic that keeps every replica busy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from appraise import app
from training.cluster import ClusterError, cluster_task
from training.config import ConfigError, TrainConfig
from training.devices import join_cluster
from training.multi_worker import fit_key, full_batches, validation_batch

pytestmark = pytest.mark.unit
WORKERS = {"worker": ["host-a:2222", "host-b:2222"]}


def _task(cluster: Any = None, task: Any = None, **extra: Any) -> dict[str, str]:
    config = {"cluster": WORKERS if cluster is None else cluster, **extra}
    if task is not False:
        config["task"] = task or {"type": "worker", "index": 1}
    return {"TF_CONFIG": json.dumps(config)}


def test_a_worker_reads_its_place_and_who_is_chief() -> None:
    second = cluster_task(_task())
    assert (second.kind, second.index, second.workers, second.is_chief) == ("worker", 1, 2, False)
    assert cluster_task(_task(task={"type": "worker", "index": 0})).is_chief
    with_chief = {"chief": ["host-c:2222"], **WORKERS}
    assert cluster_task(_task(with_chief, {"type": "chief", "index": 0})).is_chief
    first = cluster_task(_task(with_chief, {"type": "worker", "index": 0}))
    assert not first.is_chief and first.workers == 3


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "TF_CONFIG is not set"),
        ({"TF_CONFIG": "{cluster"}, "TF_CONFIG is not JSON"),
        (_task(task=False), "TF_CONFIG: task: Field required"),
        ({"TF_CONFIG": json.dumps({"task": {"type": "worker", "index": 0}})}, "cluster: Field"),
        (_task(task={"type": "worker", "index": 2}), "task.index: 2 is out of range"),
        (_task(task={"type": "worker", "index": -1}), "task.index: Input should be greater"),
        (_task(task={"type": "ps", "index": 0}), "task.type: 'ps' is not a job of cluster"),
        (_task({"worker": ["host-a"]}, {"type": "worker", "index": 0}), "cluster.worker[0]"),
        (_task({"ps": ["a:1"], **WORKERS}), "jobs ['ps'] are not supported"),
        (_task({"chief": ["a:1", "b:1"], **WORKERS}), "cluster.chief: 2 addresses; at most 1"),
        (_task({"worker": []}, {"type": "worker", "index": 0}), "lists no `worker`"),
    ],
)
def test_an_unusable_tf_config_is_refused_naming_the_field(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ClusterError) as error:
        cluster_task(environ)
    assert message in str(error.value)


def test_joining_without_tf_config_fails_before_tensorflow_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert join_cluster("auto") is None
    with pytest.raises(ClusterError, match="TF_CONFIG is not set"):
        join_cluster("multi_worker")


def test_multi_worker_needs_a_backup_folder(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("strategy: multi_worker\n")
    with pytest.raises(ConfigError, match="backup_dir: required with strategy multi_worker"):
        TrainConfig.load(path)
    assert (
        TrainConfig.load(path, backup_dir="gs://bucket/backup").backup_dir == "gs://bucket/backup"
    )


def test_train_command_refuses_a_missing_tf_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
    path = tmp_path / "train.yaml"
    path.write_text(f"strategy: multi_worker\nbackup_dir: {tmp_path / 'backup'}\n")
    result = CliRunner().invoke(app, ["train", str(tmp_path), "--config", str(path)])
    assert result.exit_code == 2
    assert "TF_CONFIG is not set" in result.output


def test_training_steps_on_full_global_batches_only() -> None:
    assert full_batches(161, 32) == 5  # the 161st row waits for another epoch's shuffle
    assert full_batches(160, 32) == 5
    with pytest.raises(ValueError, match=r"batch_size: a global batch of 64 .* 40 training rows"):
        full_batches(40, 64)


@pytest.mark.parametrize(("rows", "replicas"), [(17, 2), (257, 2), (513, 4), (3, 3), (1000, 7)])
def test_validation_batches_leave_no_replica_empty(rows: int, replicas: int) -> None:
    size = validation_batch(rows, replicas)
    assert 1 <= size <= 256
    assert rows % size == 0 or rows % size >= replicas


def test_validation_needs_a_row_per_replica() -> None:
    with pytest.raises(ValueError, match="val_fraction: 1 validation row"):
        validation_batch(1, 2)


def test_a_fit_backs_up_under_a_name_fixed_by_what_it_trains_on() -> None:
    rows = pd.DataFrame({"brand": ["a", "b"], "price": [1.0, 2.0]})
    assert fit_key("config", rows, 3) == fit_key("config", rows.copy(), 3)
    assert fit_key("config", rows, 3) != fit_key("config", rows.iloc[::-1], 3)
    assert fit_key("config", rows, 3) != fit_key("other", rows, 3)


def test_train_command_takes_the_strategy_and_backup_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["train", str(tmp_path), "--strategy", "multi_worker"])
    assert result.exit_code == 2 and "backup_dir: required" in result.output
    result = runner.invoke(app, ["train", str(tmp_path), "--strategy", "tpu"])
    assert result.exit_code == 2 and "strategy: Input should be" in result.output
