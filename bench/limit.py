"""The limit: the Predictor in this process, no HTTP, photo decoding included.

Examples per second at each batch size over the request stream (listings as the service gets
them: photos as base64 text), and the latency of one listing scored alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from service.inference.predictor import Predictor

BATCH_SIZES = (1, 4, 8, 16, 32)


@dataclass(frozen=True)
class Limit:
    """Best throughput (and where it was reached) and single-listing latency."""

    per_batch: dict[int, float]  # examples/s by batch size
    best_batch: int
    best_rate: float
    single_ms: tuple[float, float]  # p50, p99 of one listing scored alone
    cores: dict[int, float]  # CPU cores this process kept busy, by batch size

    def row(self) -> dict[str, Any]:
        return {
            "rate": self.best_rate,
            "p50_ms": self.single_ms[0],
            "p99_ms": self.single_ms[1],
        }


def throughput(
    predictor: Predictor,
    listings: Sequence[dict[str, Any]],
    batch: int,
    pool: ThreadPoolExecutor,
    root: Path | None = None,
    seconds: float = 0.0,
) -> float:
    """Examples per second: decode a batch (in `pool`, as the service does) then one pass,
    over the listings, again and again until `seconds` have passed."""
    start, done = time.perf_counter(), 0
    while done == 0 or time.perf_counter() - start < seconds:
        for offset in range(0, len(listings), batch):
            predictor.predict(listings[offset : offset + batch], root, mapper=pool.map)
        done += len(listings)
    return done / (time.perf_counter() - start)


def single_latency(predictor: Predictor, listings: Sequence[dict[str, Any]]) -> tuple[float, float]:
    """p50 and p99 in ms of scoring each listing alone (decode and pass, one thread)."""
    times = []
    for listing in listings:
        start = time.perf_counter()
        predictor.predict([listing])
        times.append((time.perf_counter() - start) * 1000)
    p50, p99 = np.percentile(times, [50, 99])
    return float(p50), float(p99)


def rows_rate(
    predictor: Predictor, rows: Sequence[dict[str, Any]], root: Path, batch: int, threads: int
) -> float:
    """The limit on dataset rows (photos as paths under `root`): what batch scoring can reach."""
    with ThreadPoolExecutor(threads) as pool:
        throughput(predictor, rows[:64], batch, pool, root)
        return throughput(predictor, rows, batch, pool, root)


def measure(
    predictor: Predictor, listings: Sequence[dict[str, Any]], threads: int, seconds: float
) -> Limit:
    """The limit over `listings`: every batch size for `seconds` after a warm-up pass, then
    latency. Several seconds per size, as single passes over the stream spread too widely
    (docs/benchmarks.md, "Figures behind the code")."""
    rates, cores = {}, {}
    with ThreadPoolExecutor(threads) as pool:
        throughput(predictor, listings[:64], 8, pool)  # warm caches and thread pools
        for b in BATCH_SIZES:
            cpu, wall = time.process_time(), time.perf_counter()
            rates[b] = throughput(predictor, listings, b, pool, seconds=seconds)
            cores[b] = (time.process_time() - cpu) / (time.perf_counter() - wall)
    best = max(rates, key=lambda b: rates[b])
    return Limit(rates, best, rates[best], single_latency(predictor, listings), cores)
