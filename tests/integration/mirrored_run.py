"""Train the tiny model with one strategy on a CPU split into two logical devices; print JSON.

Run as `python -m tests.integration.mirrored_run DATASET STORE STRATEGY BATCH_SIZE [EPOCHS]`.
It is a separate process because TensorFlow's devices can be split only before TensorFlow
first uses them. Besides the run's metrics it reports the test rows its split holds, the rows
its evaluation priced, and the rows its model prices from a one-row split (fewer rows than
replicas: under the strategy that batch would leave a replica empty).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any
from unittest import mock


def main(dataset: Path, store: Path, strategy: str, batch_size: int, epochs: int = 12) -> None:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    import mlflow
    import numpy as np

    from tests.tiny import tiny_config
    from training import pipeline
    from training.dataset import Dataset
    from training.devices import choose_strategy
    from training.evaluation import Evaluation, evaluate
    from training.prepare import Decoded, split_indices
    from training.trainer import predict_quantiles

    seen: dict[str, int] = {}

    def counted(dataset: Dataset, decoded: Decoded, *args: Any, **kwargs: Any) -> Evaluation:
        judged = evaluate(dataset, decoded, *args, **kwargs)
        seen["test_rows"] = len(split_indices(len(decoded), config)[3])
        seen["priced"] = int(np.isfinite(judged.prices[:, 0]).sum())
        one_row = decoded.take(np.arange(1))
        seen["one_row"] = len(predict_quantiles(judged.model, one_row, dataset.schema))
        return judged

    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{store / 'mlflow.db'}"
    os.chdir(store)
    config = tiny_config(
        strategy=strategy,
        batch_size=batch_size,
        compare=False,
        epochs=epochs,
        learning_rate=0.01,
        patience=epochs,
    )
    with mock.patch.object(pipeline, "evaluate", counted):  # the run as `appraise train` makes it
        result = pipeline.train(dataset, config, verbose=0)
    losses = mlflow.MlflowClient().get_metric_history(result.run_id, "epoch_loss")
    report = {
        "replicas": choose_strategy(config.strategy).num_replicas_in_sync,
        "rmsle": result.metrics["rmsle"],
        "losses": [m.value for m in sorted(losses, key=lambda m: m.step)],
        **seen,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], *map(int, sys.argv[4:6]))
