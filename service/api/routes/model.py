"""`GET /v1/model`: what is being served."""

from __future__ import annotations

from fastapi import APIRouter

from models.schema import FeatureType
from service.api.deps import BatcherDep
from service.api.errors import ERROR_RESPONSES
from service.api.schemas import ModelDetails

router = APIRouter(prefix="/v1", tags=["model"])


@router.get("/model", responses=ERROR_RESPONSES)
async def read_model(batcher: BatcherDep) -> ModelDetails:
    """The served model: name, version, run, device, feature schema and test metrics."""
    predictor = batcher.predictor
    info, schema = predictor.info, predictor.schema
    photos = {f.name for f in schema.of_type(FeatureType.IMAGE)}
    example = {k: v for k, v in (info.example or {}).items() if k not in photos} or None
    return ModelDetails(
        name=info.name,
        version=info.version,
        uri=info.uri,
        run_id=info.run_id,
        device=predictor.device,
        batch_sizes=list(predictor.batch_sizes),
        features=list(schema.features),
        target=schema.target,
        test_metrics=info.test_metrics,
        example=example,
    )
