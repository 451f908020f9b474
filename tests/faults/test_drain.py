"""A stop signal under load, as an orchestrator sends it: readiness fails first, every request
sent is answered, keep-alive connections close between requests, and the process exits in time."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.faults.traffic import Balancer, Clients, metrics_text, post_once, ready
from tests.serving import free_port
from tests.waiting import eventually

GRACE_S = 1.5
TIMEOUT_S = 5.0
ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def fake_server(folder: Path, **settings: str) -> Iterator[subprocess.Popen[bytes]]:
    """The fake-model service in its own process (signals reach only a main thread), ready."""
    port = free_port()
    env = os.environ | {
        "APPRAISER_PORT": str(port),
        "APPRAISER_MODEL_URI": "models:/fake/1",
        "APPRAISER_RELOAD_INTERVAL_S": "0",
        "APPRAISER_ACCESS_LOG": "false",
        **settings,
    }
    log = (folder / "server.log").open("wb")
    command = [sys.executable, "-m", "tests.faults.fake_server"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    process.port = port  # type: ignore[attr-defined]
    try:
        eventually(lambda: ready(port) or process.poll() is not None, 60, 0.05)
        assert process.poll() is None, (folder / "server.log").read_text()
        yield process
    finally:
        process.kill()
        process.wait()
        log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The fake-model service with a grace period and a drain timeout."""
    timing = {"APPRAISER_DRAIN_GRACE_S": str(GRACE_S), "APPRAISER_DRAIN_TIMEOUT_S": str(TIMEOUT_S)}
    with fake_server(tmp_path, **timing) as process:
        yield process


def test_sigterm_under_load_answers_every_request_then_exits(
    server: subprocess.Popen[bytes],
) -> None:
    port: int = server.port  # type: ignore[attr-defined]
    routing = threading.Event()
    with Balancer(port, routing), Clients(port, 32, routing) as clients:
        eventually(lambda: len(clients.answers) >= 300, 60)
        before = len(clients.answers)
        server.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        eventually(lambda: not routing.is_set(), GRACE_S)  # readiness failed within the grace
        clients.join()
        assert server.poll() is None, "the server stopped before the grace period ended"
    server.wait(GRACE_S + TIMEOUT_S + 5)
    took = time.monotonic() - signalled
    assert clients.errors == [], clients.errors[:5]
    assert {a.status for a in clients.answers} == {200}
    draining = clients.answers[before:]
    assert any(a.connection == "close" for a in draining), "no answer closed its connection"
    assert took < GRACE_S + TIMEOUT_S, f"took {took:.1f} s to exit"
    assert server.returncode in (0, -signal.SIGTERM), server.returncode


def queued(port: int) -> float:
    """Listings waiting for a forward pass, from /metrics."""
    found = re.search(r"^appraiser_queue_depth (\S+)$", metrics_text(port), re.M)
    return float(found[1]) if found else 0.0


def test_listings_still_queued_at_the_drain_timeout_get_503_not_a_cut_connection(
    tmp_path: Path,
) -> None:
    settings = {
        "APPRAISER_DRAIN_GRACE_S": "0",
        "APPRAISER_DRAIN_TIMEOUT_S": "0.5",
        "FAKE_FORWARD_DELAY_S": "0.5",  # one listing per pass: 16 need 8 s, far past the timeout
        "FAKE_MAX_BATCH": "1",
    }
    with fake_server(tmp_path, **settings) as server, ThreadPoolExecutor(16) as pool:
        port: int = server.port  # type: ignore[attr-defined]
        answers = [pool.submit(post_once, port) for _ in range(16)]
        eventually(lambda: queued(port) >= 12, 30)
        server.send_signal(signal.SIGTERM)
        statuses = [answer.result(timeout=30) for answer in answers]
        server.wait(10)
    assert set(statuses) <= {200, 503}, statuses  # uvicorn's cut-off would answer 500
    assert statuses.count(503) >= 10, statuses
