"""Which Spark scorer is faster: MLflow's `spark_udf` on the logged pyfunc model, or
`mapInPandas` with the service's predictor (what `appraise score --engine spark` uses)?

Both read the same input through Spark in the same number of tasks and write Parquet; each is
timed over ROUNDS jobs in a fresh session (the first job starts the Python workers, which import
TensorFlow and load the model; later jobs reuse them).
Run: `python -m bench.score_spark MODEL_URI DATASET [--rows 8000] [--rounds 3] [--order map,udf]`
(the dataset's listings repeated to ROWS rows, as `make bench-score` does).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812  (Spark's own convention)

from bench.score_memory import repeated_input
from models.schema import FeatureType, Schema
from service.scoring import spark as engine
from service.scoring.model import load_warm
from service.scoring.settings import ScoringSettings
from service.scoring.source import Source, count_rows, key_column, open_source

TASKS = 2
RESULT_TYPE = "price double, price_low double, price_high double, error string"
_CASTS = {FeatureType.INTEGER: "long", FeatureType.NUMBER: "double"}


def timed(job: DataFrame, out: Path, rounds: int) -> list[float]:
    """Seconds per write of `job`, `rounds` times."""
    seconds = []
    for _ in range(rounds):
        started = time.monotonic()
        job.write.mode("overwrite").parquet(str(out))
        seconds.append(round(time.monotonic() - started, 1))
    return seconds


def with_udf(spark: SparkSession, uri: str, source: Source, schema: Schema, key: str) -> DataFrame:
    """MLflow's spark_udf; CSV text cast to the signature's types (its schema check needs it)."""
    import mlflow

    udf = mlflow.pyfunc.spark_udf(
        spark,
        uri,
        env_manager="local",
        params={"photo_root": str(source.root)},
        result_type=RESULT_TYPE,
    )
    rows = engine.read_rows(spark, source)
    for feature in schema.features:
        if feature.type in _CASTS:
            rows = rows.withColumn(feature.name, F.col(feature.name).cast(_CASTS[feature.type]))
    rows = rows.repartitionByRange(TASKS, F.monotonically_increasing_id())
    features = F.struct(*[f.name for f in schema.features])
    return rows.select(key, udf(features).alias("p")).select(key, "p.*")


def main() -> None:
    parser = argparse.ArgumentParser(description="spark_udf vs mapInPandas on the same rows.")
    parser.add_argument("model_uri")
    parser.add_argument("dataset", type=Path, help="Dataset folder whose listings are scored.")
    parser.add_argument("--rows", type=int, default=8000, help="Rows, cycling the listings.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--order", default="map,udf", help="Which scorer runs first.")
    args = parser.parse_args()
    settings = ScoringSettings()
    source = open_source(repeated_input(args.dataset, args.rows))
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = engine.download_model(args.model_uri, settings, Path(tmp))
        predictor = load_warm(str(model_dir), settings)
        key = key_column(source, predictor.schema)

        def run_map(spark: SparkSession) -> DataFrame:
            engine.ship_model(spark, model_dir)
            return engine.scored_rows(spark, source, predictor, key, settings, TASKS)

        def run_udf(spark: SparkSession) -> DataFrame:
            return with_udf(spark, args.model_uri, source, predictor.schema, key)

        scorers: dict[str, Callable[[SparkSession], DataFrame]] = {
            "map": run_map,
            "udf": run_udf,
        }
        for name in args.order.split(","):
            spark = engine.spark_session("local[*]")
            try:
                results[name] = timed(scorers[name](spark), Path(tmp) / name, args.rounds)
            finally:
                spark.stop()
    sys.stdout.write(json.dumps({"rows": count_rows(source), "seconds": results}) + "\n")


if __name__ == "__main__":
    main()
