"""The k-nearest (L2) search methods `bench.comparables` puts side by side, behind one interface.

Exact search in NumPy needs nothing new; each library's methods are offered only when its package
is installed, so the benchmark runs with whichever of faiss-cpu, usearch and hnswlib are at hand.
Every index goes to one blob of bytes and back, as it would to and from an MLflow artifact.
"""

from __future__ import annotations

import importlib.util
import io
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, Protocol

import numpy as np


class Index(Protocol):
    """A built index: searched one query at a time, serialized to one blob of bytes."""

    def search(self, query: np.ndarray, k: int) -> np.ndarray: ...

    def to_bytes(self) -> bytes: ...

    def single_thread(self) -> None:
        """Search on one thread from now on (the service's budget beside TensorFlow)."""


@dataclass(frozen=True)
class Method:
    """A way to build an index from float32 vectors on some threads, and to load one back."""

    key: str  # what `--methods` names it by
    name: str
    build: Callable[[np.ndarray, int], Index]
    restore: Callable[[bytes], Index]


@dataclass(frozen=True)
class Hnsw:
    """The graph parameters every HNSW library gets, so they are compared like for like."""

    m: int  # links per node (faiss M, usearch connectivity, hnswlib M)
    ef_construction: int
    ef_search: int

    def __str__(self) -> str:
        return f"M={self.m}, efC={self.ef_construction}, ef={self.ef_search}"


class ExactNumpy:
    """Exact search: squared norms kept, one matrix-vector product and an argpartition a query.

    `|x - q|^2 = |x|^2 - 2 x.q + |q|^2`; the last term is the same for every x, so the ranking
    leaves it out. The serialized index is the vectors alone (the norms are recomputed on load).
    """

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.norms = np.einsum("ij,ij->i", self.vectors, self.vectors)
        self.scores = np.empty(len(vectors), dtype=np.float32)

    @classmethod
    def build(cls, vectors: np.ndarray, threads: int) -> ExactNumpy:
        return cls(vectors)

    @classmethod
    def restore(cls, blob: bytes) -> ExactNumpy:
        return cls(np.load(io.BytesIO(blob)))

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        np.matmul(self.vectors, query, out=self.scores)
        self.scores *= -2.0
        self.scores += self.norms
        top = np.argpartition(self.scores, k)[:k]
        return top[np.argsort(self.scores[top])]

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.save(buffer, self.vectors)
        return buffer.getvalue()

    def single_thread(self) -> None:
        """NumPy's BLAS threads are limited by the caller (threadpoolctl)."""


class Faiss:
    """A faiss index, exact (flat) or HNSW. Its OpenMP threads are process-wide."""

    def __init__(self, index: Any) -> None:
        self.index = index

    @classmethod
    def build(cls, index: Any, vectors: np.ndarray, threads: int) -> Faiss:
        import faiss

        faiss.omp_set_num_threads(threads)
        index.add(vectors)
        return cls(index)

    @classmethod
    def restore(cls, blob: bytes) -> Faiss:
        import faiss

        return cls(faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8)))

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        _, ids = self.index.search(query[None, :], k)
        return np.asarray(ids[0])

    def to_bytes(self) -> bytes:
        import faiss

        return bytes(faiss.serialize_index(self.index))

    def single_thread(self) -> None:
        import faiss

        faiss.omp_set_num_threads(1)


def faiss_flat(vectors: np.ndarray, threads: int) -> Faiss:
    import faiss

    return Faiss.build(faiss.IndexFlatL2(vectors.shape[1]), vectors, threads)


def faiss_hnsw(params: Hnsw) -> Callable[[np.ndarray, int], Faiss]:
    def build(vectors: np.ndarray, threads: int) -> Faiss:
        import faiss

        index = faiss.IndexHNSWFlat(vectors.shape[1], params.m)
        index.hnsw.efConstruction = params.ef_construction
        index.hnsw.efSearch = params.ef_search  # serialized with the index
        return Faiss.build(index, vectors, threads)

    return build


class Usearch:
    """A usearch HNSW index of float32 vectors, keyed by row number; threads go with each call."""

    def __init__(self, index: Any, threads: int) -> None:
        self.index, self.threads = index, threads

    @classmethod
    def builder(cls, params: Hnsw) -> Callable[[np.ndarray, int], Usearch]:
        def build(vectors: np.ndarray, threads: int) -> Usearch:
            from usearch.index import Index as UsearchIndex

            index = UsearchIndex(
                ndim=vectors.shape[1],
                metric="l2sq",
                dtype="f32",
                connectivity=params.m,
                expansion_add=params.ef_construction,
                expansion_search=params.ef_search,
            )
            index.add(np.arange(len(vectors)), vectors, threads=threads)
            return cls(index, threads)

        return build

    @classmethod
    def restorer(cls, params: Hnsw) -> Callable[[bytes], Usearch]:
        def restore(blob: bytes) -> Usearch:
            from usearch.index import Index as UsearchIndex

            # The search depth is a setting, not part of the saved index.
            index = UsearchIndex.restore(blob, expansion_search=params.ef_search)
            if index is None:
                raise ValueError("usearch could not read the index bytes")
            return cls(index, 1)

        return restore

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        return np.asarray(self.index.search(query, k, threads=self.threads).keys)

    def to_bytes(self) -> bytes:
        saved = self.index.save()  # given no path, the index as bytes
        assert saved is not None
        return bytes(saved)

    def single_thread(self) -> None:
        self.threads = 1


class Hnswlib:
    """An hnswlib HNSW index, pickled whole (it saves only to a path, not to bytes)."""

    def __init__(self, index: Any) -> None:
        self.index = index

    @classmethod
    def builder(cls, params: Hnsw) -> Callable[[np.ndarray, int], Hnswlib]:
        def build(vectors: np.ndarray, threads: int) -> Hnswlib:
            import hnswlib

            index = hnswlib.Index(space="l2", dim=vectors.shape[1])
            index.init_index(len(vectors), params.m, params.ef_construction, random_seed=100)
            index.add_items(vectors, np.arange(len(vectors)), num_threads=threads)
            index.set_ef(params.ef_search)
            return cls(index)

        return build

    @classmethod
    def restore(cls, blob: bytes) -> Hnswlib:
        return cls(pickle.loads(blob))  # our own bytes, made just before

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        ids, _ = self.index.knn_query(query, k)
        return np.asarray(ids[0])

    def to_bytes(self) -> bytes:
        return pickle.dumps(self.index)

    def single_thread(self) -> None:
        self.index.set_num_threads(1)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def methods(params: Hnsw) -> list[Method]:
    """Exact NumPy, then each installed library's exact and HNSW indexes."""
    found = [Method("numpy", "exact, NumPy", ExactNumpy.build, ExactNumpy.restore)]
    if _installed("faiss"):
        found += [
            Method("faiss-flat", "exact, faiss IndexFlatL2", faiss_flat, Faiss.restore),
            Method("faiss-hnsw", f"HNSW, faiss ({params})", faiss_hnsw(params), Faiss.restore),
        ]
    if _installed("usearch"):
        found.append(
            Method(
                "usearch",
                f"HNSW, usearch ({params})",
                Usearch.builder(params),
                Usearch.restorer(params),
            )
        )
    if _installed("hnswlib"):
        found.append(
            Method("hnswlib", f"HNSW, hnswlib ({params})", Hnswlib.builder(params), Hnswlib.restore)
        )
    return found


def versions() -> str:
    """`numpy 2.4.6, faiss-cpu 1.15.1, ...`: the packages that were measured."""
    names = {"numpy": "numpy", "faiss": "faiss-cpu", "usearch": "usearch", "hnswlib": "hnswlib"}
    return ", ".join(f"{dist} {version(dist)}" for mod, dist in names.items() if _installed(mod))
