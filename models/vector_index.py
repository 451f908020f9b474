"""The search index over the comparables' vectors: faiss, exact up to `EXACT_UP_TO` listings and
HNSW beyond, as measured by `make bench-comparables` (docs/benchmarks.md): at 20k listings exact
search answers in 0.2 ms at p99, at 1M it takes 17 ms where HNSW takes 0.9 ms at recall@5 0.995.

The index is serialized with the model, so a served model never rebuilds it (an HNSW build over
1M listings of 64 dimensions takes 84 s on two cores).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

EXACT_UP_TO = 100_000  # exact p99 grows linearly: about 1.7 ms at 100k listings of 64 dimensions
HNSW_NEIGHBOURS = 16  # faiss's M: links per node
HNSW_EF_CONSTRUCTION = 64
HNSW_EF_SEARCH = 128  # serialized with the index; 64 gives recall@5 0.989 at 1M, 128 0.995


def build(vectors: np.ndarray, exact_up_to: int = EXACT_UP_TO) -> Any:
    """A faiss index over the rows of `vectors` (float32), row numbers as ids."""
    index = empty(int(vectors.shape[1]), len(vectors), exact_up_to)
    add(index, vectors)
    return index


def empty(dimensions: int, rows: int, exact_up_to: int = EXACT_UP_TO) -> Any:
    """An empty index of the kind `rows` listings call for, filled by `add` (a chunk at a time
    when the vectors are computed a chunk at a time)."""
    import faiss

    if rows <= exact_up_to:
        return faiss.IndexFlatL2(dimensions)
    index = faiss.IndexHNSWFlat(dimensions, HNSW_NEIGHBOURS)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def add(index: Any, vectors: np.ndarray) -> None:
    """Append `vectors`; their row numbers follow the index's last."""
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))


def search(index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers and Euclidean distances of the `k` nearest rows to each query, nearest first
    (faiss answers squared distances; rounding can make a self-match's slightly negative)."""
    squared, rows = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return rows, np.sqrt(np.maximum(squared, 0.0))


def save(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load(path: Path) -> Any:
    import faiss

    return faiss.read_index(str(path))
