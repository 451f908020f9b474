"""OpenAPI with the served model's real request fields and examples.

The request bodies depend on the model, which loads after the app starts (and may be swapped),
so the document is built on demand and rebuilt when the served version changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from models.features import PHOTO_FORMATS
from models.schema import FeatureType, Schema
from service.api.bodies import FORM, JSON
from service.api.schemas import (
    batch_request_model,
    example_listing,
    listing_form_model,
    listing_model,
)
from service.inference.predictor import PricePredictor
from service.inference.slot import ModelSlot

REF = "#/components/schemas/{model}"


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
    """Fill in the predict routes' request bodies: fields, limits and an example."""
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
    paths["/v1/predict"]["post"]["requestBody"] = {
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
