"""The local engine: stream the input chunk by chunk through the predictor, one part per chunk.

Photos are decoded in a thread pool (Pillow releases the GIL); the forward pass runs on the
predictor's largest batch shape. Chunks whose part an earlier run finished are read, not scored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm import tqdm

from models.inputs import PreparedListing
from service.inference.listing import InputError
from service.inference.predictor import Predictor
from service.scoring.chunk import finish_chunk, prepare_chunk
from service.scoring.errors import ScoringError
from service.scoring.parts import WorkFolder
from service.scoring.progress import Summary
from service.scoring.source import ROW_COLUMN, Source, read_chunks

# Called after each part is written, with its index: tests use it to crash a job midway.
PartHook = Callable[[int], None]
Prepared = list[PreparedListing | InputError]


@dataclass(frozen=True)
class Job:
    """What to score and how: the input, its key column, the rows per part and the
    comparables per row when explaining (None: prices only)."""

    source: Source
    key: str
    chunk_size: int
    explain_k: int | None = None


def run_local(
    predictor: Predictor,
    job: Job,
    work: WorkFolder,
    summary: Summary,
    bar: tqdm[Any],
    threads: int,
    on_part: PartHook | None = None,
) -> None:
    """Score every chunk not yet in `work`, writing one part per chunk.

    The next chunk's photos are decoded while the current chunk runs its forward passes, so the
    decoding threads and TensorFlow work at the same time instead of taking turns.
    """
    wanted = [f.name for f in predictor.schema.features]
    if job.key != ROW_COLUMN:
        wanted.append(job.key)
    chunks = enumerate(read_chunks(job.source, wanted, job.chunk_size))
    with (
        ThreadPoolExecutor(max_workers=threads, thread_name_prefix="decode") as pool,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="ahead") as ahead,
    ):

        def start(index: int, frame: pd.DataFrame) -> Future[Prepared] | None:
            if frame.empty or index in work.done:
                return None
            return ahead.submit(prepare_chunk, predictor, frame, job.source.root, pool.map)

        for (index, frame), prepared in _one_ahead(chunks, start):
            if frame.empty:  # a header-only CSV still yields one empty chunk
                break
            done = work.done.get(index)
            if prepared is not None:
                first_row = index * job.chunk_size + 1
                out = finish_chunk(
                    predictor, frame, job.key, first_row, prepared.result(), job.explain_k
                )
                work.write_part(index, out)
                done = work.done[index]
                if on_part is not None:
                    on_part(index)
            else:
                assert done is not None
                _check_unchanged(index, len(frame), done.rows)
                summary.skipped += done.rows
            summary.add(done.rows, done.errors)
            bar.update(done.rows)


def _one_ahead(
    items: Iterable[tuple[int, pd.DataFrame]],
    start: Callable[[int, pd.DataFrame], Future[Prepared] | None],
) -> Iterator[tuple[tuple[int, pd.DataFrame], Future[Prepared] | None]]:
    """Each item with its started work, the next item's work already started."""
    iterator = iter(items)
    current = next(iterator, None)
    if current is None:
        return
    pending = start(*current)
    for following in iterator:
        started = start(*following)
        yield current, pending
        current, pending = following, started
    yield current, pending


def _check_unchanged(index: int, rows: int, done_rows: int) -> None:
    """A part from an earlier run must cover the same rows as the chunk read now."""
    if rows != done_rows:
        raise ScoringError(
            f"cannot resume: chunk {index} has {rows} rows now but its part has {done_rows}; "
            "the input changed, run without --resume"
        )
