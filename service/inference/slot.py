"""The model being served: loaded and warmed off the event loop, swapped in atomically.

Each loaded version gets its own micro-batcher. A swap points new requests at the new batcher;
requests already holding the old one finish on it, then it is closed.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from service.inference.batcher import MicroBatcher
from service.inference.metrics import ServiceMetrics
from service.inference.predictor import PricePredictor
from service.inference.settings import RuntimeSettings, ServingSettings

log = logging.getLogger(__name__)
PredictorFactory = Callable[[str, RuntimeSettings], PricePredictor]
Status = Literal["loading", "ready", "failed"]


def _settle_heap(collect: bool) -> None:
    """Hide the long-lived objects (libraries, model graphs) from the garbage collector.

    Otherwise every full collection walks them all and stalls the event loop under load. With
    `collect`, a model swapped out since the last freeze is freed first (one short pause per
    reload). Figures: docs/benchmarks.md, "Figures behind the code".
    """
    if collect:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


class NotReadyError(RuntimeError):
    """No model is loaded and warm yet (or the last load failed and none is serving)."""


class ModelSlot:
    """Holds the batcher of the model that answers requests, and replaces it safely."""

    def __init__(
        self, settings: ServingSettings, factory: PredictorFactory, metrics: ServiceMetrics
    ) -> None:
        self._settings = settings
        self._factory = factory
        self._metrics = metrics
        self._pool = ThreadPoolExecutor(settings.decode_threads, thread_name_prefix="prepare")
        self._current: MicroBatcher | None = None
        self._retiring: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        self.status: Status = "loading"
        self.last_error: str | None = None

    @property
    def current(self) -> MicroBatcher | None:
        """The batcher of the model serving now, or None."""
        return self._current

    @property
    def version(self) -> str | None:
        """The version being served, if any."""
        return self._current.predictor.info.version if self._current else None

    def require(self) -> MicroBatcher:
        """The batcher to use for one request; raises NotReadyError while none is ready."""
        if self._current is None:
            raise NotReadyError(self.last_error or "the model is still loading")
        return self._current

    async def load(self, uri: str) -> bool:
        """Load and warm `uri` in a thread, then swap it in; on failure keep the old model."""
        async with self._lock:  # one load at a time: two warm-ups would halve each other's CPU
            try:
                predictor = await asyncio.to_thread(self._build, uri)
            # Loading runs arbitrary model code (MLflow, Keras, TF); any failure here must leave
            # the current model serving, so it is logged and counted rather than raised.
            except Exception as exc:
                log.exception("loading %s failed; %s", uri, self._keeping())
                self.failed(f"loading {uri} failed: {exc}")
                return False
            self._swap(predictor)
            return True

    def failed(self, reason: str) -> None:
        """Count a failed load or registry look-up; the model serving (if any) stays."""
        self._metrics.reloads.labels("failure").inc()
        self.last_error = reason
        if self._current is None:
            self.status = "failed"

    async def close(self, drain_timeout_s: float = 30.0) -> None:
        """Stop serving: drain every batcher (each for at most `drain_timeout_s`), then the
        preparation threads; listings still waiting there are answered as stopping."""
        current, self._current = self._current, None
        self._metrics.ready.set(0)
        if current is not None:
            await current.close(drain_timeout_s)
        if self._retiring:
            await asyncio.gather(*self._retiring)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _build(self, uri: str) -> PricePredictor:
        predictor = self._factory(uri, self._settings)
        predictor.warm()
        return predictor

    def _swap(self, predictor: PricePredictor) -> None:
        batcher = MicroBatcher(
            predictor,
            self._pool,
            self._metrics,
            max_wait_s=self._settings.max_wait_ms / 1000,
            max_queue=self._settings.max_queue,
            target=self._settings.target_batch_size,
        )
        batcher.start()
        old, self._current = self._current, batcher
        info = predictor.info
        self.status, self.last_error = "ready", None
        self._metrics.serving(info.name, info.version, predictor.device)
        self._metrics.reloads.labels("success").inc()
        log.info(
            "now serving %s v%s (%s) on %s", info.name, info.version, info.uri, predictor.device
        )
        if old is None:
            _settle_heap(collect=False)
            return
        task = asyncio.get_running_loop().create_task(self._retire(old))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _retire(self, old: MicroBatcher) -> None:
        """Let the old model finish its requests, then free it."""
        await old.close()
        del old  # the last reference: the collection below can free the model
        _settle_heap(collect=True)

    def _keeping(self) -> str:
        return f"still serving v{self.version}" if self._current else "no model is serving"
