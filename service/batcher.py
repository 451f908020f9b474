"""Micro-batching: concurrent requests share one forward pass.

Listings are validated and their photos decoded in a thread pool, then queued. One worker takes
what is queued, up to the largest batch shape, runs one forward pass in its own thread and answers
each waiting request. When it finds a single listing queued, it waits up to `max_wait` for more
only while other listings are still being prepared, so a lone request on an idle service never
waits, and a backlog (which builds up during a pass under load) is scored at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from service.listing import PreparedListing
from service.metrics import ServiceMetrics
from service.predictor import PriceEstimate, PricePredictor

log = logging.getLogger(__name__)


class QueueFullError(RuntimeError):
    """Too many listings are waiting for a forward pass; the client should retry later."""


class BatcherClosedError(RuntimeError):
    """The batcher was closed (the service is stopping)."""


@dataclass
class _Job:
    listing: PreparedListing
    answer: asyncio.Future[PriceEstimate]


class MicroBatcher:
    """Queues prepared listings and scores them in shared forward passes, one pass at a time."""

    def __init__(
        self,
        predictor: PricePredictor,
        prepare_pool: ThreadPoolExecutor,
        metrics: ServiceMetrics,
        *,
        max_wait_s: float,
        max_queue: int,
    ) -> None:
        self.predictor = predictor
        self._prepare_pool = prepare_pool
        self._metrics = metrics
        self._max_batch = predictor.batch_sizes[-1]
        self._max_wait_s = max_wait_s
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=max_queue)
        self._preparing = 0
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._model_thread = ThreadPoolExecutor(1, thread_name_prefix="forward")
        self._worker: asyncio.Task[None] | None = None
        self.forward_passes = 0

    def start(self) -> None:
        """Start the inference worker on the running event loop."""
        self._worker = asyncio.get_running_loop().create_task(self._run(), name="batcher")

    @contextlib.contextmanager
    def in_use(self) -> Iterator[MicroBatcher]:
        """Hold the batcher open: `close` waits until every holder has let go."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield self
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def predict(self, listing: Mapping[str, Any]) -> PriceEstimate:
        """Validate, decode and score one listing; raises the predictor's InputError if invalid."""
        with self.in_use():
            prepared = await self._prepare(listing)
            return await self._submit(prepared)

    async def close(self, drain_timeout_s: float = 30.0) -> None:
        """Let requests already inside finish, then stop the worker and the model thread."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), drain_timeout_s)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.answer.done():
                job.answer.set_exception(BatcherClosedError("the service is stopping"))
        self._model_thread.shutdown(wait=False)  # a pass still running must not block the loop

    async def _prepare(self, listing: Mapping[str, Any]) -> PreparedListing:
        self._preparing += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._prepare_pool, self.predictor.prepare, listing)
        finally:
            self._preparing -= 1

    async def _submit(self, prepared: PreparedListing) -> PriceEstimate:
        if self._worker is None or self._worker.done():
            raise BatcherClosedError("the inference worker is not running")
        answer: asyncio.Future[PriceEstimate] = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(_Job(prepared, answer))
        except asyncio.QueueFull:
            raise QueueFullError(f"{self._queue.maxsize} listings are already waiting") from None
        self._metrics.queue_depth.set(self._queue.qsize())
        return await answer

    async def _run(self) -> None:
        jobs: list[_Job] = []
        try:
            while True:
                jobs = []
                await self._collect(jobs)
                self._metrics.queue_depth.set(self._queue.qsize())
                await self._score(jobs)
        finally:  # cancelled (closing after the drain timed out): no request may hang
            for job in jobs:
                if not job.answer.done():
                    job.answer.set_exception(BatcherClosedError("the service is stopping"))

    async def _collect(self, jobs: list[_Job]) -> None:
        """Block for one job, then take what is queued. Wait briefly for listings still being
        prepared only when none was queued: a backlog means the last pass already gathered this
        batch, and waiting then would idle the model while requests pile up (a profile at 32
        clients put those waits at up to a fifth of the forward thread's time)."""
        jobs.append(await self._queue.get())
        while len(jobs) < self._max_batch and not self._queue.empty():
            jobs.append(self._queue.get_nowait())
        if len(jobs) > 1:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_wait_s
        while len(jobs) < self._max_batch:
            if not self._queue.empty():
                jobs.append(self._queue.get_nowait())
                continue
            remaining = deadline - loop.time()
            if self._preparing == 0 or remaining <= 0:
                break
            try:
                jobs.append(await asyncio.wait_for(self._queue.get(), remaining))
            except TimeoutError:
                break

    async def _score(self, jobs: list[_Job]) -> None:
        """One forward pass for `jobs`; each request gets its own answer (or the failure)."""
        live = [j for j in jobs if not j.answer.done()]  # a client may have gone away
        if not live:
            return
        loop = asyncio.get_running_loop()
        rows = [j.listing for j in live]
        self.forward_passes += 1
        self._metrics.batch_size.observe(len(rows))
        try:
            with self._metrics.forward_seconds.time():
                estimates = await loop.run_in_executor(
                    self._model_thread, self.predictor.forward, rows
                )
        except Exception as exc:  # a model failure must fail these requests, not the worker
            log.exception("forward pass over %d listings failed", len(rows))
            for job in live:
                if not job.answer.done():
                    job.answer.set_exception(exc)
            return
        for job, estimate in zip(live, estimates, strict=True):
            if not job.answer.done():
                job.answer.set_result(estimate)
