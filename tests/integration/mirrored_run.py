"""Train the tiny model with one strategy on a CPU split into two logical devices; print JSON.

Run as `python -m tests.integration.mirrored_run DATASET STORE STRATEGY BATCH_SIZE [EPOCHS]`.
It is a separate process because TensorFlow's devices can be split only before TensorFlow
first uses them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(dataset: Path, store: Path, strategy: str, batch_size: int, epochs: int = 12) -> None:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    import mlflow

    from tests.tiny import tiny_config
    from training.devices import choose_strategy
    from training.pipeline import train

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
    result = train(dataset, config, verbose=0)
    losses = mlflow.MlflowClient().get_metric_history(result.run_id, "epoch_loss")
    report = {
        "replicas": choose_strategy(config.strategy).num_replicas_in_sync,
        "rmsle": result.metrics["rmsle"],
        "losses": [m.value for m in sorted(losses, key=lambda m: m.step)],
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], *map(int, sys.argv[4:6]))
