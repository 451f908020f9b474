"""The few figures a load test run is judged by, saved by the locustfile when the run stops.

locust's `_stats.csv` is written on a timer and can miss the last second of a run, so the totals
come from locust's statistics object itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Summary:
    """The totals of one locust run."""

    requests: int
    failures: int
    rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    def text(self) -> str:
        return (
            f"{self.requests} requests, {self.rate:.1f} req/s, p50 {self.p50_ms:.0f} ms, "
            f"p95 {self.p95_ms:.0f} ms, p99 {self.p99_ms:.0f} ms, "
            f"{self.failures} unexpected answers"
        )


def write_summary(path: Path, total: Any) -> Summary:
    """Save the totals of locust's aggregated `StatsEntry` as JSON."""
    summary = Summary(
        requests=int(total.num_requests),
        failures=int(total.num_failures),
        rate=float(total.total_rps),
        p50_ms=float(total.get_response_time_percentile(0.50) or 0),
        p95_ms=float(total.get_response_time_percentile(0.95) or 0),
        p99_ms=float(total.get_response_time_percentile(0.99) or 0),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(summary)) + "\n", encoding="utf-8")
    return summary


def read_summary(path: Path) -> Summary:
    """The totals saved by `write_summary`."""
    return Summary(**json.loads(path.read_text(encoding="utf-8")))
