"""The job's input: a dataset folder or a CSV / Parquet file, read in chunks of rows.

Only one chunk is in memory at a time, so memory stays bounded whatever the input's size. Photo
paths are relative to the input's folder (the dataset folder, or the file's folder).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from models.schema import SCHEMA_FILE, Schema, SchemaError
from service.scoring.errors import ScoringError

LISTING_FILES = ("listings.csv", "listings.parquet")
TABLE_SUFFIXES = (".csv", ".parquet")
ROW_COLUMN = "row"  # 1-based position in the input, the key when there is no id column


@dataclass(frozen=True)
class Source:
    """Where the rows are, the folder their photo paths start from, and the dataset's schema."""

    path: Path
    root: Path
    schema: Schema | None = None

    @property
    def is_parquet(self) -> bool:
        return self.path.suffix == ".parquet"


def open_source(path: Path) -> Source:
    """Resolve INPUT: a dataset folder (schema.yaml + listings) or a CSV / Parquet file."""
    if path.is_dir():
        return _dataset_source(path)
    if not path.is_file():
        raise ScoringError(f"input {path}: no such file or folder")
    if path.suffix not in TABLE_SUFFIXES:
        raise ScoringError(
            f"input {path}: unknown extension {path.suffix!r}; use .csv or .parquet "
            "(or a dataset folder)"
        )
    return Source(path.resolve(), path.resolve().parent)


def _dataset_source(folder: Path) -> Source:
    try:
        schema = Schema.load(folder)
    except SchemaError as exc:
        raise ScoringError(f"input {folder}/{SCHEMA_FILE}: {exc}") from exc
    for name in LISTING_FILES:
        if (folder / name).is_file():
            return Source((folder / name).resolve(), folder.resolve(), schema)
    raise ScoringError(f"input {folder}: a dataset folder needs {' or '.join(LISTING_FILES)}")


def columns(source: Source) -> list[str]:
    """The input's column names, read from the header only."""
    try:
        if source.is_parquet:
            return list(pq.ParquetFile(source.path).schema_arrow.names)
        return list(pd.read_csv(source.path, nrows=0, dtype=str).columns)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise ScoringError(f"input {source.path}: cannot be read as a table: {exc}") from exc


def key_column(source: Source, model_schema: Schema) -> str:
    """Check the input against the model's features; return the id column, else `row`."""
    present = columns(source)
    missing = [f.name for f in model_schema.features if f.name not in present]
    if missing:
        raise ScoringError(
            f"input {source.path}: missing feature column(s) {', '.join(missing)} "
            f"that the model needs (it has: {', '.join(present)})"
        )
    _check_dataset_schema(source, model_schema)
    id_column = (source.schema or model_schema).id_column
    return id_column if id_column and id_column in present else ROW_COLUMN


def _check_dataset_schema(source: Source, model_schema: Schema) -> None:
    """A dataset whose schema types a feature differently from the model is refused."""
    if source.schema is None:
        return
    theirs = {f.name: f.type for f in source.schema.features}
    for feature in model_schema.features:
        if theirs.get(feature.name, feature.type) != feature.type:
            raise ScoringError(
                f"input {source.path.parent}/{SCHEMA_FILE}: feature {feature.name!r} is "
                f"{theirs[feature.name]}, but the model reads it as {feature.type}"
            )


def count_rows(source: Source) -> int:
    """The number of rows, for the progress bar and the final check (one cheap pass)."""
    if source.is_parquet:
        return int(pq.ParquetFile(source.path).metadata.num_rows)
    first = columns(source)[:1]
    reader = pd.read_csv(source.path, usecols=first, dtype=str, chunksize=65_536)
    return sum(len(chunk) for chunk in reader)


def read_chunks(source: Source, wanted: list[str], chunk_size: int) -> Iterator[pd.DataFrame]:
    """The `wanted` columns in chunks of `chunk_size` rows, in input order; '' or None = missing."""
    try:
        if source.is_parquet:
            parquet = pq.ParquetFile(source.path)
            for batch in parquet.iter_batches(batch_size=chunk_size, columns=wanted):
                yield batch.to_pandas()
            return
        yield from pd.read_csv(
            source.path,
            usecols=wanted,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            chunksize=chunk_size,
        )
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise ScoringError(f"input {source.path}: cannot be read as a table: {exc}") from exc


def records(frame: pd.DataFrame, features: list[str]) -> list[dict[str, Any]]:
    """Raw listings of one chunk: missing values (NaN, None) become None."""
    part = frame[features].astype(object)
    clean = part.where(part.notna(), None)
    return [dict(zip(features, values, strict=True)) for values in clean.itertuples(index=False)]


def keys(frame: pd.DataFrame, key: str, first_row: int) -> pd.Series:
    """The key column of one chunk: ids as text, or 1-based row numbers."""
    if key == ROW_COLUMN:
        return pd.Series(range(first_row, first_row + len(frame)), dtype="int64", name=key)
    values = frame[key].astype(object)
    text = values.where(values.notna(), "").map(str)
    return pd.Series(text.to_numpy(), dtype=object, name=key)
