"""`POST /v1/predict` and `POST /v1/predict/batch`.

The hottest routes: they take the Request and answer the Response themselves (PlainRoute), so
FastAPI does not solve dependencies or re-validate the answer on every request, and their
requests reach them without the router (PlainDispatch, installed by service.app).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from service.batcher import MicroBatcher, QueueFullError
from service.bodies import FORM, JSON, read_batch, read_listing, validate_listing
from service.deps import serving
from service.errors import ERROR_RESPONSES, ApiError, api_error, from_input
from service.listing import InputError
from service.predictor import ModelInfo, PriceEstimate
from service.routes.plain import PlainRoute
from service.schemas import BatchPrediction, ListingFailure, ModelRef, Prediction, PriceRange
from service.settings import Settings

router = APIRouter(prefix="/v1", tags=["predict"], route_class=PlainRoute)

# The real request schemas depend on the served model; service.openapi fills them in.
_ANY_BODY = {"schema": {"type": "object"}}
LISTING_BODY = {"requestBody": {"required": True, "content": {JSON: _ANY_BODY, FORM: _ANY_BODY}}}
BATCH_BODY = {"requestBody": {"required": True, "content": {JSON: _ANY_BODY}}}


@router.post(
    "/predict",
    response_model=Prediction,
    responses=ERROR_RESPONSES,
    openapi_extra=LISTING_BODY,
    summary="Price a listing",
)
async def create_prediction(request: Request) -> Response:
    """Price one listing: JSON with the photo as base64 text, or a multipart form with a photo
    file. Answers the price, its 80% range and the model that priced it."""
    with serving(request.state.slot) as batcher:
        listing = await read_listing(request, batcher.predictor.schema)
        estimate = await batcher.predict(listing)  # InputError → 422/413/415 by its handler
        return _json(_prediction(estimate, batcher.predictor.info))


@router.post(
    "/predict/batch",
    response_model=BatchPrediction,
    responses=ERROR_RESPONSES,
    openapi_extra=BATCH_BODY,
    summary="Price many listings",
)
async def create_batch_prediction(request: Request) -> Response:
    """Price up to the configured maximum of listings in one call, answered in request order.
    A listing that cannot be priced gets an error entry; the others are still priced."""
    settings: Settings = request.state.settings
    with serving(request.state.slot) as batcher:
        listings = await read_batch(request, settings.max_batch_listings)
        entries = await asyncio.gather(
            *(_entry(batcher, listing, index) for index, listing in enumerate(listings))
        )
        return _json(BatchPrediction(predictions=list(entries)))


async def _entry(batcher: MicroBatcher, data: Any, index: int) -> Prediction | ListingFailure:
    """One batch entry: its prediction, or the error this listing alone would have got."""
    loc = ("body", "listings", index)
    try:
        listing = validate_listing(batcher.predictor.schema, data, loc)
        estimate = await batcher.predict(listing)
    except ApiError as exc:
        return ListingFailure(error=exc.as_listing_error())
    except InputError as exc:
        return ListingFailure(error=from_input(exc, loc).as_listing_error())
    except QueueFullError as exc:
        return ListingFailure(error=api_error(503, str(exc), "unavailable", loc).as_listing_error())
    return _prediction(estimate, batcher.predictor.info)


def _prediction(estimate: PriceEstimate, info: ModelInfo) -> Prediction:
    return Prediction(
        price=estimate.price,
        price_range=PriceRange(low=estimate.low, high=estimate.high),
        model=ModelRef(name=info.name, version=info.version),
    )


def _json(answer: BaseModel) -> Response:
    return Response(answer.model_dump_json(), media_type="application/json")
