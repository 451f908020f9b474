"""Where training runs: the distribution strategy and the numeric precision.

`auto` mirrors the model over every GPU when there are several and otherwise uses TensorFlow's
default placement (one GPU, or the CPU). `mirrored` mirrors over the GPUs, or over the CPU's
logical devices when there is no GPU (which is how the tests exercise the mirrored path).
`multi_worker` trains synchronously over the workers `TF_CONFIG` lists (`training.cluster`), with
TensorFlow's MultiWorkerMirroredStrategy (`training.multi_worker` holds what its fit needs).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

import keras
import tensorflow as tf

from training.cluster import ClusterTask, cluster_task
from training.config import StrategyName

log = logging.getLogger(__name__)


class DeviceError(RuntimeError):
    """The devices a run's config asks for are not there."""


def require_devices(device: str) -> None:
    """Stop when the config asks for a GPU and TensorFlow sees none (no driver, no CUDA
    libraries, no GPU given to the container). Listing the physical devices leaves TensorFlow's
    runtime unstarted, so a multi_worker strategy can still be made afterwards."""
    if device == "gpu" and not tf.config.list_physical_devices("GPU"):
        raise DeviceError(
            "device: gpu is asked for, but TensorFlow sees no GPU (check the NVIDIA driver, "
            "the gpu extra's CUDA libraries and the container's GPU reservation); device: auto "
            "trains on the CPU instead"
        )


def device_names(name: StrategyName) -> list[str]:
    """The devices a fit on this host uses under the strategy `name` (logged with each run)."""
    if name == "multi_worker":
        return list(_multi_worker_strategy().extended.worker_devices)
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    if name == "default" or (name == "auto" and len(gpus) < 2):
        return (gpus or cpus)[:1]
    return gpus or cpus


def choose_strategy(name: StrategyName) -> tf.distribute.Strategy:
    """The strategy that `name` asks for on the devices TensorFlow sees."""
    if name == "multi_worker":
        return _multi_worker_strategy()
    devices = device_names(name)
    if name == "default" or (name == "auto" and len(devices) < 2):
        strategy = tf.distribute.get_strategy()
    else:
        strategy = tf.distribute.MirroredStrategy(devices=devices)
    log.info(
        "training with %s on %s (%d replica(s))",
        type(strategy).__name__,
        ", ".join(devices),
        strategy.num_replicas_in_sync,
    )
    return strategy


def join_cluster(name: StrategyName) -> ClusterTask | None:
    """For `multi_worker`: this process's task, its strategy created now; else None.

    TensorFlow sets up the collective ops a MultiWorkerMirroredStrategy needs only before it runs
    anything else, so a run calls this first; TF_CONFIG is checked before TensorFlow starts.
    """
    if name != "multi_worker":
        return None
    task = cluster_task(os.environ)
    strategy = _multi_worker_strategy()
    task = dataclasses.replace(task, replicas=int(strategy.num_replicas_in_sync))
    log.info(
        "%s of %d worker(s): %d replica(s) here, %d in sync; only the chief logs and registers",
        task,
        task.workers,
        len(strategy.extended.worker_devices),
        task.replicas,
    )
    return task


@functools.cache
def _multi_worker_strategy() -> tf.distribute.MultiWorkerMirroredStrategy:
    """The process's one MultiWorkerMirroredStrategy: it starts the worker's server, so a second
    one could not be made; every fit of a run shares it."""
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as exc:
        raise RuntimeError(
            f"strategy multi_worker: {exc}; TensorFlow must not run anything before the "
            "strategy is made (call training.devices.join_cluster first, as `appraise train` "
            "does)"
        ) from exc


def global_batch_size(per_replica: int, strategy: tf.distribute.Strategy) -> int:
    """The batch a step consumes: `batch_size` examples on each replica."""
    return per_replica * int(strategy.num_replicas_in_sync)


@contextmanager
def precision(mixed: bool) -> Iterator[None]:
    """Compute in float16 (variables stay float32) inside the block when `mixed`.

    Mixed precision pays off on GPUs with tensor cores; on a CPU it runs but is slower, so it is
    refused there with a warning rather than silently making training slower.
    """
    if mixed and not tf.config.list_logical_devices("GPU"):
        log.warning("mixed_precision is for GPUs and none is visible: training in float32")
        mixed = False
    previous = keras.mixed_precision.global_policy()
    if mixed:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def build_before_distributed_fit(model: keras.Model, dataset: tf.data.Dataset) -> None:
    """Build a compiled model's training state from one local batch, before a mirrored `fit`.

    Keras 3.15's TensorFlow trainer learns the input shapes by averaging the first distributed
    batch across replicas, which fails on string inputs (no string kernel for AddN). The state it
    wants is built here from one undistributed batch, and that averaging step is skipped.
    """
    if not tf.distribute.has_strategy():
        return
    model._symbolic_build(data_batch=next(iter(dataset)))
    setattr(model, "_maybe_symbolic_build", lambda iterator=None, data_batch=None: None)  # noqa: B010
