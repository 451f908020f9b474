"""The load test's totals survive the trip from locust's statistics to `make loadtest`."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.summary import read_summary, write_summary

pytestmark = pytest.mark.unit


class FakeTotal:
    """The parts of locust's aggregated StatsEntry that the summary reads."""

    num_requests, num_failures, total_rps = 200, 3, 41.5

    def get_response_time_percentile(self, share: float) -> float:
        return {0.50: 12.0, 0.95: 80.0, 0.99: 150.0}[share]


def test_summary_round_trip_and_text(tmp_path: Path) -> None:
    written = write_summary(tmp_path / "out" / "summary.json", FakeTotal())
    assert read_summary(tmp_path / "out" / "summary.json") == written
    assert written.text() == (
        "200 requests, 41.5 req/s, p50 12 ms, p95 80 ms, p99 150 ms, 3 unexpected answers"
    )
