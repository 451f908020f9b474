"""`GET /healthz` (the process answers) and `GET /readyz` (a model is loaded and warm)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from service.api.deps import SlotDep
from service.api.schemas import Health, ModelRef, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def read_health() -> Health:
    """Alive: the process answers HTTP (it may still be loading its model)."""
    return Health(status="ok")


@router.get("/readyz", responses={503: {"model": Readiness, "description": "Not ready yet."}})
async def read_readiness(slot: SlotDep, response: Response) -> Readiness:
    """Ready: a model is loaded and warmed; 503 until then, with the reason."""
    current = slot.current
    if current is None:
        response.status_code = 503
        return Readiness(status=slot.status, detail=slot.last_error or "the model is loading")
    info = current.predictor.info
    return Readiness(status="ready", model=ModelRef(name=info.name, version=info.version))
