"""`strategy: multi_worker`: two worker processes on localhost train one model through
`appraise train`, the data sharded between them; a killed worker's job resumes from its backup.

Each worker is a process with its own TF_CONFIG (`tests.integration.workers`); worker 0 is the
chief. The data are the generator's, with a tiny model that learns within ten epochs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pytest
import yaml

from tests.integration.workers import Cluster, worker_env
from tests.tiny import tiny_config
from training.dataset import read_dataset
from training.metrics import price_metrics
from training.prepare import split_indices
from training.synth import write_synthetic_dataset

pytestmark = pytest.mark.integration
NAME = "appraiser-mw"
EPOCHS = 10
PER_REPLICA = 16
TRAIN = [sys.executable, "-c", "from appraise import main; main()", "train"]


def _config(folder: Path, **changes: Any) -> Path:
    """A tiny config as YAML. The wide path is off: the ridge regression it starts as would fit
    these few rows at once and leave the deep layers, the part the workers train, nothing to do."""
    settings = {
        "epochs": EPOCHS,
        "patience": EPOCHS,
        "learning_rate": 0.01,
        "batch_size": PER_REPLICA,
        "compare": False,
        "model_name": NAME,
        "experiment": "multi-worker",
        **changes,
    }
    data = tiny_config(**settings).model_dump(mode="json")
    data["model"]["wide"]["enabled"] = False
    path = folder / f"{changes.get('strategy', 'default')}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _summary(stdout: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return found


def _store(folder: Path) -> str:
    return f"sqlite:///{folder / 'mlflow.db'}"


def _multi_worker(
    folder: Path, dataset: Path, restarts: int = 0, other: Path | None = None
) -> tuple[Cluster, Path]:
    """The cluster running `appraise train` on `dataset` (worker 1 on `other`, if given) with its
    backups under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    backup = folder / "backup"
    config = _config(folder, strategy="multi_worker", backup_dir=str(backup))
    env = worker_env(MLFLOW_TRACKING_URI=_store(folder))

    def command(index: int) -> list[str]:
        data = other if other is not None and index == 1 else dataset
        return [*TRAIN, str(data), "--config", str(config), "--quiet"]

    return Cluster(command, env, folder, workers=2, restarts=restarts), backup


def _epoch_losses(folder: Path, run_id: str) -> list[float]:
    history = mlflow.MlflowClient(_store(folder)).get_metric_history(run_id, "epoch_loss")
    return [m.value for m in sorted(history, key=lambda m: m.step)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """230 rows: a training split of 160, five global batches of 32 (16 on each of two workers),
    so one worker with batches of 32 takes the same steps on the same rows."""
    folder = tmp_path_factory.mktemp("multi_worker")
    dataset = folder / "data"
    write_synthetic_dataset(dataset, rows=230, seed=11, photo_size=16)
    cluster, backup = _multi_worker(folder / "two", dataset)
    cluster.run(timeout=600)
    one = folder / "one"
    one.mkdir()
    config = _config(one, batch_size=2 * PER_REPLICA)
    env = worker_env(MLFLOW_TRACKING_URI=_store(one))
    done = subprocess.run(
        [*TRAIN, str(dataset), "--config", str(config), "--quiet"],
        cwd=one,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {
        "dataset": dataset,
        "cluster": cluster,
        "backup": backup,
        "two": folder / "two",
        "one": one,
        "one_summary": _summary(done.stdout),
    }


def test_every_worker_exits_0_and_only_the_chief_logs(runs: dict[str, Any]) -> None:
    chief, worker = runs["cluster"].tasks
    assert chief.exits == [0] and worker.exits == [0]
    ran, helped = _summary(chief.stdout()), _summary(worker.stdout())
    assert ran["task"] == "worker 0" and ran["registered_version"] == "1" and ran["champion"]
    assert helped["task"] == "worker 1" and helped["run_id"] == helped["registered_version"] == ""
    client = mlflow.MlflowClient(_store(runs["two"]))
    (run,) = client.search_runs([client.get_experiment_by_name("multi-worker").experiment_id])
    assert run.info.run_id == ran["run_id"]
    params = run.data.params
    # The global batch is the per-replica batch times the replicas of both workers.
    assert (params["cluster.workers"], params["cluster.replicas"]) == ("2", "2")
    assert params["cluster.global_batch_size"] == str(2 * PER_REPLICA)
    assert "multi_worker fit: 5 step(s) of 32 rows an epoch" in chief.stderr()


def test_both_workers_end_with_the_same_model(runs: dict[str, Any]) -> None:
    """Each worker scores its own copy of the model on the test rows: the same figures."""
    chief, worker = (_summary(t.stdout()) for t in runs["cluster"].tasks)
    assert worker["metrics"] == chief["metrics"]


def test_two_workers_predict_as_well_as_one(runs: dict[str, Any]) -> None:
    """The registered models of both runs, loaded from MLflow, on the same 35 test rows.

    Both runs take the same 50 steps over the same global batches from the same starting weights;
    they differ in batch normalisation (statistics of 16 rows per replica instead of 32) and in
    the order sums are added. Measured: 0.820 with two workers, 0.829 with one (1%); the bound
    of 5% is about a third of the gap between this model and the global median (0.827 → 0.72 for
    the median per brand), so a worker that trained on the wrong rows or weights left unsynced
    would cross it.
    """
    dataset = read_dataset(runs["dataset"])
    rows = split_indices(len(dataset.frame), tiny_config())[3]
    test = dataset.frame.reset_index(drop=True).iloc[rows]
    actual = test[dataset.schema.target].to_numpy(dtype="float64")
    scores = {}
    for name in ("one", "two"):
        mlflow.set_tracking_uri(_store(runs[name]))
        wrapper = mlflow.pyfunc.load_model(f"models:/{NAME}/1").unwrap_python_model()
        prices = wrapper.predict_frame(test, dataset.folder)["price"].to_numpy()
        scores[name] = price_metrics(actual, prices)["rmsle"]
    chief = _summary(runs["cluster"].tasks[0].stdout())
    assert scores["two"] == pytest.approx(chief["metrics"]["rmsle"], rel=1e-3)  # what it logged
    assert abs(scores["two"] - scores["one"]) <= 0.05 * scores["one"], scores


def test_two_workers_learn(runs: dict[str, Any]) -> None:
    chief = _summary(runs["cluster"].tasks[0].stdout())
    losses = _epoch_losses(runs["two"], chief["run_id"])
    assert len(losses) == EPOCHS and losses[-1] < 0.85 * losses[0], losses
    one = _epoch_losses(runs["one"], runs["one_summary"]["run_id"])
    assert max(losses[-1], one[-1]) <= 1.15 * min(losses[-1], one[-1]), (losses, one)


def test_workers_leave_no_backup_or_temporary_model(runs: dict[str, Any]) -> None:
    """The chief's backup goes when the fit ends; the other worker's backup and every local copy
    of the model were written to temporary folders that are gone too."""
    assert not any(runs["backup"].glob("fit-*"))
    for task in runs["cluster"].tasks:
        assert not any(task.tmp.glob("appraiser-*")), sorted(task.tmp.iterdir())


def test_a_killed_worker_resumes_from_the_last_backup(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """231 rows: 161 training rows, one more than five global batches (the case that left a
    replica empty, issue 25). Worker 1 is killed once the chief has backed up an epoch; the chief
    then fails (its peer is gone), both are restarted, and the job resumes from the backup."""
    folder = tmp_path_factory.mktemp("killed")
    dataset = folder / "data"
    write_synthetic_dataset(dataset, rows=231, seed=2, photo_size=16)
    cluster, backup = _multi_worker(folder, dataset, restarts=4)
    killed: list[int] = []

    def kill_after_a_backup(running: Cluster) -> None:
        if killed:
            return
        for metadata in backup.glob("fit-*/training_metadata.json"):
            epoch = json.loads(metadata.read_text() or "{}").get("epoch", 0)
            if epoch >= 1:
                running.kill(1)
                killed.append(epoch)

    cluster.run(timeout=900, tick=kill_after_a_backup)
    chief, worker = cluster.tasks
    assert killed, "the job ended before a backup could be interrupted"
    assert worker.exits[0] == -9 and worker.exits[-1] == 0 and chief.exits[-1] == 0
    assert len(chief.exits) >= 2, "the chief should fail once its peer is gone, and restart"
    summary = _summary(chief.stdout())
    assert summary["registered_version"] == "1" and np.isfinite(summary["metrics"]["rmsle"])
    # The finishing attempt trained only the epochs after the backup it resumed from.
    losses = _epoch_losses(folder, summary["run_id"])
    resumed_at = EPOCHS - len(losses)
    assert 1 <= resumed_at <= EPOCHS - 1, losses
    assert resumed_at >= killed[0]
    assert f"at epoch {resumed_at + 1}" in chief.stderr()
    assert "multi_worker fit: 5 step(s) of 32 rows an epoch; 1 row(s) wait" in chief.stderr()


def test_workers_on_different_data_stop_with_an_error(tmp_path: Path) -> None:
    """Worker 1 reads another dataset: both stop before building a model, saying why."""
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    write_synthetic_dataset(ours, rows=100, seed=2, photo_size=16)
    write_synthetic_dataset(theirs, rows=100, seed=3, photo_size=16)
    cluster, _ = _multi_worker(tmp_path / "run", ours, other=theirs)
    assert cluster.exits(timeout=300) == [1, 1], cluster.logs()
    for task in cluster.tasks:
        assert "the workers read different rows or configs" in task.stderr(), cluster.logs()
    assert not (tmp_path / "run" / "mlflow.db").exists()


def test_every_worker_reads_its_own_share(tmp_path: Path) -> None:
    """At each step each worker's replica gets half of the global batch, the halves apart; an
    epoch covers the training rows but the remainder, and validation every row once."""
    dataset = tmp_path / "data"
    write_synthetic_dataset(dataset, rows=231, seed=2, photo_size=16)
    probe = [sys.executable, "-m", "tests.integration.shard_probe", str(dataset), "16"]
    cluster = Cluster(lambda _: probe, worker_env(), tmp_path / "probe", workers=2)
    cluster.run(timeout=300)
    shares = [_summary(task.stdout()) for task in cluster.tasks]
    train_rows, val_rows = shares[0]["train_rows"], shares[0]["val_rows"]
    assert shares[0]["distinct_train_rows"] == train_rows == 161
    steps = list(zip(shares[0]["train"], shares[1]["train"], strict=True))
    assert len(steps) == train_rows // 32
    for mine, theirs in steps:
        assert len(mine) == len(theirs) == 16 and not set(mine) & set(theirs)
    seen = [row for pair in steps for half in pair for row in half]
    assert len(set(seen)) == len(seen) == 160
    val = [row for share in shares for batch in share["val"] for row in batch]
    assert all(batch for share in shares for batch in share["val"])  # no replica left empty
    assert len(set(val)) == len(val) == val_rows
