"""Stopping never leaves a request waiting forever, wherever its listing is."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from service.inference.batcher import BatcherClosedError, MicroBatcher
from service.inference.metrics import ServiceMetrics
from tests.api.fakes import FakePredictor


class CountingPool(ThreadPoolExecutor):
    """A one-thread pool that counts what it was given, so the test knows what waits in it."""

    def __init__(self) -> None:
        super().__init__(1)
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        self.submitted += 1
        return future


def test_a_listing_still_waiting_to_be_decoded_is_answered_when_the_pool_shuts() -> None:
    async def scenario() -> None:
        pool, gate = CountingPool(), threading.Event()
        pool.submit(gate.wait)  # the only decode thread is busy: the next listing waits
        batcher = MicroBatcher(FakePredictor(), pool, ServiceMetrics(), max_wait_s=0, max_queue=8)
        batcher.start()
        request = asyncio.ensure_future(batcher.predict({"year": 2000}))
        while pool.submitted < 2:  # a yield to the event loop, not a wait for time
            await asyncio.sleep(0)
        pool.shutdown(wait=False, cancel_futures=True)  # what ModelSlot.close does
        try:
            with pytest.raises(BatcherClosedError):
                await asyncio.wait_for(request, 5)
        finally:
            gate.set()
            await batcher.close(1)

    asyncio.run(scenario())
