"""What a fit under `strategy: multi_worker` needs beyond a mirrored one.

Every worker runs the same program; only the fit's collective ops (gradients, metrics,
validation) join them. Everything else a run does after a fit (predictions, calibration, logging)
runs on a local copy of the model, so the chief can log and register while the other workers
have left, and no worker waits in a collective the others never reach.

- Data: each worker keeps its share of every global batch (tf.data's DATA sharding: every worker
  reads all rows, in the same seeded order, and takes its part). Training steps only on full
  global batches: a last, partial one would leave a replica with no rows, which the fused batch
  normalisation rejects. The rows it leaves out move with the shuffle, so each is seen in time.
  Validation keeps every row, in batches none of which is smaller than the replica count.
- Keras 3.15 cannot reduce a step's scalar logs over several workers (`reduce_per_replica` asks
  for axis 0 of a scalar): `WorkerModel` returns them as one-element vectors, whose mean over the
  replicas is the scalar Keras meant.
- Batch normalisation's moving statistics are the one state a replica updates from its own rows
  alone (Keras 3 does not aggregate them): `SameStatistics` averages them over the replicas
  before each validation, so every worker validates, stops and ends on the same weights.
- Backups: the chief writes `BackupAndRestore`'s checkpoint after each epoch into the fit's own
  folder under `backup_dir`, and every worker restores from it, so all resume at the same epoch
  (the others write theirs into temporary folders, as TensorFlow's own multi-worker saving does).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from models.precision import every_layer

log = logging.getLogger(__name__)

VALIDATION_BATCH = 256


def is_multi_worker(model: keras.Model) -> bool:
    """Whether `model` was built under a MultiWorkerMirroredStrategy (and trains across workers)."""
    return isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy)


class WorkerModel(keras.Model):
    """The same layers and weights as the model it is built from, with step logs Keras 3.15 can
    reduce across workers (see the module docstring); fitted in place of that model."""

    def train_step(self, data: Any) -> dict[str, Any]:
        return _as_vectors(super().train_step(data))

    def test_step(self, data: Any) -> dict[str, Any]:
        return _as_vectors(super().test_step(data))


def _as_vectors(logs: dict[str, Any]) -> dict[str, Any]:
    return {name: keras.ops.reshape(value, (1,)) for name, value in logs.items()}


class SameStatistics(keras.callbacks.Callback):
    """Averages the batch normalisation moving statistics over the replicas before each
    validation and at the end of the fit (a collective every worker runs at the same point)."""

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        average_moving_statistics(self.model)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        average_moving_statistics(self.model)


def average_moving_statistics(model: keras.Model) -> None:
    """Set every replica's moving means and variances to their mean over all replicas."""
    variables = [
        variable
        for layer in every_layer(model)
        if isinstance(layer, keras.layers.BatchNormalization)
        for variable in (layer.moving_mean, layer.moving_variance)
    ]
    if variables:
        strategy = model.distribute_strategy
        tf.function(lambda: strategy.run(_averaged, args=(variables,)))()


def _averaged(variables: list[Any]) -> None:
    # In a replica context a moving statistic reads and writes that replica's own copy.
    means = tf.distribute.get_replica_context().all_reduce(
        tf.distribute.ReduceOp.MEAN, [tf.identity(variable.value) for variable in variables]
    )
    for variable, mean in zip(variables, means, strict=True):
        variable.assign(mean)


def worker_model(model: keras.Model) -> WorkerModel:
    """A `WorkerModel` over `model`'s layers, made under its strategy so that it fits with it."""
    with model.distribute_strategy.scope():
        return WorkerModel(inputs=model.inputs, outputs=model.outputs, name=model.name)


def full_batches(rows: int, global_batch: int) -> int:
    """Training steps in an epoch: full global batches only, at least one."""
    if rows < global_batch:
        raise ValueError(
            f"batch_size: a global batch of {global_batch} (batch_size times the replicas in "
            f"sync) is more than the {rows} training rows; several replicas train on full "
            "global batches only, so lower batch_size"
        )
    return rows // global_batch


def sharded_train(data: tf.data.Dataset, steps: int) -> tf.data.Dataset:
    """`data` (batched to the global batch, shuffled before) cut to `steps` full batches and
    sharded by DATA across the workers."""
    return _shard_by_data(data.take(steps))


def validation_batch(rows: int, replicas: int, wanted: int = VALIDATION_BATCH) -> int:
    """The largest batch up to `wanted` whose last batch still gives every replica a row.

    The last batch of `rows` is split over the replicas; with fewer rows than replicas, one
    would be empty. Every row is kept: validation must see them all.
    """
    if rows < replicas:
        raise ValueError(
            f"val_fraction: {rows} validation row(s) cannot be split over {replicas} replicas; "
            "raise val_fraction or use fewer workers"
        )
    for size in range(min(wanted, rows), 0, -1):
        rest = rows % size
        if rest == 0 or rest >= replicas:
            return size
    raise AssertionError("unreachable: a batch of `rows` leaves no remainder")


def sharded(data: tf.data.Dataset) -> tf.data.Dataset:
    """`data` sharded by DATA across the workers (validation batches)."""
    return _shard_by_data(data)


def _shard_by_data(data: tf.data.Dataset) -> tf.data.Dataset:
    # FILE sharding (AUTO's first choice) needs files; these rows come from memory.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return data.with_options(options)


def predict_here(model: keras.Model, data: tf.data.Dataset) -> np.ndarray:
    """`model`'s outputs for every batch of `data`, computed on this worker alone.

    Keras's `predict` of a multi-worker model would split the rows over the workers and gather
    them back (a collective); each worker has every row and the same weights.
    """
    step = tf.function(lambda inputs: model(inputs, training=False))
    return np.concatenate([np.asarray(step(inputs)) for inputs, _ in data])


def local_copy(model: keras.Model) -> keras.Model:
    """`model` as a local model (no strategy), through a `.keras` file in a temporary folder.

    What a run does after its fits then needs no other worker: the chief can save and log the
    model while the other workers have left.
    """
    with tempfile.TemporaryDirectory(prefix="appraiser-worker-") as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        local: keras.Model = keras.models.load_model(path, compile=False)
    return local


def gathered(strategy: tf.distribute.Strategy, values: Sequence[int]) -> np.ndarray:
    """Every replica's `values`, one row a replica (the same array on every worker)."""
    row = tf.constant([list(values)], dtype=tf.int64)
    per_replica = strategy.experimental_distribute_values_from_function(lambda _: row)
    return np.asarray(strategy.gather(per_replica, axis=0))


def require_same_inputs(
    strategy: tf.distribute.Strategy, config_json: str, *frames: pd.DataFrame
) -> None:
    """Before a model is built: fail on every worker when they hold other rows or configs.

    The preprocessing is adapted on the training rows, so other rows mean another model (and
    weights of other shapes, which the strategy could not even create together). Photos are
    compared by path, as the dataset's fingerprint does.
    """
    _require_same(strategy, _digest(config_json, *frames), "read different rows or configs")


def require_same_model(model: keras.Model) -> None:
    """After it is built: fail on every worker when their models' weights or adapted
    vocabularies differ (the same rows, config and seed should give the same model)."""
    parts: list[Any] = [np.ascontiguousarray(w).tobytes() for w in model.get_weights()]
    for layer in every_layer(model):
        vocabulary = getattr(layer, "get_vocabulary", None)
        if callable(vocabulary):
            parts.append("\n".join(map(str, vocabulary())))
    _require_same(model.distribute_strategy, _digest(*parts), "built different models")


def _require_same(strategy: tf.distribute.Strategy, digest: bytes, what: str) -> None:
    # Three 20-bit parts of the digest: whole numbers any collective carries exactly.
    parts = [int.from_bytes(digest[i : i + 3], "big") >> 4 for i in (0, 3, 6)]
    every = gathered(strategy, parts)
    if not (every == every[0]).all():
        raise RuntimeError(
            f"the workers {what}: every worker must read the same dataset with the same config "
            "and seed"
        )


def _digest(*parts: Any) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, pd.DataFrame):
            digest.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
        elif isinstance(part, bytes):
            digest.update(part)
        else:
            digest.update(repr(part).encode())
    return digest.digest()


def fit_key(*parts: Any) -> str:
    """A folder name for one fit's backup, the same on every worker and on a restart: from the
    config, the rows it trains and validates on, and which of a run's fits it is."""
    return f"fit-{_digest(*parts).hex()[:16]}"


def backup_callbacks(model: keras.Model, folder: str) -> list[keras.callbacks.Callback]:
    """Every worker restores from the chief's backup in `folder`; only the chief writes there.

    The others back up too, into a temporary folder that is removed when the fit ends: saving
    can create a variable (Keras's saver makes a reference optimizer once), and under the
    strategy that is a collective every worker must run at the same point. Each worker then
    checks, at the first epoch, that all of them resumed at the same epoch.
    """
    chief = bool(model.distribute_strategy.extended.should_checkpoint)
    if chief:
        return [keras.callbacks.BackupAndRestore(folder), _SameEpoch(folder)]
    own = tempfile.mkdtemp(prefix="appraiser-backup-")
    restore = _RestoreOnly(keras.callbacks.BackupAndRestore(folder))
    return [restore, keras.callbacks.BackupAndRestore(own), _SameEpoch(folder)]


class _RestoreOnly(keras.callbacks.Callback):
    """Restores a worker from the chief's backup and never writes there: one writer, so every
    worker resumes from the same epoch."""

    def __init__(self, backup: keras.callbacks.BackupAndRestore) -> None:
        super().__init__()
        self.backup = backup

    def set_model(self, model: keras.Model) -> None:
        super().set_model(model)
        self.backup.set_model(model)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.backup.on_train_begin(logs)


class _SameEpoch(keras.callbacks.Callback):
    """Every worker must start at the same epoch; otherwise their collectives would never pair."""

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder
        self.checked = False

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.checked:
            return
        self.checked = True
        epochs = gathered(self.model.distribute_strategy, [epoch])[:, 0]
        if epochs.min() != epochs.max():
            raise RuntimeError(
                f"the workers resumed at different epochs ({sorted(set(epochs.tolist()))}): "
                f"backup_dir {self.folder} must be one folder every worker reads (a shared "
                "volume or object storage)"
            )
        if epoch:
            log.info("resumed from the backup in %s at epoch %d", self.folder, epoch + 1)


def steps_note(rows: int, global_batch: int) -> str:
    """How an epoch of `rows` splits into full global batches, for the log."""
    steps = full_batches(rows, global_batch)
    left = rows - steps * global_batch
    return (
        f"{steps} step(s) of {global_batch} rows an epoch; {left} row(s) wait for a later epoch"
        if left
        else f"{steps} step(s) of {global_batch} rows an epoch"
    )
