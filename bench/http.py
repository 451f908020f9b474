"""One HTTP server under wrk at each concurrency, with a check that it answers correctly first."""

from __future__ import annotations

import json
import resource
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.cpu import session_cpu_seconds
from bench.threads import per_request_ms, python_thread_names, thread_cpu
from bench.wrk import HttpResult, run_wrk

WARMUP_S = 3.0


@dataclass
class Target:
    """A server to measure: where it answers and which bodies it takes."""

    name: str
    url: str
    bodies: Path
    results: list[HttpResult] = field(default_factory=list)
    cpu: dict[int, tuple[float, float]] = field(default_factory=dict)  # clients: server, wrk
    profile: bool = False  # also split the server's CPU by thread
    threads: dict[int, dict[str, float]] = field(default_factory=dict)  # clients: ms/request


def check_answer(url: str, body: bytes) -> None:
    """POST one body and insist on a 200 with a positive price, before measuring anything."""
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        data: Any = json.loads(answer.read())
    rows = data.get("predictions", [data]) if isinstance(data, dict) else data
    row = rows[0] if isinstance(rows, list) and rows else rows
    if not (isinstance(row, dict) and float(row.get("price", 0)) > 0):
        raise RuntimeError(f"{url} answered without a price: {str(data)[:300]}")


def _wrk_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    target: Target,
    server: int,
    count: int,
    clients: Sequence[int],
    seconds: float,
    client_cpus: str | None,
) -> Target:
    """Warm the server, then one wrk run per concurrency; CPU cores used by server and wrk."""
    check_answer(target.url, (target.bodies / "0.json").read_bytes())
    run_wrk(target.url, target.bodies, count, max(clients), WARMUP_S, client_cpus)
    names = python_thread_names(server) if target.profile else {}
    for n in clients:
        server_before, wrk_before = session_cpu_seconds(server), _wrk_cpu_seconds()
        threads_before = thread_cpu(server, names)
        start = time.perf_counter()
        result = run_wrk(target.url, target.bodies, count, n, seconds, client_cpus)
        wall = time.perf_counter() - start
        target.results.append(result)
        if target.profile:
            after = thread_cpu(server, names)
            target.threads[n] = per_request_ms(threads_before, after, result.requests)
        target.cpu[n] = (
            (session_cpu_seconds(server) - server_before) / wall,
            (_wrk_cpu_seconds() - wrk_before) / wall,
        )
    return target
