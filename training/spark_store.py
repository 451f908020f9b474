"""`appraise data prepare --engine spark`: the photo store's shards decoded in Spark tasks, for
data beyond one machine.

The driver reads and validates the dataset (the per-row reports of `appraise data check`) and
cuts it into shards; each task decodes one shard's photos through the same decode path
(`photo_store.write_shard`) and writes its files into the store folder, which the executors must
see as the driver does (one machine, or a shared filesystem). The driver writes the manifest once
every shard is written, so a failed job leaves no store that looks whole. Imported only for
`--engine spark`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from training.photo_store import Engine, ShardJob, StoreError


def spark_engine(master: str) -> Engine:
    """An engine running each shard job as one Spark task on `master`."""

    def run(jobs: list[ShardJob], write: Callable[[ShardJob], None]) -> None:
        from pyspark.sql import SparkSession

        if master.startswith("local"):
            # workers on this machine run this interpreter (the venv with the decode path)
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        spark = (
            SparkSession.builder.master(master)
            .appName("appraise-prepare")
            .config("spark.ui.enabled", "false")
            .getOrCreate()
        )
        try:
            spark.sparkContext.parallelize(jobs, len(jobs)).foreach(write)
        except Exception as exc:  # Py4J and PySpark errors: the task's own message is inside
            raise StoreError(f"preparing shards on {master} failed: {_reason(exc)}") from exc
        finally:
            spark.stop()

    return run


def _reason(exc: Exception) -> str:
    """The last line of a failed task's error that says something (Spark wraps it in pages)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    said = [line for line in lines if "Error" in line or "error" in line]
    return (said or lines or [type(exc).__name__])[-1][:500]
