"""The Spark engine: the same predictor in `mapInPandas` tasks, photos read as bytes in the task.

The driver pins the model version, downloads it once and ships it to the executors as one archive
(`SparkContext.addArchive`, in local mode too, so there is one path); each Python worker loads it
once from the unpacked archive and scores its Arrow batches with `score_chunk`, exactly as the
local engine does. Rows carry their input position, so the driver writes the output in input
order, through the same parts and atomic output as the local engine.
Imported only for `--engine spark`: nothing else in the service loads PySpark.
"""

from __future__ import annotations

import math
import os
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from pyspark import SparkFiles
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812  (Spark's own convention)

from models.explain_columns import explanation_columns
from models.explainer import Explainer
from service.inference.predictor import Predictor
from service.scoring.chunk import score_chunk
from service.scoring.errors import ScoringError
from service.scoring.identity import identity
from service.scoring.model import added_columns, load_warm
from service.scoring.output import output_columns
from service.scoring.parts import WorkFolder
from service.scoring.progress import Summary
from service.scoring.request import Say, ScoreRequest
from service.scoring.settings import ScoringSettings
from service.scoring.source import ROW_COLUMN, Source, key_column

ORDER = "_order"  # the row's position in the input (monotonic, not dense)
MODEL_DIR = "model"
MODEL_ARCHIVE = "model.tar"  # the name executors ask SparkFiles for: the archive, unpacked


def spark_session(master: str) -> SparkSession:
    """A session for scoring: no UI, few shuffle partitions, Arrow for pandas batches."""
    if master.startswith("local"):
        # Workers on this machine run this interpreter (the venv with TensorFlow).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName("appraise-score")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.python.worker.reuse", "true")
        .getOrCreate()
    )


def run_spark(
    request: ScoreRequest,
    settings: ScoringSettings,
    source: Source,
    work: WorkFolder,
    total: int,
    say: Say,
) -> tuple[Summary, list[str]]:
    """Score INPUT through Spark into the parts of `work`; the counts and the output's columns."""
    if request.resume:
        raise ScoringError("--resume works with the local engine; Spark retries failed tasks")
    with tempfile.TemporaryDirectory(prefix="appraiser-model-") as tmp:
        model_dir = download_model(request.model_uri, settings, Path(tmp))
        predictor = load_warm(str(model_dir), settings)
        added = added_columns(predictor, request)
        key = key_column(source, predictor.schema)
        work.start(identity(request, source, predictor, key), resume=False)
        results = work.folder / "spark"
        spark = spark_session(request.spark_master)
        try:
            ship_model(spark, model_dir)
            tasks = max(
                spark.sparkContext.defaultParallelism, math.ceil(total / request.chunk_size)
            )
            say(f"scoring {total} rows in {tasks} Spark tasks on {request.spark_master}")
            summary = Summary()
            scored = scored_rows(spark, source, predictor, key, settings, tasks, request.explain_k)
            scored.write.mode("overwrite").parquet(str(results))
        finally:
            spark.stop()
    columns = output_columns(key, added)
    _collect(results, columns, work, summary)
    return summary, columns


def scored_rows(
    spark: SparkSession,
    source: Source,
    predictor: Predictor,
    key: str,
    settings: ScoringSettings,
    partitions: int,
    explain_k: int | None = None,
) -> DataFrame:
    """The input scored by `mapInPandas` tasks: position, key, prices, error and, with
    `explain_k`, the explanation columns (lazy)."""
    wanted = [f.name for f in predictor.schema.features]
    if key != ROW_COLUMN:
        wanted.append(key)
    rows = (
        read_rows(spark, source).select(*wanted).withColumn(ORDER, F.monotonically_increasing_id())
    )
    key_type = "long" if key == ROW_COLUMN else "string"
    schema = f"{ORDER} long, `{key}` {key_type}, price double, price_low double, "
    schema += "price_high double, error string"
    if explain_k is not None:
        assert predictor.explainer is not None  # run_spark refused a model without one
        schema += _explanation_schema(predictor.explainer)
    work = partial(
        score_partition,
        key,
        str(source.root),
        settings.max_batch_size,
        settings.decode_threads,
        explain_k,
    )
    # Range partitions on the input position: each task holds a contiguous run of rows, so the
    # result files, in task order and sorted inside, are the output in input order. (A global
    # orderBy after scoring would sample the scored rows, i.e. score everything twice.)
    ranged = rows.repartitionByRange(partitions, ORDER)
    return ranged.mapInPandas(work, schema=schema).sortWithinPartitions(ORDER)


def read_rows(spark: SparkSession, source: Source) -> DataFrame:
    """The input as Spark reads it: Parquet as typed, CSV as text (quoted newlines allowed)."""
    uri = source.path.as_uri()
    if source.is_parquet:
        return spark.read.parquet(uri)
    reader = spark.read.option("header", True).option("multiLine", True).option("escape", '"')
    return reader.csv(uri)


def _explanation_schema(explainer: Explainer) -> str:
    """The explanation columns in Spark's DDL: numbers, and the comparables' ids as text."""
    *numbers, ids = explanation_columns(explainer)
    return "".join(f", `{name}` double" for name in numbers) + f", `{ids}` string"


def score_partition(
    key: str,
    root: str,
    max_batch: int,
    threads: int,
    explain_k: int | None,
    batches: Iterator[pd.DataFrame],
) -> Iterator[pd.DataFrame]:
    """Runs on the executors: score each Arrow batch with the worker's predictor."""
    predictor = _worker_predictor(SparkFiles.get(MODEL_ARCHIVE), max_batch)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="decode") as pool:
        for frame in batches:
            out = score_chunk(predictor, frame, key, 1, Path(root), pool.map, explain_k)
            out.insert(0, ORDER, frame[ORDER].to_numpy())
            yield out


@lru_cache(maxsize=1)
def _worker_predictor(model_dir: str, max_batch: int) -> Predictor:
    """One warmed predictor per Python worker (Spark reuses workers across tasks)."""
    return load_warm(model_dir, ScoringSettings(max_batch_size=max_batch))


def ship_model(spark: SparkSession, model_dir: Path) -> None:
    """Send the model folder to every executor as one archive, which Spark unpacks there.

    Outside local mode Spark ships files and archives but not folders (`addFile` refuses a local
    directory), and an archive sent from the driver needs no model store the executors can reach.
    """
    spark.sparkContext.addArchive(str(pack_model(model_dir)))


def pack_model(model_dir: Path) -> Path:
    """`model_dir` as an uncompressed tar beside it, with its files at the archive's top."""
    archive = model_dir.parent / MODEL_ARCHIVE
    # Uncompressed: the weights and the comparables index hardly compress, and a tar is packed at
    # the speed of a copy. Entries are named without a leading "./", which Spark's unpacking
    # refuses as leading out of its folder.
    with tarfile.open(archive, "w") as tar:
        for path in sorted(model_dir.iterdir()):
            tar.add(path, arcname=path.name)
    return archive


def download_model(uri: str, settings: ScoringSettings, target: Path) -> Path:
    """Pin `uri` to one version and download it into `target`, to pack for the executors."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from models.store import configure_tracking
    from service.inference.registry import resolve

    configure_tracking(settings.tracking_uri)
    try:
        ref = resolve(uri)
        folder = target / MODEL_DIR
        folder.mkdir()
        mlflow.artifacts.download_artifacts(ref.uri, dst_path=str(folder))
    except (MlflowException, OSError, ValueError) as exc:
        raise ScoringError(f"model cannot load {uri}: {exc}") from exc
    return folder


def _collect(results: Path, columns: list[str], work: WorkFolder, summary: Summary) -> None:
    """Spark's result files (one per range, in order) → our parts, renumbering rows if needed."""
    key = columns[0]
    files = sorted(results.glob("part-*.parquet"))
    first_row = 1
    for index, path in enumerate(files):
        frame = pq.read_table(path).to_pandas().sort_values(ORDER).drop(columns=[ORDER])
        if key == ROW_COLUMN:
            frame[ROW_COLUMN] = range(first_row, first_row + len(frame))
        first_row += len(frame)
        work.write_part(index, frame[columns].reset_index(drop=True))
        done = work.done[index]
        summary.add(done.rows, done.errors)
