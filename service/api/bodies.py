"""Request bodies → raw listings: JSON (photo as base64) or a form (photo as a file part).

Both predict routes parse JSON with one parser (`parse_json`) and check each listing's shape with
one function (`check_listing`: field names and JSON types, from the model's request model); the
values' limits are the shared listing rules (`models.validation`), checked with the photo
decoding, so a listing gets the same answer by either route, in the same words as batch scoring.
One check is the API's own: a text's length as sent, which the OpenAPI document's maxLength
counts (the rules count it trimmed).
"""

from __future__ import annotations

from typing import Any

import pydantic_core
from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from models.schema import FeatureType, Schema
from service.api.errors import ApiError, Loc, api_error, from_input, from_validation
from service.api.schemas import listing_model
from service.inference.listing import InputError, feature_limits

JSON = "application/json"
FORM = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"  # a plain HTML form; photos as base64 text


def media_type(request: Request) -> str:
    """The body's media type without parameters, lower case."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def unsupported(kind: str, allowed: tuple[str, ...]) -> ApiError:
    """415 naming what was sent and what is accepted."""
    sent = kind or "no content type"
    msg = f"{sent} is not supported; send {' or '.join(allowed)}"
    return api_error(
        415, msg, "unsupported", ("header", "content-type"), {"allowed": ", ".join(allowed)}
    )


def parse_json(body: bytes) -> Any:
    """The parsed JSON body; 422 when it is not JSON (bad UTF-8 and lone surrogates included)."""
    try:
        return pydantic_core.from_json(body, allow_inf_nan=False)
    except ValueError as exc:
        msg = f"body is not valid JSON: {str(exc)[:200]}"
        raise api_error(422, msg, "json_invalid", ("body",)) from None


def check_listing(schema: Schema, data: Any, loc: Loc) -> dict[str, Any]:
    """One listing's field names and JSON types, against the request model; its values keyed
    by feature name. 422 naming the field when it is not a listing."""
    if not isinstance(data, dict):
        raise api_error(422, "a listing must be a JSON object", "dict_type", loc)
    try:
        checked = listing_model(schema).model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc.errors(), loc) from None
    listing = checked.model_dump(by_alias=True)
    _check_lengths_as_sent(schema, listing, loc)
    return listing


def _check_lengths_as_sent(schema: Schema, listing: dict[str, Any], loc: Loc) -> None:
    """422 for a text over its limit as sent. The listing rules count it trimmed of surrounding
    whitespace; the document's maxLength counts what is sent, and the API keeps to its document."""
    for feature in schema.features:
        text = listing.get(feature.name)
        texts = (FeatureType.CATEGORY, FeatureType.TEXT)
        if feature.type in texts and isinstance(text, str) and len(text) > feature.max_chars:
            problem = f"is {len(text)} characters long; the limit is {feature.max_chars}"
            limits = feature_limits(feature)
            raise from_input(InputError(feature.name, problem, "invalid", limits), loc)


async def read_listing(request: Request, schema: Schema) -> dict[str, Any]:
    """One listing from a JSON or multipart body; 415 for any other content type."""
    kind = media_type(request)
    if kind == JSON:
        return check_listing(schema, parse_json(await request.body()), ("body",))
    if kind in (FORM, URLENCODED):
        form = await read_form(request)
        try:
            return await _form_listing(schema, form)
        finally:
            await form.close()
    raise unsupported(kind, (JSON, FORM, URLENCODED))


async def read_form(request: Request) -> FormData:
    """The parsed form; 422 when it cannot be parsed, as for JSON (Starlette's own answer is a
    400 the document does not list, e.g. for a multipart body without a boundary)."""
    try:
        return await request.form()
    except HTTPException as exc:
        msg = f"body is not a valid form: {exc.detail}"
        raise api_error(422, msg, "form_invalid", ("body",)) from None


async def read_batch(request: Request, max_listings: int) -> list[Any]:
    """The `listings` array of a batch body, checked for shape and size only."""
    kind = media_type(request)
    if kind != JSON:
        raise unsupported(kind, (JSON,))
    data = parse_json(await request.body())
    listings = data.get("listings") if isinstance(data, dict) else None
    if not isinstance(listings, list):
        raise api_error(422, 'body must be {"listings": [...]}', "missing", ("body", "listings"))
    if not 1 <= len(listings) <= max_listings:
        msg = f"holds {len(listings)} listings; send 1 to {max_listings}"
        raise api_error(422, msg, "too_long", ("body", "listings"), {"max_length": max_listings})
    return listings


async def _form_listing(schema: Schema, form: FormData) -> dict[str, Any]:
    """Form fields through the request model; photo file parts as raw bytes."""
    images = {f.name for f in schema.of_type(FeatureType.IMAGE)}
    fields: dict[str, Any] = {}
    photos: dict[str, bytes | str] = {}
    for name, value in form.multi_items():
        if name in fields or name in photos:
            raise api_error(422, f"{name} is given more than once", "duplicate", ("body", name))
        if isinstance(value, UploadFile):
            if name not in images:
                raise api_error(
                    422, f"{name} is not a photo field", "extra_forbidden", ("body", name)
                )
            photos[name] = await value.read()
        elif value != "":  # an empty form input means 'no value'
            (photos if name in images else fields)[name] = value
    listing = check_listing(schema, fields, ("body",))
    listing.update(photos)
    return listing
