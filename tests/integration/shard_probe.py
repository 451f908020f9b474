"""One worker's share of the training and validation batches of a multi-worker fit; prints JSON.

Run as `python -m tests.integration.shard_probe DATASET BATCH_SIZE` on every worker (TF_CONFIG
set). It cuts the split as `appraise train` does, shards it with `training.multi_worker` and
distributes it as Keras's fit does (`experimental_distribute_dataset`), then lists the rows this
worker's replica gets at each step. A row is named by its raw values and price.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def main(folder: Path, batch_size: int) -> None:
    from training.devices import choose_strategy, join_cluster

    task = join_cluster("multi_worker")
    assert task is not None
    import tensorflow as tf

    from tests.tiny import tiny_config
    from training.dataset import read_dataset
    from training.multi_worker import full_batches, sharded, sharded_train, validation_batch
    from training.prepare import decode_dataset, holdout_splits, tf_dataset

    strategy = choose_strategy("multi_worker")
    config = tiny_config(batch_size=batch_size)
    dataset = read_dataset(folder)
    splits = holdout_splits(decode_dataset(dataset, config, progress=False), config)
    schema, replicas = dataset.schema, strategy.num_replicas_in_sync
    global_batch = batch_size * replicas
    data = tf_dataset(splits.train, schema, global_batch, shuffle_seed=config.seed)
    train = sharded_train(data, full_batches(len(splits.train), global_batch))
    val = sharded(tf_dataset(splits.val, schema, validation_batch(len(splits.val), replicas)))

    def rows(batches: tf.data.Dataset) -> list[list[str]]:
        steps = []
        for inputs, prices in strategy.experimental_distribute_dataset(batches):
            here = strategy.experimental_local_results((inputs, prices))[0]
            steps.append(_names(*here))
        return steps

    whole = tf_dataset(splits.train, schema, 1024)
    every_train = [name for batch in whole for name in _names(*batch)]
    report = {
        "task": str(task),
        "replicas": replicas,
        "train_rows": len(splits.train),
        "distinct_train_rows": len(set(every_train)),
        "val_rows": len(splits.val),
        "train": rows(train),
        "val": rows(val),
    }
    sys.stdout.write(json.dumps(report) + "\n")


def _names(inputs: dict[str, Any], prices: Any) -> list[str]:
    columns = {name: value.numpy() for name, value in inputs.items() if value.shape.rank == 1}
    return [
        "|".join(str(columns[name][i]) for name in sorted(columns)) + f"|{float(prices[i]):.6f}"
        for i in range(int(prices.shape[0]))
    ]


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
