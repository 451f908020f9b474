"""Micro-batching: concurrent requests share one forward pass.

Listings are validated and their photos decoded in a thread pool, which queues them. One model
thread takes what is queued (beyond the target, as many as fill a batch shape), runs one forward
pass and hands the answers back to the event loop. The model thread never waits for the event
loop: under load the loop is busy with HTTP, and a pass that had to be scheduled by it would
leave the model idle.
With fewer than `target` listings queued, the model thread waits up to `max_wait` for more, but
only while other listings are still being prepared: a lone request on an idle service never
waits, and under load passes grow to the target, so each pays the fixed cost of a pass for more
listings (docs/benchmarks.md, "Figures behind the code").
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import queue
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from models.explainer import Explainer, Explanation, NotExplainableError
from models.inputs import PreparedListing
from service.inference.metrics import ServiceMetrics
from service.inference.predictor import PriceEstimate, PricePredictor, explained

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
        target: int = 1,
    ) -> None:
        self.predictor = predictor
        self._prepare_pool = prepare_pool
        self._metrics = metrics
        self._shapes = predictor.batch_sizes
        self._max_batch = self._shapes[-1]
        self._target = min(target, self._max_batch)
        self._max_wait_s = max_wait_s
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=max_queue)
        self._preparing = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: threading.Thread | None = None

    def start(self) -> None:
        """Start the model thread; answers go back to the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._worker = threading.Thread(target=self._run, name="forward", daemon=True)
        self._worker.start()

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
            if self._worker is None or self._stopping.is_set() or not self._worker.is_alive():
                raise BatcherClosedError("the inference worker is not running")
            answer: asyncio.Future[PriceEstimate] = asyncio.get_running_loop().create_future()
            with self._lock:
                self._preparing += 1
            try:
                preparing = self._prepare_pool.submit(self._prepare, listing, answer)
            except RuntimeError:  # the pool is shut down: the service is stopping
                self._prepared()
                raise BatcherClosedError("the service is stopping") from None
            preparing.add_done_callback(functools.partial(self._unless_cancelled, answer))
            return await answer

    async def close(self, drain_timeout_s: float = 30.0) -> None:
        """Let requests already inside finish, then stop the model thread.

        A pass still running after the drain is waited for off the event loop, and at most
        `drain_timeout_s`: the old model is freed only once its thread has let go of it."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), drain_timeout_s)
        with self._lock:  # no listing can be queued after this
            self._stopping.set()
        while (job := self._take(None)) is not None:
            _fail(job.answer, BatcherClosedError("the service is stopping"))
        self._queue.put_nowait(None)  # wakes the model thread if it waits for work
        if self._worker is not None:
            await asyncio.to_thread(self._worker.join, drain_timeout_s)

    def _prepare(self, listing: Mapping[str, Any], answer: asyncio.Future[PriceEstimate]) -> None:
        """Runs in the prepare pool: decode, then queue for the model thread."""
        try:
            job = _Job(self.predictor.prepare(listing), answer)
        except Exception as exc:  # InputError and the like: this request's own failure
            self._prepared()
            self._call(_fail, answer, exc)
            return
        with self._lock:
            failure = self._put(job)
            self._preparing -= 1  # after the put: the model thread never sees neither
        if failure is not None:
            self._call(_fail, answer, failure)
        self._metrics.queue_depth.set(self._queue.qsize())

    async def explain(self, listing: Mapping[str, Any], k: int) -> Explanation:
        """Validate and decode one listing, score its coalition rows (models.explain) in the
        shared forward passes, and explain its price; NotExplainableError for a model logged
        without explanation data, the predictor's InputError if the listing is invalid."""
        explainer = self.require_explainer()
        with self.in_use():
            if self._worker is None or self._stopping.is_set() or not self._worker.is_alive():
                raise BatcherClosedError("the inference worker is not running")
            loop = asyncio.get_running_loop()
            try:
                prepared = await loop.run_in_executor(
                    self._prepare_pool, self.predictor.prepare, listing
                )
            except RuntimeError:  # the pool is shut down: the service is stopping
                raise BatcherClosedError("the service is stopping") from None
            answers = self._queue_rows(explainer.rows(prepared))
            estimates = await asyncio.gather(*answers)
        return explained(explainer, estimates, k)

    def require_explainer(self) -> Explainer:
        """The served model's explainer; NotExplainableError for a model logged without
        explanation data, so a route can refuse before it reads the body."""
        explainer = self.predictor.explainer
        if explainer is None:
            raise NotExplainableError(
                f"model version {self.predictor.info.version} was logged without explanation "
                "data (trained before explanations existed); train it again to explain prices"
            )
        if explainer.rows_per_listing > self._queue.maxsize:  # no retry could ever fit it
            raise NotExplainableError(
                f"an explanation of this model needs {explainer.rows_per_listing} places in the "
                f"queue, and APPRAISER_MAX_QUEUE is {self._queue.maxsize}; raise it to explain"
            )
        return explainer

    def _queue_rows(self, rows: Sequence[PreparedListing]) -> list[asyncio.Future[PriceEstimate]]:
        """Queue prepared rows all together, or none of them (QueueFullError, or closed)."""
        loop = asyncio.get_running_loop()
        jobs = [_Job(row, loop.create_future()) for row in rows]
        with self._lock:
            if self._stopping.is_set():
                raise BatcherClosedError("the service is stopping")
            room = self._queue.maxsize - self._queue.qsize()
            if len(jobs) > room:
                raise QueueFullError(
                    f"an explanation needs {len(jobs)} places in the queue and {room} are free"
                )
            for job in jobs:
                self._queue.put_nowait(job)
        self._metrics.queue_depth.set(self._queue.qsize())
        return [job.answer for job in jobs]

    def _unless_cancelled(
        self, answer: asyncio.Future[PriceEstimate], preparing: Future[None]
    ) -> None:
        """A listing whose preparation was cancelled (the pool shut down while it waited) is
        answered as stopping, never left waiting forever."""
        if preparing.cancelled():
            self._prepared()
            self._call(_fail, answer, BatcherClosedError("the service is stopping"))

    def _put(self, job: _Job) -> Exception | None:
        """Queue `job` (under the lock); the failure to answer with when it cannot be queued."""
        if self._stopping.is_set():
            return BatcherClosedError("the service is stopping")
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            return QueueFullError(f"{self._queue.maxsize} listings are already waiting")
        return None

    def _prepared(self) -> None:
        with self._lock:
            self._preparing -= 1

    def _run(self) -> None:
        """The model thread: collect a batch, score it, until the batcher closes."""
        while not self._stopping.is_set():
            first = self._queue.get()
            if first is None:
                return
            jobs = self._collect(first)
            self._metrics.queue_depth.set(self._queue.qsize())
            if self._stopping.is_set():
                for job in jobs:
                    self._call(_fail, job.answer, BatcherClosedError("the service is stopping"))
                return
            self._score(jobs)

    def _collect(self, first: _Job) -> list[_Job]:
        """Take what is queued; while that is fewer than the target, wait up to `max_wait` for
        listings still being prepared (never for listings nobody has sent)."""
        jobs = [first]
        self._drain(jobs)
        deadline = time.monotonic() + self._max_wait_s
        while len(jobs) < self._target and not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if self._preparing == 0 or remaining <= 0:
                break
            job = self._take(remaining)
            if job is None:
                break
            jobs.append(job)
            self._drain(jobs)
        return jobs

    def _drain(self, jobs: list[_Job]) -> None:
        """Move queued jobs into `jobs`, up to `_room`, without waiting."""
        room = self._room(len(jobs))
        while len(jobs) < room and (job := self._take(None)) is not None:
            jobs.append(job)

    def _room(self, taken: int) -> int:
        """How many listings this pass takes: up to the target, all there are; beyond it, the
        largest batch shape they fill. 20 listings run as a full pass of 16 and the other 4 go
        in the next, rather than all 20 padded to a pass of 32 that costs much more."""
        available = taken + self._queue.qsize()
        if available <= self._target:
            return available
        filled = max(size for size in self._shapes if size <= available)
        return max(filled, self._target)

    def _take(self, timeout: float | None) -> _Job | None:
        """The next queued job, waiting up to `timeout` seconds (None: not at all); None when
        there is none, or when the close sentinel comes (which marks the batcher stopping)."""
        try:
            job = self._queue.get(block=timeout is not None, timeout=timeout)
        except queue.Empty:
            return None
        if job is None:
            self._stopping.set()
        return job

    def _score(self, jobs: Sequence[_Job]) -> None:
        """One forward pass for `jobs`; each request gets its own answer (or the failure)."""
        # a client may have gone away; reading `done` off the loop's thread is only a hint
        live = [j for j in jobs if not j.answer.done()]
        if not live:
            return
        self._metrics.batch_size.observe(len(live))
        try:
            with self._metrics.forward_seconds.time():
                estimates = self.predictor.forward([j.listing for j in live])
        except Exception as exc:  # a model failure must fail these requests, not the worker
            log.exception("forward pass over %d listings failed", len(live))
            for job in live:
                self._call(_fail, job.answer, exc)
            return
        self._call(_settle_all, live, estimates)

    def _call(self, callback: Any, *args: Any) -> None:
        """Run `callback` on the event loop; a loop already closed has nobody left to answer."""
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback, *args)


def _fail(answer: asyncio.Future[PriceEstimate], exc: BaseException) -> None:
    if not answer.done():
        answer.set_exception(exc)


def _settle_all(jobs: Sequence[_Job], estimates: Sequence[PriceEstimate]) -> None:
    for job, estimate in zip(jobs, estimates, strict=True):
        if not job.answer.done():
            job.answer.set_result(estimate)
