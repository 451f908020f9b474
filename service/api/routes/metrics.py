"""`GET /metrics`: Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.api.deps import MetricsDep

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
async def read_metrics(metrics: MetricsDep) -> Response:
    """Request latency by route and status, batch sizes, queue depth, model version, reloads."""
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
