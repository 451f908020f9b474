"""`GET /healthz` (the process answers) and `GET /readyz` (a model is loaded and warm)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from service.api.deps import SlotDep
from service.api.drain import Drain
from service.api.schemas import Health, ModelRef, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def read_health() -> Health:
    """Alive: the process answers HTTP (it may still be loading its model)."""
    return Health(status="ok")


@router.get(
    "/readyz", responses={503: {"model": Readiness, "description": "Not ready, or stopping."}}
)
async def read_readiness(slot: SlotDep, request: Request, response: Response) -> Readiness:
    """Ready: a model is loaded and warmed; 503 until then, and again from a stop signal on
    (requests are still served while load balancers notice), with the reason."""
    drain: Drain = request.state.drain
    if drain.active:
        response.status_code = 503
        return Readiness(status="draining", detail="the service is stopping")
    current = slot.current
    if current is None:
        response.status_code = 503
        return Readiness(status=slot.status, detail=slot.last_error or "the model is loading")
    info = current.predictor.info
    return Readiness(status="ready", model=ModelRef(name=info.name, version=info.version))
