"""`appraise data prepare --engine spark` in local mode: the same store, byte for byte, as the
local engine's, and a task's failure reported as a clear error."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from appraise import app
from tests.scoring.spark_cluster import HOST, standalone_cluster
from training import photo_store
from training.photo_store import MANIFEST, ShardJob, StoreError, shard_name
from training.spark_store import spark_engine

pytestmark = pytest.mark.data


def _prepare(dataset: Path, out: Path, config: Path, *engine: str) -> str:
    args = ["data", "prepare", str(dataset), str(out), "--config", str(config), "--quiet"]
    result = CliRunner().invoke(app, [*args, *engine])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("where", ["local mode", "standalone cluster"])
def test_spark_writes_the_local_engines_store(
    where: str, tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(photo_store, "SHARD_BYTES", 9 * 16 * 16 * 3)  # 5 shards: 5 tasks
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  photo:\n    image_size: 16\n")
    _prepare(tiny_dataset, tmp_path / "local", config)
    with contextlib.ExitStack() as stack:
        master = "local[2]"
        if where == "standalone cluster":
            cluster = stack.enter_context(standalone_cluster(tmp_path / "cluster"))
            master = cluster.master
            # executors run the interpreter the driver names, and reach it at the cluster's host
            monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
            monkeypatch.setenv("SPARK_LOCAL_IP", HOST)
        said = _prepare(
            tiny_dataset, tmp_path / "spark", config, "--engine", "spark", "--spark-master", master
        )
        if where == "standalone cluster":
            assert list(cluster.work.glob("app-*/*/stderr")), "no executor of the worker ran"
    assert "in 5 shard(s)" in said
    local = json.loads((tmp_path / "local" / MANIFEST).read_text())
    assert json.loads((tmp_path / "spark" / MANIFEST).read_text()) == local
    for shard in range(len(local["shard_rows"])):
        name = shard_name("photo", shard)
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()


def test_a_failed_task_is_a_store_error_with_the_tasks_reason() -> None:
    jobs = [ShardJob(0, 1, {}), ShardJob(1, 1, {})]

    def fail(job: ShardJob) -> None:
        raise StoreError(f"shard {job.shard} cannot be written")

    with pytest.raises(StoreError, match=r"on local\[1\] failed: .*cannot be written"):
        spark_engine("local[1]")(jobs, fail)
