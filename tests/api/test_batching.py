"""Concurrent single-listing requests share forward passes, and each gets its own answer."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from models.inputs import PreparedListing
from service.inference.batcher import MicroBatcher
from service.inference.metrics import ServiceMetrics
from tests.api.conftest import StartApp
from tests.api.fakes import FakePredictor, expected_price
from tests.waiting import eventually

pytestmark = pytest.mark.api


def test_concurrent_requests_are_batched_and_answered_correctly(start_app: StartApp) -> None:
    fake = FakePredictor(forward_delay_s=0.02)
    client = start_app(fake, max_wait_ms=20)
    n = 24
    start = threading.Barrier(n)

    def post(i: int) -> float:
        start.wait()
        response = client.post("/v1/predict", json={"year": 1970 + i, "description": "x" * i})
        assert response.status_code == 200, response.text
        return float(response.json()["price"])

    with ThreadPoolExecutor(n) as pool:
        prices = list(pool.map(post, range(n)))
    assert prices == [pytest.approx(expected_price(1970 + i, "x" * i)) for i in range(n)]
    assert sum(fake.forward_sizes) == n
    assert len(fake.forward_sizes) < n / 2, fake.forward_sizes
    assert max(fake.forward_sizes) <= fake.batch_sizes[-1]


def test_a_lone_request_does_not_wait_for_company(start_app: StartApp) -> None:
    fake = FakePredictor()
    client = start_app(fake, max_wait_ms=1000)
    began = time.perf_counter()
    assert client.post("/v1/predict", json={"year": 2000}).status_code == 200
    assert time.perf_counter() - began < 0.5
    assert fake.forward_sizes == [1]


def test_a_full_queue_answers_503(start_app: StartApp) -> None:
    fake = FakePredictor(forward_delay_s=0.5, batch_sizes=(1,))
    client = start_app(fake, max_queue=1, max_batch_size=1)
    with ThreadPoolExecutor(6) as pool:
        codes = list(
            pool.map(
                lambda i: client.post("/v1/predict", json={"year": 2000}).status_code, range(6)
            )
        )
    assert 503 in codes and 200 in codes
    assert set(codes) <= {200, 503}


def test_forward_passes_go_on_while_the_event_loop_is_busy() -> None:
    """The model thread gathers and scores batches itself: a loop busy with HTTP work must not
    leave the model idle (before, every pass waited for the loop to schedule it)."""
    fake = FakePredictor()

    async def scenario() -> list[float]:
        with ThreadPoolExecutor(2) as pool:
            batcher = MicroBatcher(fake, pool, ServiceMetrics(), max_wait_s=0.0, max_queue=64)
            batcher.start()
            tasks = [
                asyncio.create_task(batcher.predict({"year": 1990 + i, "description": "x"}))
                for i in range(6)
            ]
            await asyncio.sleep(0)  # every task hands its listing to the prepare pool
            # Polled on the loop's own thread, so nothing on the loop can run meanwhile.
            eventually(lambda: sum(fake.forward_sizes) == 6)
            estimates = await asyncio.gather(*tasks)
            await batcher.close()
        return [e.price for e in estimates]

    prices = asyncio.run(scenario())
    assert prices == [pytest.approx(expected_price(1990 + i, "x")) for i in range(6)]


class _SlowToPrepare(FakePredictor):
    """Listings from 2000 on take `delay_s` to prepare, as a large photo would. No listing starts
    before all four have arrived: otherwise the model thread could find nothing being prepared
    between two arrivals and rightly not wait."""

    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.arrived = threading.Barrier(4)

    def prepare(self, listing: Mapping[str, Any], root: Path | None = None) -> PreparedListing:
        self.arrived.wait(timeout=10)
        if int(listing["year"]) >= 2000:
            time.sleep(self.delay_s)
        return super().prepare(listing, root)


def _passes(fake: FakePredictor, *, target: int, max_wait_s: float) -> list[int]:
    """The pass sizes when two quick and two slow listings arrive together."""

    async def scenario() -> None:
        with ThreadPoolExecutor(4) as pool:
            batcher = MicroBatcher(
                fake, pool, ServiceMetrics(), max_wait_s=max_wait_s, max_queue=64, target=target
            )
            batcher.start()
            years = (1990, 1991, 2000, 2001)
            await asyncio.gather(*(batcher.predict({"year": y}) for y in years))
            await batcher.close()

    asyncio.run(scenario())
    return fake.forward_sizes


def test_a_pass_waits_for_listings_being_prepared_up_to_the_target() -> None:
    assert _passes(_SlowToPrepare(0.1), target=4, max_wait_s=5.0) == [4]


def test_a_pass_waits_no_longer_than_max_wait() -> None:
    assert _passes(_SlowToPrepare(0.3), target=4, max_wait_s=0.02) == [2, 2]


def test_a_pass_reaching_the_target_does_not_wait_for_more() -> None:
    assert _passes(_SlowToPrepare(0.3), target=2, max_wait_s=5.0) == [2, 2]


@pytest.mark.parametrize(
    ("queued", "passes"),
    [(3, [1, 3]), (6, [1, 4, 2]), (8, [1, 8]), (9, [1, 8, 1])],
)
def test_beyond_the_target_a_pass_takes_the_batch_shape_its_listings_fill(
    queued: int, passes: list[int]
) -> None:
    """Listings queued while a pass runs: up to the target (4) they all go in the next pass;
    beyond it, the largest shape they fill (4 or 8) goes, and the rest wait for the next."""
    fake = FakePredictor(forward_delay_s=0.3, batch_sizes=(1, 2, 4, 8))

    async def scenario() -> None:
        with ThreadPoolExecutor(4) as pool:
            batcher = MicroBatcher(
                fake, pool, ServiceMetrics(), max_wait_s=0.0, max_queue=64, target=4
            )
            batcher.start()
            first = asyncio.create_task(batcher.predict({"year": 1990}))
            while not fake.forward_sizes:  # the first pass is running
                await asyncio.sleep(0.005)
            rest = [batcher.predict({"year": 1991 + i}) for i in range(queued)]
            await asyncio.gather(first, *rest)
            await batcher.close()

    asyncio.run(scenario())
    assert fake.forward_sizes == passes
