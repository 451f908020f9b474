"""Read a dataset folder, validate every row, and report each bad one.

A dataset is a folder with `schema.yaml`, `listings.csv` or `listings.parquet`, and the photo
files its image columns point to. Bad rows are listed (row number, column, problem), never
silently dropped; the usable rows come back typed, in file order.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from models.features import PhotoError, decode_photo, read_photo_file
from models.schema import Feature, FeatureType, Schema, SchemaError
from models.validation import FieldError, parse_price, parse_value

LISTING_FILES = ("listings.csv", "listings.parquet")
ROW_COLUMN = "row"  # 1-based position of a listing in its file, kept for reports
_CHECK_SIZE = 16  # decode photos this small when only checking that they decode
_CHECK_CHUNK = 4096  # rows whose photos are checked at once


class DatasetError(ValueError):
    """The dataset as a whole is unusable; the message names the problem."""


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one row."""

    row: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.problem}"


@dataclass
class DatasetReport:
    """Counts and problems found while reading a dataset."""

    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})

    @property
    def usable(self) -> int:
        return self.rows - self.bad_rows

    def summary(self) -> str:
        return (
            f"{self.rows} rows: {self.usable} usable, {self.bad_rows} bad "
            f"({len(self.problems)} problems)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "usable": self.usable,
            "bad_rows": self.bad_rows,
            "problems": [vars(p) for p in self.problems],
        }


@dataclass
class Dataset:
    """Validated rows of one dataset folder, with the report of what was left out."""

    folder: Path
    schema: Schema
    frame: pd.DataFrame
    report: DatasetReport

    def fingerprint(self) -> str:
        """A short hash of the schema and the usable rows: the same data gives the same print."""
        rows = pd.util.hash_pandas_object(self.frame, index=False).to_numpy().tobytes()
        return hashlib.sha256(self.schema.to_yaml().encode() + rows).hexdigest()[:16]


def listings_path(folder: Path) -> Path:
    """The listings file of a dataset folder (CSV preferred when both exist)."""
    for name in LISTING_FILES:
        if (folder / name).is_file():
            return folder / name
    raise DatasetError(f"{folder}: no {' or '.join(LISTING_FILES)} found")


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file with every cell as text ('' for missing), keeping row order."""
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            return frame.astype(object).where(frame.notna(), "")
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DatasetError(f"{path.name}: cannot be read as a table: {exc}") from exc


def read_dataset(
    folder: Path, *, check_photos: bool = True, features: Sequence[str] | None = None
) -> Dataset:
    """Read and validate a dataset folder, cut to `features` when given (the others are neither
    read nor checked); raises DatasetError when it is not usable at all."""
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    try:
        schema = Schema.load(folder)
        schema = schema.only(features) if features else schema
    except SchemaError as exc:
        raise DatasetError(f"invalid schema.yaml: {exc}") from exc
    raw = read_table(listings_path(folder))
    _check_columns(schema, list(raw.columns))
    report = DatasetReport(rows=len(raw))
    columns, problems = _parse_columns(schema, raw)
    if check_photos:
        problems.extend(_check_photos(schema, raw, folder))
    report.problems = sorted(problems, key=lambda p: (p.row, p.column))
    frame = _typed_frame(schema, raw, columns, {p.row for p in report.problems})
    del raw, columns
    # The file's text columns were read into Arrow's memory pool, which keeps freed memory for
    # reuse: about 0.3 KB a row that training would otherwise carry to its end.
    pa.default_memory_pool().release_unused()
    if frame.empty:
        raise DatasetError(f"{folder}: no usable rows ({report.summary()})")
    return Dataset(folder=folder, schema=schema, frame=frame, report=report)


def _check_columns(schema: Schema, columns: list[str]) -> None:
    needed = [f.name for f in schema.features] + [schema.target]
    missing = [name for name in needed if name not in columns]
    if missing:
        raise DatasetError(
            f"listings file lacks column(s) {', '.join(missing)} declared in schema.yaml"
        )


def _parse_columns(
    schema: Schema, raw: pd.DataFrame
) -> tuple[dict[str, list[Any]], list[RowProblem]]:
    """Every cell parsed once: typed values per column (None where bad) and the problems."""
    parsers: list[tuple[str, Callable[[Any], Any]]] = [
        (f.name, partial(parse_value, f)) for f in schema.features
    ]
    parsers.append((schema.target, partial(parse_price, schema.target)))
    columns: dict[str, list[Any]] = {}
    problems: list[RowProblem] = []
    for name, parse in parsers:
        values: list[Any] = []
        for row, value in _numbered(raw[name]):
            try:
                values.append(parse(value))
            except FieldError as exc:
                values.append(None)
                problems.append(RowProblem(row, name, exc.problem))
        columns[name] = values
    return columns, problems


def _numbered(column: pd.Series) -> Iterator[tuple[int, Any]]:
    return enumerate(column.tolist(), start=1)


def _check_photos(schema: Schema, raw: pd.DataFrame, folder: Path) -> list[RowProblem]:
    """Read and decode every referenced photo in parallel threads (Pillow releases the GIL), a
    chunk of rows at a time so that the pending work does not grow with the dataset."""
    workers = min(8, (os.cpu_count() or 1) * 2)
    problems: list[RowProblem] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for feature in schema.of_type(FeatureType.IMAGE):
            paths = raw[feature.name]
            for start in range(0, len(paths), _CHECK_CHUNK):
                chunk = paths.iloc[start : start + _CHECK_CHUNK].tolist()
                jobs = [
                    (start + i + 1, feature, str(v)) for i, v in enumerate(chunk) if str(v).strip()
                ]
                found = pool.map(lambda job: _photo_problem(folder, *job), jobs)
                problems.extend(p for p in found if p is not None)
    return problems


def _photo_problem(folder: Path, row: int, feature: Feature, relative: str) -> RowProblem | None:
    try:
        data = read_photo_file(folder, relative.strip(), feature.max_bytes)
        decode_photo(data, _CHECK_SIZE, max_bytes=feature.max_bytes, max_pixels=feature.max_pixels)
    except PhotoError as exc:
        return RowProblem(row, feature.name, str(exc))
    return None


def _typed_frame(
    schema: Schema, raw: pd.DataFrame, columns: dict[str, list[Any]], bad_rows: set[int]
) -> pd.DataFrame:
    """The usable rows with every feature in its type (empty text → ''), in file order."""
    keep = [i for i in range(len(raw)) if i + 1 not in bad_rows]
    frame = pd.DataFrame({ROW_COLUMN: [i + 1 for i in keep]})
    if schema.id_column and schema.id_column in raw.columns:
        frame[schema.id_column] = raw[schema.id_column].iloc[keep].astype(str).to_numpy()
    for feature in schema.features:
        frame[feature.name] = _column(feature, [columns[feature.name][i] for i in keep])
    frame[schema.target] = [columns[schema.target][i] for i in keep]
    return frame


def _column(feature: Feature, values: list[Any]) -> pd.Series:
    if feature.type == FeatureType.INTEGER:
        return pd.Series(values, dtype="int64")
    if feature.type == FeatureType.NUMBER:
        return pd.Series(values, dtype="float64")
    return pd.Series(["" if v is None else v for v in values], dtype=object)
