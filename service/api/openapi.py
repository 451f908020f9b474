"""OpenAPI with the served model's real request fields and examples.

The request bodies depend on the model, which loads after the app starts (and may be swapped),
so the document is built on demand and rebuilt when the served version changes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from models.comparables import excerpt, thumbnail
from models.features import PHOTO_FORMATS
from models.schema import FeatureType, Schema
from service.api.bodies import FORM, JSON
from service.api.routes.explain import data_uri
from service.api.schemas import (
    batch_request_model,
    example_listing,
    listing_form_model,
    listing_model,
)
from service.inference.predictor import PricePredictor
from service.inference.slot import ModelSlot

REF = "#/components/schemas/{model}"
LISTING_PATHS = ("/v1/predict", "/v1/explain")  # one listing in the body, JSON or a form
EXAMPLE_RATIOS = (1.9, 0.8, 1.12)  # a plausible spread of contributions for the example answer


def install_openapi(
    app: FastAPI, slot: ModelSlot, max_listings: int, plain: Sequence[APIRoute]
) -> None:
    """Replace `app.openapi` by a builder that adds the served model's request schemas and the
    `plain` routes' descriptions (routes FastAPI does not serve, so does not document)."""
    cached: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        current = slot.current
        key = f"{current.predictor.info.name}:{current.predictor.info.version}" if current else ""
        if cached.get("key") != key:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=[*app.routes, *plain],
            )
            if current is not None:
                add_request_schemas(doc, current.predictor, max_listings)
            cached.update(key=key, doc=doc)
        document: dict[str, Any] = cached["doc"]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def add_request_schemas(doc: dict[str, Any], predictor: PricePredictor, max_listings: int) -> None:
    """Fill in the listing routes' request bodies (fields, limits and an example) and the
    example explanation."""
    schema = predictor.schema
    example = example_listing(schema, predictor.info.example)
    names = {
        model: _add_component(doc, model)
        for model in (
            listing_model(schema),
            listing_form_model(schema),
            batch_request_model(schema, max_listings),
        )
    }
    listing, form, batch = (_ref(n) for n in names.values())
    paths = doc["paths"]
    for path in LISTING_PATHS:
        paths[path]["post"]["requestBody"] = {
            "required": True,
            "content": {
                JSON: {"schema": listing, "example": example},
                FORM: {"schema": form, "encoding": _photo_parts(schema)},
            },
        }
    paths["/v1/predict/batch"]["post"]["requestBody"] = {
        "required": True,
        "content": {JSON: {"schema": batch, "example": {"listings": [example, example]}}},
    }
    answer = paths["/v1/explain"]["post"]["responses"]["200"]["content"][JSON]
    answer["example"] = example_explanation(predictor, example)


def example_explanation(predictor: PricePredictor, listing: dict[str, Any]) -> dict[str, Any]:
    """A plausible /v1/explain answer for the example `listing`, in the served model's features:
    the baseline times the ratios is the price, as in a real answer. Made up rather than computed:
    building the document never runs the model."""
    schema, info = predictor.schema, predictor.info
    price, baseline = 52.4, 38.0
    ratios = [EXAMPLE_RATIOS[i % len(EXAMPLE_RATIOS)] for i in range(len(schema.features) - 1)]
    ratios.append(price / baseline / math.prod(ratios))
    values = {
        f.name: excerpt(listing.get(f.name)) if f.type == FeatureType.TEXT else listing.get(f.name)
        for f in schema.features
        if f.type != FeatureType.IMAGE
    }
    photo = data_uri(thumbnail(np.full((8, 8, 3), (142, 112, 86), dtype=np.uint8)))
    return {
        "price": price,
        "price_range": {"low": 31.5, "high": 88.0},
        "model": {"name": info.name, "version": info.version},
        "baseline_price": baseline,
        "contributions": [
            {"feature": f.name, "log_price": round(math.log(r), 4), "ratio": round(r, 4)}
            for f, r in zip(schema.features, ratios, strict=True)
        ],
        "comparables": [
            {"id": id_, "price": sold, "distance": d, "values": values, "thumbnail": thumb}
            for id_, sold, d, thumb in (
                ("L000123", 49.0, 0.42, photo),
                ("L000871", 57.5, 0.61, None),
            )
        ],
    }


def _photo_parts(schema: Schema) -> dict[str, Any]:
    """Each photo file part's media types: the formats the service decodes."""
    types = ", ".join(f"image/{fmt.lower()}" for fmt in PHOTO_FORMATS)
    return {f.name: {"contentType": types} for f in schema.of_type(FeatureType.IMAGE)}


def _add_component(doc: dict[str, Any], model: type[BaseModel]) -> str:
    schema = model.model_json_schema(ref_template=REF)
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return model.__name__


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}
