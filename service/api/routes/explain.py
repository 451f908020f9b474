"""`POST /v1/explain`: a listing's price and why, a plain route as the predict routes are
(service.api.routes.operations). The body is read and checked as /v1/predict's, with the same
errors; only the `comparables` query parameter is its own."""

from __future__ import annotations

import base64
import re

from fastapi import Request, Response

from models.comparables import Comparable
from models.explainer import DEFAULT_COMPARABLES, MAX_COMPARABLES, Explanation
from service.api.bodies import read_listing
from service.api.deps import serving
from service.api.errors import NOT_EXPLAINABLE, ApiError, api_error
from service.api.routes.operations import LISTING_BODY, Operation, json_answer
from service.api.schemas import (
    ComparableListing,
    FeatureContribution,
    ModelRef,
    PriceExplanation,
    PriceRange,
)
from service.inference.registry import ModelInfo

COMPARABLES = "comparables"
COMPARABLES_PARAMETER = {
    "name": COMPARABLES,
    "in": "query",
    "required": False,
    "description": "How many comparable sold listings to answer, nearest first (0: none).",
    "schema": {
        "type": "integer",
        "minimum": 0,
        "maximum": MAX_COMPARABLES,
        "default": DEFAULT_COMPARABLES,
    },
}
JPEG_DATA_URI = "data:image/jpeg;base64,"


async def create_explanation(request: Request) -> Response:
    """Price one listing (JSON or a multipart form, as for /v1/predict) and say why: each
    feature's contribution from the baseline price (a listing with nothing known) to its price,
    and the sold listings the model sees as closest. 409 when the served model cannot explain."""
    k = comparables_wanted(request)
    with serving(request.state.slot) as batcher:
        batcher.require_explainer()  # 409 before the body is read: no listing can change it
        listing = await read_listing(request, batcher.predictor.schema)
        explanation = await batcher.explain(listing, k)
        # exclude_none=False: a comparable without a photo has thumbnail null, as documented
        return json_answer(_answer(explanation, batcher.predictor.info), exclude_none=False)


OPERATIONS = (
    Operation(
        "/v1/explain",
        create_explanation,
        PriceExplanation,
        "Explain a listing's price",
        "explain",
        {**LISTING_BODY, "parameters": [COMPARABLES_PARAMETER]},
        NOT_EXPLAINABLE,
    ),
)


def comparables_wanted(request: Request) -> int:
    """The `comparables` query parameter (default 5); 422 naming it and its limits unless it is
    one whole number from 0 to MAX_COMPARABLES."""
    sent = request.query_params.getlist(COMPARABLES)
    if not sent:
        return DEFAULT_COMPARABLES
    if len(sent) > 1:
        raise _invalid(f"{COMPARABLES} is given more than once", "duplicate")
    text = sent[0]
    shown = text if len(text) <= 20 else text[:20] + "…"
    if not re.fullmatch(r"-?[0-9]+", text):
        raise _invalid(f"must be a whole number from 0 to {MAX_COMPARABLES}, got {shown!r}")
    digits = text.lstrip("-").lstrip("0")
    if text.startswith("-") and digits:
        raise _invalid(f"{shown} is below the minimum 0")
    if len(digits) > 3 or int(digits or "0") > MAX_COMPARABLES:
        raise _invalid(f"{shown} is above the maximum {MAX_COMPARABLES}")
    return int(digits or "0")


def _invalid(msg: str, kind: str = "value_error") -> ApiError:
    limits = {"min": 0, "max": MAX_COMPARABLES}
    return api_error(422, msg, kind, ("query", COMPARABLES), limits)


def _answer(explanation: Explanation, info: ModelInfo) -> PriceExplanation:
    return PriceExplanation(
        price=explanation.price,
        price_range=PriceRange(low=explanation.low, high=explanation.high),
        model=ModelRef(name=info.name, version=info.version),
        baseline_price=explanation.baseline_price,
        contributions=[
            FeatureContribution(feature=c.feature, log_price=c.log_price, ratio=c.ratio)
            for c in explanation.contributions
        ],
        comparables=[_comparable(c) for c in explanation.comparables],
    )


def _comparable(found: Comparable) -> ComparableListing:
    return ComparableListing(
        id=found.id,
        price=found.price,
        distance=found.distance,
        values=found.values,
        thumbnail=data_uri(found.thumbnail) if found.thumbnail is not None else None,
    )


def data_uri(jpeg: bytes) -> str:
    """A JPEG inline, so a page shows it without another request (an <img> cannot send the API
    key) and the answer stays one self-contained document."""
    return JPEG_DATA_URI + base64.b64encode(jpeg).decode("ascii")
