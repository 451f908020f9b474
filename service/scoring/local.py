"""The local engine: stream the input chunk by chunk through the predictor, one part per chunk.

Photos are decoded in a thread pool (Pillow releases the GIL); the forward pass runs on the
predictor's largest batch shape. Chunks whose part an earlier run finished are read, not scored.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from service.predictor import Predictor
from service.scoring.chunk import score_chunk
from service.scoring.errors import ScoringError
from service.scoring.parts import WorkFolder
from service.scoring.progress import Summary
from service.scoring.source import ROW_COLUMN, Source, read_chunks

# Called after each part is written, with its index: tests use it to crash a job midway.
PartHook = Callable[[int], None]


@dataclass(frozen=True)
class Job:
    """What to score and how: the input, its key column and the rows per part."""

    source: Source
    key: str
    chunk_size: int


def run_local(
    predictor: Predictor,
    job: Job,
    work: WorkFolder,
    summary: Summary,
    bar: tqdm[Any],
    threads: int,
    on_part: PartHook | None = None,
) -> None:
    """Score every chunk not yet in `work`, writing one part per chunk."""
    wanted = [f.name for f in predictor.schema.features]
    if job.key != ROW_COLUMN:
        wanted.append(job.key)
    chunks = read_chunks(job.source, wanted, job.chunk_size)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="decode") as pool:
        for index, frame in enumerate(chunks):
            if frame.empty:  # a header-only CSV still yields one empty chunk
                break
            done = work.done.get(index)
            if done is None:
                first_row = index * job.chunk_size + 1
                out = score_chunk(predictor, frame, job.key, first_row, job.source.root, pool.map)
                work.write_part(index, out)
                done = work.done[index]
                if on_part is not None:
                    on_part(index)
            else:
                _check_unchanged(index, len(frame), done.rows)
                summary.skipped += done.rows
            summary.add(done.rows, done.errors)
            bar.update(done.rows)


def _check_unchanged(index: int, rows: int, done_rows: int) -> None:
    """A part from an earlier run must cover the same rows as the chunk read now."""
    if rows != done_rows:
        raise ScoringError(
            f"cannot resume: chunk {index} has {rows} rows now but its part has {done_rows}; "
            "the input changed, run without --resume"
        )
