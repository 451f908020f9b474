"""The job's output file: Parquet or CSV by extension, assembled from the parts atomically.

The file is written whole or not at all (service.scoring.atomic), so OUTPUT is never a
half-written file. Parts are copied one at a time: memory stays at one part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from models.predictions import PRICE_COLUMNS
from service.scoring.atomic import replacing
from service.scoring.errors import ScoringError, reason

OUTPUT_SUFFIXES = (".parquet", ".csv")
ERROR_COLUMN = "error"
T = TypeVar("T")


def check_output(path: Path) -> Path:
    """Refuse an OUTPUT whose format we cannot tell, or whose folder cannot hold it."""
    if path.suffix not in OUTPUT_SUFFIXES:
        raise ScoringError(
            f"output {path}: unknown extension {path.suffix!r}; use .parquet or .csv"
        )
    if path.is_dir():
        raise ScoringError(f"output {path}: is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScoringError(f"output {path}: cannot create its folder: {exc.strerror}") from exc
    return path.resolve()


def output_columns(key: str, explanation: Sequence[str] = ()) -> list[str]:
    """The key (id or row number), the prices and the error, in that order, then the
    `explanation` columns when the job explains."""
    return [key, *PRICE_COLUMNS, ERROR_COLUMN, *explanation]


def write_output(path: Path, parts: Iterable[Path], columns: list[str]) -> int:
    """Concatenate the Parquet `parts` into `path` (format by extension); returns the rows.

    `columns` name the columns of an empty output (an input with a header and no rows).
    Raises WriteError naming `path` when it cannot be written; the parts are left as they are.
    """
    write = _write_parquet if path.suffix == ".parquet" else _write_csv
    with replacing(path, "output") as tmp:
        return write(tmp, parts, columns)


def _read(part: Path, read: Callable[[Path], T]) -> T:
    """One part, read with `read`; a failure is named as the part's, not as the output's."""
    try:
        return read(part)
    except OSError as exc:
        raise ScoringError(f"cannot read part {part}: {reason(exc)}") from exc


def _write_parquet(tmp: Path, parts: Iterable[Path], columns: list[str]) -> int:
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for part in parts:
            table = _read(part, pq.read_table)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table.cast(writer.schema))
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        pq.write_table(pa.table({c: pa.array([], pa.string()) for c in columns}), tmp)
    return rows


def _write_csv(tmp: Path, parts: Iterable[Path], columns: list[str]) -> int:
    rows = 0
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        for part in parts:
            frame = _read(part, pd.read_parquet)
            frame.to_csv(handle, header=rows == 0, index=False)
            rows += len(frame)
        if rows == 0:
            pd.DataFrame(columns=columns).to_csv(handle, index=False)
    return rows
