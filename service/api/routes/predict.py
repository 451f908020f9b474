"""`POST /v1/predict` and `POST /v1/predict/batch`: plain Starlette routes
(service.api.routes.operations)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request, Response

from service.api.bodies import check_listing, read_batch, read_listing
from service.api.deps import serving
from service.api.errors import ApiError, api_error, from_input
from service.api.routes.operations import BATCH_BODY, LISTING_BODY, Operation, json_answer
from service.api.schemas import BatchPrediction, ListingFailure, ModelRef, Prediction, PriceRange
from service.api.settings import Settings
from service.inference.batcher import MicroBatcher, QueueFullError
from service.inference.listing import InputError
from service.inference.predictor import PriceEstimate
from service.inference.registry import ModelInfo


async def create_prediction(request: Request) -> Response:
    """Price one listing: JSON with the photo as base64 text, or a multipart form with a photo
    file. Answers the price, its 80% range and the model that priced it."""
    with serving(request.state.slot) as batcher:
        listing = await read_listing(request, batcher.predictor.schema)
        estimate = await batcher.predict(listing)  # InputError → 422/413/415 by its handler
        return json_answer(_prediction(estimate, batcher.predictor.info))


async def create_batch_prediction(request: Request) -> Response:
    """Price up to the configured maximum of listings in one call, answered in request order.
    A listing that cannot be priced gets an error entry; the others are still priced."""
    settings: Settings = request.state.settings
    with serving(request.state.slot) as batcher:
        listings = await read_batch(request, settings.max_batch_listings)
        entries = await asyncio.gather(
            *(_entry(batcher, listing, index) for index, listing in enumerate(listings))
        )
        return json_answer(BatchPrediction(predictions=list(entries)))


OPERATIONS = (
    Operation(
        "/v1/predict", create_prediction, Prediction, "Price a listing", "predict", LISTING_BODY
    ),
    Operation(
        "/v1/predict/batch",
        create_batch_prediction,
        BatchPrediction,
        "Price many listings",
        "predict",
        BATCH_BODY,
    ),
)


async def _entry(batcher: MicroBatcher, data: Any, index: int) -> Prediction | ListingFailure:
    """One batch entry: its prediction, or the error this listing alone would have got."""
    loc = ("body", "listings", index)
    try:
        listing = check_listing(batcher.predictor.schema, data, loc)
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
