"""`make bench-comparables`: k-nearest search for comparable sold listings (issue 22), side by side.

Exact NumPy search against the vector-search libraries that are installed (faiss-cpu, usearch,
hnswlib), at 20k and 1M indexed listings: build time, serialized index size, load time from those
bytes, one query at a time as a request makes it (p50/p99), and recall@k against exact search.

Searches run on one thread, as beside the service's TensorFlow (one intra-op thread on two
cores); builds use every core, as training would. The methods' queries are interleaved, so a
machine whose speed moves (other work on it) slows them all alike. The vectors are synthetic but
shaped like the joined branch outputs: a clustered Gaussian mixture, uneven cluster sizes, a
low-dimensional latent space, through a ReLU.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from bench.machine import describe
from bench.vector_search import Hnsw, Index, Method, methods, versions
from models import vector_index

K = 5
CLUSTERS = 1000
WARMUP_QUERIES = 50
log = logging.getLogger("bench.comparables")


@dataclass(frozen=True)
class Row:
    """One method at one size: what it costs to build, keep, load and ask, and how right it is."""

    n: int
    dim: int
    method: str
    build_s: float
    index_bytes: int
    load_s: float
    p50_ms: float
    p99_ms: float
    recall: float
    same_bytes_on_rebuild: str  # with every core / with one thread; `-` where not checked


@dataclass(frozen=True)
class Built:
    """An index loaded back from its bytes, with what building and loading it cost."""

    method: Method
    index: Index
    build_s: float
    size: int
    load_s: float
    same: str


def embeddings(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """`n` vectors like a trained joint representation: uneven clusters, low intrinsic dimension.

    Uniform noise would be the hardest case for a graph index and unlike any trained model's
    output. The cluster layout depends on `dim` only, so queries (a second call) come from the
    same mixture as the indexed listings.
    """
    layout = np.random.default_rng(dim)
    latent = max(8, dim // 2)
    centers = layout.standard_normal((CLUSTERS, latent), dtype=np.float32) * 2.0
    spreads = layout.uniform(0.2, 0.8, (CLUSTERS, latent)).astype(np.float32)
    mixing = layout.standard_normal((latent, dim), dtype=np.float32) / np.sqrt(latent)
    weights = 1.0 / np.arange(1, CLUSTERS + 1)  # a few big kinds of listing, a long tail
    labels = rng.choice(CLUSTERS, size=n, p=weights / weights.sum())
    z = centers[labels] + rng.standard_normal((n, latent), dtype=np.float32) * spreads[labels]
    x = z @ mixing + rng.standard_normal((n, dim), dtype=np.float32) * 0.05
    relu: np.ndarray = np.maximum(x, 0.0, dtype=np.float32)  # branch outputs are ReLU layers
    return relu


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The true k nearest (L2) of each query, in chunks so 1M x 100 distances fit in memory."""
    norms = np.einsum("ij,ij->i", vectors, vectors)
    found = []
    for start in range(0, len(queries), 100):
        d = norms[None, :] - 2.0 * (queries[start : start + 100] @ vectors.T)
        top = np.argpartition(d, k, axis=1)[:, :k]
        order = np.take_along_axis(d, top, axis=1).argsort(axis=1)
        found.append(np.take_along_axis(top, order, axis=1))
    return np.concatenate(found)


def build(method: Method, vectors: np.ndarray, check_rebuild: bool) -> Built:
    """Build on every core, serialize, load back from the bytes (what the service would search).

    With `check_rebuild`, also whether two builds give the same bytes, on every core and on one.
    """
    threads = os.cpu_count() or 1
    started = time.perf_counter()
    blob = method.build(vectors, threads).to_bytes()
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    index = method.restore(blob)
    load_s = time.perf_counter() - started
    same = "-"
    if check_rebuild:
        again = [method.build(vectors, t).to_bytes() for t in (threads, threads, 1, 1)]
        same = f"{_yes(again[0] == again[1])} / {_yes(again[2] == again[3])}"
    return Built(method, index, build_s, len(blob), load_s, same)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def interleaved(indexes: list[Index], queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each index's answers to every query (ids) and the wall ms each single search took.

    Each query goes to every index in turn, starting with a different one each time, so load
    from elsewhere on the machine lands on all of them alike.
    """
    for index in indexes:
        for q in queries[:WARMUP_QUERIES]:
            index.search(q, K)
    times = np.empty((len(indexes), len(queries)))
    answers = np.empty((len(indexes), len(queries), K), dtype=np.int64)
    for i, q in enumerate(queries):
        for j in range(len(indexes)):
            which = (i + j) % len(indexes)
            started = time.perf_counter_ns()
            found = indexes[which].search(q, K)
            times[which, i] = (time.perf_counter_ns() - started) / 1e6
            answers[which, i] = found
    return answers, times


def recall(answers: np.ndarray, truth: np.ndarray) -> float:
    """Share of the true k nearest found, over the queries whose truth is known."""
    hits = sum(len(np.intersect1d(a, t)) for a, t in zip(answers, truth, strict=False))
    return hits / truth.size


def measure(chosen: list[Method], n: int, dim: int, args: argparse.Namespace) -> list[Row]:
    """Every method on `n` vectors of `dim`: built, loaded back, then asked on one thread."""
    rng = np.random.default_rng([args.seed, n, dim])
    vectors, queries = embeddings(n, dim, rng), embeddings(args.queries, dim, rng)
    truth = exact_neighbours(vectors, queries[: args.recall_queries], K)
    built = []
    for method in chosen:
        built.append(build(method, vectors, n <= args.check_up_to))
        log.info("N=%d D=%d %s: built in %.1f s", n, dim, method.name, built[-1].build_s)
    with threadpool_limits(1):
        for b in built:
            b.index.single_thread()
        answers, times = interleaved([b.index for b in built], queries)
    found = [recall(a[: len(truth)], truth) for a in answers]
    rows = []
    for b, t, r in zip(built, times, found, strict=True):
        p50, p99 = np.percentile(t, [50, 99])
        rows.append(
            Row(
                n,
                dim,
                b.method.name,
                b.build_s,
                b.size,
                b.load_s,
                float(p50),
                float(p99),
                r,
                b.same,
            )
        )
    return rows


def table(rows: list[Row]) -> str:
    """The figures as one Markdown table."""
    lines = [
        f"| N | D | method | build s | index MB | load s | p50 ms | p99 ms | recall@{K} "
        f"| same bytes on rebuild ({os.cpu_count()} threads / 1) |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r.n:,} | {r.dim} | {r.method} | {r.build_s:.2f} | {r.index_bytes / 1e6:.1f} "
            f"| {r.load_s:.2f} | {r.p50_ms:.3f} | {r.p99_ms:.3f} | {r.recall:.4f} "
            f"| {r.same_bytes_on_rebuild} |"
        )
    return "\n".join(lines) + "\n"


def header(machine: str, args: argparse.Namespace, minutes: float) -> str:
    """What was measured and on what: the machine, packages, threads and query counts."""
    return (
        f"Comparables search, k={K}, L2 distance. {machine}; load average "
        f"{os.getloadavg()[0]:.2f} at the end, {minutes:.1f} minutes in all. {versions()}.\n\n"
        f"Builds on {os.cpu_count()} threads; searches on 1 thread, one query at a time, the "
        f"methods' queries interleaved ({args.queries} timed queries after {WARMUP_QUERIES} "
        f"untimed). Recall: the answers to the first {args.recall_queries} against exact search. "
        "Index size: the serialized index (for exact NumPy, the float32 vectors); load: from those "
        "bytes.\n\n"
    )


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="Folder for comparables.md and comparables.json.")
    parser.add_argument("--sizes", default="20000,1000000", help="Comma-separated index sizes.")
    parser.add_argument("--dims", default="26,64", help="Comma-separated vector dimensions.")
    keys = "numpy, faiss-flat, faiss-hnsw, usearch, hnswlib; default: all installed"
    parser.add_argument("--methods", default="", help=f"Comma-separated, of: {keys}.")
    parser.add_argument("--queries", type=int, default=2000, help="Timed queries per method.")
    parser.add_argument("--recall-queries", type=int, default=1000, help="Checked for recall.")
    parser.add_argument("--check-up-to", type=int, default=100_000, help="Rebuild up to this N.")
    parser.add_argument("--seed", type=int, default=22, help="Seed of the vectors and queries.")
    # the defaults are the service's (models.vector_index), so the table measures what it runs
    parser.add_argument("--m", type=int, default=vector_index.HNSW_NEIGHBOURS, help="HNSW links.")
    parser.add_argument(
        "--ef-construction",
        type=int,
        default=vector_index.HNSW_EF_CONSTRUCTION,
        help="Build depth.",
    )
    parser.add_argument(
        "--ef-search", type=int, default=vector_index.HNSW_EF_SEARCH, help="Search depth."
    )
    return parser.parse_args()


def main() -> None:
    args = parse()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)  # which SIMD build it loaded
    args.out.mkdir(parents=True, exist_ok=True)
    started, machine = time.monotonic(), describe()
    chosen = methods(Hnsw(args.m, args.ef_construction, args.ef_search))
    if args.methods:
        keys = args.methods.split(",")
        if unknown := set(keys) - {m.key for m in chosen}:
            sys.exit(f"--methods: {', '.join(sorted(unknown))} unknown or not installed")
        chosen = [m for m in chosen if m.key in keys]
    rows = [
        row
        for dim in (int(d) for d in args.dims.split(","))
        for n in (int(s) for s in args.sizes.split(","))
        for row in measure(chosen, n, dim, args)
    ]
    report = header(machine, args, (time.monotonic() - started) / 60) + table(rows)
    (args.out / "comparables.md").write_text(report, encoding="utf-8")
    (args.out / "comparables.json").write_text(json.dumps([asdict(r) for r in rows], indent=2))
    sys.stdout.write(report)


if __name__ == "__main__":
    main()
