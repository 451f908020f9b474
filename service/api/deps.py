"""Typed dependencies: routes declare what they need, tests swap any of it with overrides.

They are `async def` because they only read request state: FastAPI runs plain `def`
dependencies in its thread pool, a thread hop per dependency per request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Request

from service.inference.batcher import MicroBatcher
from service.inference.metrics import ServiceMetrics
from service.inference.slot import ModelSlot


async def get_slot(request: Request) -> ModelSlot:
    """The slot holding the served model (set by the lifespan)."""
    slot: ModelSlot = request.state.slot
    return slot


async def get_metrics(request: Request) -> ServiceMetrics:
    """This app's Prometheus metrics."""
    metrics: ServiceMetrics = request.state.metrics
    return metrics


async def get_batcher(slot: Annotated[ModelSlot, Depends(get_slot)]) -> AsyncIterator[MicroBatcher]:
    """The batcher of the model serving now, held for the whole request so a hot reload lets
    the request finish on it; 503 (NotReadyError) while there is none."""
    with serving(slot) as batcher:
        yield batcher


def serving(slot: ModelSlot) -> AbstractContextManager[MicroBatcher]:
    """Hold the batcher serving now; `get_batcher` for routes that skip dependency solving
    (service.api.routes.operations)."""
    return slot.require().in_use()


SlotDep = Annotated[ModelSlot, Depends(get_slot)]
MetricsDep = Annotated[ServiceMetrics, Depends(get_metrics)]
BatcherDep = Annotated[MicroBatcher, Depends(get_batcher)]
