"""`make bench-pass`: what one forward pass costs the calling thread, called through the
`tf.function` or through its concrete function (what the predictor does), side by side.

The model thread runs every pass in the service, so its Python per call is on every listing's
path; the pass itself runs in TensorFlow's threads either way.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.prepare import Prepared
from bench.stream import request_stream, service_body

BATCH_SIZES = (1, 2, 4, 8, 16, 32)


def per_call(fn: Callable[[Any], Any], tensors: Any, calls: int) -> tuple[float, float]:
    """Wall ms and calling-thread CPU ms per call of `fn(tensors)`, after one to warm up."""
    fn(tensors).numpy()
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in range(calls):
        fn(tensors).numpy()
    return (
        (time.perf_counter() - wall) / calls * 1000,
        (time.thread_time() - cpu) / calls * 1000,
    )


def table(
    ways: dict[str, Callable[[Any], Any]], tensors_of: Callable[[int], Any], rounds: int
) -> str:
    """A Markdown table: each way at each batch size, the best of `rounds` alternating rounds."""
    lines = ["| batch | way | wall ms | calling thread's CPU ms |", "| ---: | --- | ---: | ---: |"]
    for size in BATCH_SIZES:
        tensors, calls = tensors_of(size), max(20, 400 // size)
        readings = [[per_call(fn, tensors, calls) for fn in ways.values()] for _ in range(rounds)]
        best = {name: min(r[i] for r in readings) for i, name in enumerate(ways)}
        lines += [f"| {size} | {name} | {w:.2f} | {c:.3f} |" for name, (w, c) in best.items()]
        first, second = (best[name][1] for name in ways)
        lines.append(f"| {size} | {' / '.join(reversed(ways))} | | {second / first:.2f}x |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="Folder prepared by `python -m bench.prepare`.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating rounds; best kept.")
    args = parser.parse_args()

    from models.inputs import batch_inputs
    from service.inference.loading import load_predictor
    from service.inference.settings import ServingSettings

    prepared = Prepared.read(args.out.resolve())
    # The service's settings: one TensorFlow thread each, as its model thread runs passes.
    settings = ServingSettings(tracking_uri=prepared.tracking_uri)
    predictor = load_predictor(prepared.model_uri, settings)
    predictor.warm()
    listings = [service_body(x) for x in request_stream(prepared.data, max(BATCH_SIZES))]
    rows = [predictor.prepare(listing) for listing in listings]
    # Private on purpose: the two ways of calling the one trace are what is compared here.
    ways = {"tf.function": predictor._pass, "concrete": predictor._compiled}

    def tensors_of(size: int) -> Any:
        return batch_inputs(predictor.schema, rows[:size], predictor.photo_sizes, size)

    sys.stdout.write(table(ways, tensors_of, args.rounds))


if __name__ == "__main__":
    main()
