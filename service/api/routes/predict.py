"""`POST /v1/predict` and `POST /v1/predict/batch`.

The hottest routes are plain Starlette routes: `endpoint(request) -> Response`, no dependency
solving or answer re-validation per request (docs/benchmarks.md, "Plain predict routes").
They read and check their bodies themselves. `documented` describes the same operations as
FastAPI routes for the OpenAPI document only.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from service.api.bodies import FORM, JSON, check_listing, read_batch, read_listing
from service.api.deps import serving
from service.api.errors import ERROR_RESPONSES, ApiError, api_error, from_input
from service.api.middleware import ROUTE_TEMPLATE
from service.api.schemas import BatchPrediction, ListingFailure, ModelRef, Prediction, PriceRange
from service.api.security import ApiKeyCheck
from service.api.settings import Settings
from service.inference.batcher import MicroBatcher, QueueFullError
from service.inference.listing import InputError
from service.inference.predictor import PriceEstimate
from service.inference.registry import ModelInfo

Endpoint = Callable[[Request], Awaitable[Response]]
# The real request schemas depend on the served model; service.api.openapi fills them in.
_ANY_BODY = {"schema": {"type": "object"}}
LISTING_BODY = {"requestBody": {"required": True, "content": {JSON: _ANY_BODY, FORM: _ANY_BODY}}}
BATCH_BODY = {"requestBody": {"required": True, "content": {JSON: _ANY_BODY}}}


async def create_prediction(request: Request) -> Response:
    """Price one listing: JSON with the photo as base64 text, or a multipart form with a photo
    file. Answers the price, its 80% range and the model that priced it."""
    with serving(request.state.slot) as batcher:
        listing = await read_listing(request, batcher.predictor.schema)
        estimate = await batcher.predict(listing)  # InputError → 422/413/415 by its handler
        return _json(_prediction(estimate, batcher.predictor.info))


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


@dataclass(frozen=True)
class Operation:
    """One predict route: where, what runs, what it answers and its docs."""

    path: str
    endpoint: Endpoint
    answer: type[BaseModel]
    summary: str
    body: dict[str, Any]


OPERATIONS = (
    Operation("/v1/predict", create_prediction, Prediction, "Price a listing", LISTING_BODY),
    Operation(
        "/v1/predict/batch",
        create_batch_prediction,
        BatchPrediction,
        "Price many listings",
        BATCH_BODY,
    ),
)


def install(app: FastAPI, check: ApiKeyCheck) -> None:
    """Serve the predict routes, each behind the API key check."""
    for op in OPERATIONS:
        app.add_route(
            op.path,
            _served(op, check),
            methods=["POST"],
            name=op.endpoint.__name__,
            include_in_schema=False,  # `documented` describes them
        )


def _served(op: Operation, check: ApiKeyCheck) -> Endpoint:
    """`op`'s endpoint behind the key check, its template recorded for the latency histogram
    (FastAPI's router records only its own routes')."""

    async def serve(request: Request) -> Response:
        request.scope[ROUTE_TEMPLATE] = op.path
        await check.check(request)
        return await op.endpoint(request)

    return serve


def documented(check: ApiKeyCheck) -> list[APIRoute]:
    """The predict operations as FastAPI routes, for the OpenAPI document only (never served)."""
    return [
        APIRoute(
            op.path,
            op.endpoint,
            methods=["POST"],
            response_model=op.answer,
            responses={**ERROR_RESPONSES, **check.responses},
            summary=op.summary,
            description=inspect.getdoc(op.endpoint) or "",
            tags=["predict"],
            openapi_extra=op.body,
            dependencies=check.dependencies,
        )
        for op in OPERATIONS
    ]


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


def _json(answer: BaseModel) -> Response:
    # exclude_none: an error entry has the shape of an error answer (no null `ctx`)
    return Response(answer.model_dump_json(exclude_none=True), media_type="application/json")
