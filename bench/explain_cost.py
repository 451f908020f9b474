"""CPU per explain request against a predict request, through one running service.

`appraise serve` under wrk: POST /v1/predict and POST /v1/explain with the same bodies, in
alternating rounds on the same server, each at every concurrency. A request's cost is the CPU
seconds of the server's process group (all its threads) over the requests answered; the
`/metrics` batch-size histogram gives the rows per forward pass.
"""

from __future__ import annotations

import re
import statistics
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import http
from bench.cpu import session_cpu_seconds
from bench.threads import per_request_ms, python_thread_names, thread_cpu
from bench.wrk import run_wrk

ROUTES = ("predict", "explain")
SETTLE_S = 0.5  # no pass for this long: the service is idle
_METRIC = re.compile(r"^appraiser_batch_size_(sum|count) ([0-9.e+]+)$", re.MULTILINE)


@dataclass(frozen=True)
class Run:
    """One wrk run of one route at one concurrency."""

    route: str
    round: int
    clients: int
    rate: float  # requests/s
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # server CPU per request (all threads)
    rows_per_pass: float  # forward-pass rows over passes during the run
    errors: int
    threads: dict[str, float] = field(default_factory=dict)  # CPU ms per request by thread


def passes(base: str) -> tuple[float, float]:
    """(rows, passes) the service has run so far, from its Prometheus histogram."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    found = dict(_METRIC.findall(text))
    return float(found.get("sum", 0.0)), float(found.get("count", 0.0))


def settled(base: str, timeout_s: float = 60.0) -> tuple[float, float]:
    """`passes` once the service has stopped running them: what a wrk run left queued when it
    stopped (32 explanations are 512 rows) must not count in the next run's CPU."""
    deadline = time.monotonic() + timeout_s
    last = passes(base)
    while time.monotonic() < deadline:
        time.sleep(SETTLE_S)
        now = passes(base)
        if now == last:
            return now
        last = now
    raise RuntimeError(f"{base} still runs forward passes {timeout_s:.0f} s after wrk stopped")


def measure(
    base: str,
    server: int,
    bodies: Path,
    count: int,
    clients: Sequence[int],
    seconds: float,
    rounds: int,
) -> list[Run]:
    """`rounds` rounds of both routes (predict first in odd rounds, explain first in even ones,
    so neither always follows the other), each warmed up, then run at every concurrency."""
    runs = []
    for round_ in range(1, rounds + 1):
        for route in ROUTES if round_ % 2 else ROUTES[::-1]:
            url = f"{base}/v1/{route}"
            http.check_answer(url, (bodies / "0.json").read_bytes())
            run_wrk(url, bodies, count, max(clients), http.WARMUP_S)
            names = python_thread_names(server)  # after the warm-up: pools start their threads
            runs += [_run(route, round_, url, server, names, bodies, count, n, seconds)
                     for n in clients]  # fmt: skip
    return runs


def _run(
    route: str,
    round_: int,
    url: str,
    server: int,
    names: dict[str, str],
    bodies: Path,
    count: int,
    clients: int,
    seconds: float,
) -> Run:
    """One wrk run, with the server's CPU and forward passes before and after it."""
    base = url.rsplit("/v1/", 1)[0]
    rows, batches = settled(base)
    cpu, threads = session_cpu_seconds(server), thread_cpu(server, names)
    result = run_wrk(url, bodies, count, clients, seconds)
    spent = session_cpu_seconds(server) - cpu
    rows_after, batches_after = passes(base)
    return Run(
        route, round_, clients, result.rate, result.p50_ms, result.p99_ms,
        spent * 1000 / max(result.requests, 1),
        (rows_after - rows) / max(batches_after - batches, 1.0), result.errors,
        per_request_ms(threads, thread_cpu(server, names), result.requests),
    )  # fmt: skip


def median_cpu(runs: Sequence[Run], route: str, clients: int) -> float:
    """The median CPU ms per request of `route` at `clients` over the rounds."""
    return statistics.median(r.cpu_ms for r in runs if r.route == route and r.clients == clients)


def ratios(runs: Sequence[Run], clients: int) -> list[float]:
    """Explain over predict CPU per request, round by round (the two ran minutes apart)."""
    by_round: dict[int, dict[str, float]] = {}
    for r in runs:
        if r.clients == clients:
            by_round.setdefault(r.round, {})[r.route] = r.cpu_ms
    return [v["explain"] / v["predict"] for _, v in sorted(by_round.items()) if len(v) == 2]
