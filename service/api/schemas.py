"""Request and response models. Request models are built from the served model's own schema,
so a clothing model and a house-price model each get their real fields in the API and docs.

A request model checks field names and JSON types only. The limits appear in its JSON schema
(the docs) but are checked by the listing rules (`models.validation`), one wording everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from models.schema import Feature, FeatureType, Schema

BATCH_HELP = (
    "Listings as for /v1/predict (a Listing each). Each is checked on its own: an item that is "
    "not a valid listing, even one that is not an object, gets an error entry in its place "
    "(with the status it would get alone) and the others are still priced."
)
PHOTO_HELP = "Photo file bytes as base64 text (JPEG, PNG, WebP, GIF or BMP). Leave out if none."
PHOTO_FILE_HELP = "Photo file (JPEG, PNG, WebP, GIF or BMP) as a file part. Leave out if none."


class PriceRange(BaseModel):
    """The 80% range: the price falls below `low` or above `high` one time in ten each."""

    low: float = Field(description="Lower end of the 80% range.", examples=[31.5])
    high: float = Field(description="Upper end of the 80% range.", examples=[88.0])


class ModelRef(BaseModel):
    """Which registered model answered."""

    name: str = Field(examples=["appraiser"])
    version: str = Field(examples=["3"])


class Prediction(BaseModel):
    """The predicted price of one listing, its range and the model that priced it."""

    price: float = Field(description="Predicted price (the median).", examples=[52.4])
    price_range: PriceRange
    model: ModelRef


class FeatureContribution(BaseModel):
    """How much one feature moved the price from the baseline (its exact Shapley value)."""

    feature: str = Field(examples=["brand"])
    log_price: float = Field(
        description="Its share of log(price / baseline_price): the features' shares add up to it.",
        examples=[0.642],
    )
    ratio: float = Field(
        description="exp(log_price): the baseline price times every ratio is the price.",
        examples=[1.9],
    )


class ComparableListing(BaseModel):
    """A sold listing of the training data close to this one in the model's own representation."""

    id: str = Field(examples=["L000123"])
    price: float = Field(description="The price it sold for.", examples=[49.0])
    distance: float = Field(
        description="Euclidean distance in the model's joint representation; 0: the model sees "
        "the same listing.",
        examples=[0.42],
    )
    values: dict[str, str | int | float | None] = Field(
        description="Its features other than photos; texts cut to an excerpt.",
        examples=[{"brand": "Nordvik", "year": 2014, "description": "wool coat, worn twice"}],
    )
    thumbnail: str | None = Field(
        description="A small JPEG of its photo as a data URI (data:image/jpeg;base64,...); null "
        "when it had none."
    )


class PriceExplanation(Prediction):
    """The price of one listing, what moved it from the baseline, and comparable sold listings."""

    baseline_price: float = Field(
        description="The price of a listing with nothing known: no photo, no text, categories "
        "unknown, numbers at their training median.",
        examples=[38.0],
    )
    contributions: list[FeatureContribution] = Field(
        description="One per feature, in the model's schema order."
    )
    comparables: list[ComparableListing] = Field(description="Nearest first.")


class ErrorItem(BaseModel):
    """One problem: where (`loc`), what (`msg`, `type`) and the limit it broke (`ctx`)."""

    loc: list[str | int] = Field(examples=[["body", "year"]])
    msg: str = Field(examples=["2031 is above the maximum 2026"])
    type: str = Field(examples=["value_error"])
    ctx: dict[str, Any] | None = Field(default=None, examples=[{"min": 1960, "max": 2026}])


class ErrorResponse(BaseModel):
    """The body of every error answer."""

    detail: list[ErrorItem]


class ListingError(BaseModel):
    """Why one listing of a batch was not priced, with the status it would have got alone."""

    status: int = Field(examples=[422])
    detail: list[ErrorItem]


class ListingFailure(BaseModel):
    """A batch entry for a listing that could not be priced."""

    error: ListingError


class BatchPrediction(BaseModel):
    """One entry per listing, in request order: a prediction or that listing's error."""

    predictions: list[Prediction | ListingFailure]


class ModelDetails(BaseModel):
    """The model being served: identity, where it runs, its inputs and its test metrics."""

    name: str
    version: str
    uri: str = Field(description="The MLflow URI of exactly this version.")
    run_id: str | None = Field(description="The MLflow run that trained it.")
    device: str = Field(description="Where the forward pass runs, e.g. /CPU:0 or /GPU:0.")
    batch_sizes: list[int] = Field(description="Batch shapes the forward pass is compiled for.")
    features: list[Feature] = Field(description="Inputs, their types and limits.")
    target: str = Field(description="What is predicted.")
    test_metrics: dict[str, float] = Field(description="Metrics on the run's held-out test set.")
    example: dict[str, Any] | None = Field(description="An example listing (photos left out).")


class Health(BaseModel):
    """The process answers."""

    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    """Whether a model is loaded and warm; `detail` says why not."""

    status: str = Field(examples=["ready"])
    model: ModelRef | None = None
    detail: str | None = None


@lru_cache(maxsize=16)
def listing_model(schema: Schema) -> type[BaseModel]:
    """The JSON request model of one listing: one field per feature, with its type and limits."""
    fields = {_key(i): _field(f, form=False) for i, f in enumerate(schema.features)}
    config = ConfigDict(extra="forbid", title="Listing")
    return create_model("Listing", __config__=config, **fields)  # type: ignore[call-overload,no-any-return]


@lru_cache(maxsize=16)
def listing_form_model(schema: Schema) -> type[BaseModel]:
    """The multipart variant, for the docs: the same fields, photos as file parts."""
    fields = {_key(i): _field(f, form=True) for i, f in enumerate(schema.features)}
    config = ConfigDict(extra="forbid", title="ListingForm")
    return create_model("ListingForm", __config__=config, **fields)  # type: ignore[call-overload,no-any-return]


def batch_request_model(schema: Schema, max_listings: int) -> type[BaseModel]:
    """`{"listings": [...]}` for the docs. Listings are checked one by one and a bad one gets its
    own error entry, so an item may be any JSON value: a Listing is a choice, not a rule."""
    many: Any = list[listing_model(schema) | Any]  # type: ignore[misc]
    listings = (many, Field(min_length=1, max_length=max_listings, description=BATCH_HELP))
    return create_model("BatchRequest", listings=listings)


def _key(index: int) -> str:
    """Python-side field name; the feature name is the alias, so names like `copy` are safe."""
    return f"feature_{index}"


def _field(feature: Feature, form: bool) -> tuple[Any, Any]:
    """(type, Field) of one feature: required features have no default. JSON may send null for
    'no value'; a form has no null (it leaves the field out), so form fields are never nullable."""
    kind = _type(feature, form)
    if not (feature.is_required or form):
        kind = kind | None
    limits = _documented_limits(feature)
    return kind, Field(
        ... if feature.is_required else None,
        alias=feature.name,
        description=_describe(feature, form),
        json_schema_extra=_without_default(limits) if form else limits,
    )


def _without_default(limits: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    """Adds `limits` to a form field's schema and drops its `default: null`: no form can send
    null (a client following the schema would send the text 'null')."""

    def extra(field_schema: dict[str, Any]) -> None:
        field_schema.update(limits)
        field_schema.pop("default", None)

    return extra


def _type(feature: Feature, form: bool) -> Any:
    match feature.type:
        case FeatureType.INTEGER:
            return int
        case FeatureType.NUMBER:
            return float
        case FeatureType.IMAGE if form:
            return Annotated[bytes, WithJsonSchema({"type": "string", "format": "binary"})]
        case FeatureType.IMAGE:
            schema = {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/*"}
            return Annotated[str, WithJsonSchema(schema)]
    return str


def _documented_limits(feature: Feature) -> dict[str, Any]:
    """The feature's limits in JSON schema words, for the docs only."""
    match feature.type:
        case FeatureType.INTEGER | FeatureType.NUMBER:
            bounds = {"minimum": feature.min, "maximum": feature.max}
            whole = feature.type == FeatureType.INTEGER
            return {k: int(v) if whole else v for k, v in bounds.items() if v is not None}
        case FeatureType.CATEGORY | FeatureType.TEXT:
            return {"maxLength": feature.max_chars}
    return {}


def _describe(feature: Feature, form: bool) -> str:
    match feature.type:
        case FeatureType.IMAGE:
            how = PHOTO_FILE_HELP if form else PHOTO_HELP
            return f"{how} At most {feature.max_bytes} bytes and {feature.max_pixels} pixels."
        case FeatureType.CATEGORY:
            return f"{feature.name} (a category; unknown values are fine)."
        case FeatureType.TEXT:
            return f"{feature.name} (free text; may be empty)."
    return f"{feature.name} ({feature.type.value})."


def example_listing(schema: Schema, logged: dict[str, Any] | None) -> dict[str, Any]:
    """An example request: the one logged with the model, else plausible values per type."""
    example: dict[str, Any] = {}
    for feature in schema.features:
        if logged and feature.name in logged:
            example[feature.name] = logged[feature.name]
        elif feature.type in (FeatureType.INTEGER, FeatureType.NUMBER):
            low, high = feature.min or 0, feature.max if feature.max is not None else 100
            value = (low + high) / 2
            example[feature.name] = int(value) if feature.type == FeatureType.INTEGER else value
        elif feature.type != FeatureType.IMAGE:
            example[feature.name] = "example"
    return example
