"""Where training runs: the distribution strategy and the numeric precision.

`auto` mirrors the model over every GPU when there are several and otherwise uses TensorFlow's
default placement (one GPU, or the CPU). `mirrored` mirrors over the GPUs, or over the CPU's
logical devices when there is no GPU (which is how the tests exercise the mirrored path).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import keras
import tensorflow as tf

from training.config import StrategyName

log = logging.getLogger(__name__)


def choose_strategy(name: StrategyName) -> tf.distribute.Strategy:
    """The strategy that `name` asks for on the devices TensorFlow sees."""
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    if name == "default" or (name == "auto" and len(gpus) < 2):
        strategy = tf.distribute.get_strategy()
    else:
        devices = gpus or [d.name for d in tf.config.list_logical_devices("CPU")]
        strategy = tf.distribute.MirroredStrategy(devices=devices)
    log.info(
        "training with %s on %s (%d replica(s))",
        type(strategy).__name__,
        ", ".join(gpus) or "CPU",
        strategy.num_replicas_in_sync,
    )
    return strategy


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
