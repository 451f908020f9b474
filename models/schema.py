"""The listing schema: which features a dataset (and a model) has, their types and limits.

A dataset declares it once in `schema.yaml`; the same object travels inside the logged model, so
training, validation, the HTTP request model and the batch reader are all built from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA_FILE = "schema.yaml"


class SchemaError(ValueError):
    """The schema itself is unusable (unknown type, duplicate name, bad limits...)."""


class FeatureType(StrEnum):
    """How a feature is encoded: each type maps to one kind of model input."""

    CATEGORY = "category"
    INTEGER = "integer"
    NUMBER = "number"
    TEXT = "text"
    IMAGE = "image"


class Feature(BaseModel):
    """One input column: its name, type and the limits a value must keep."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", description="Column name.")
    type: FeatureType = Field(description="Encoding of the feature.")
    required: bool | None = Field(
        default=None,
        description="Whether an empty value makes the row bad. Default: true for integer and "
        "number, false for category, text and image (a listing may lack them).",
    )
    min: float | None = Field(default=None, description="Smallest allowed value (numeric types).")
    max: float | None = Field(default=None, description="Largest allowed value (numeric types).")
    max_chars: int = Field(default=2000, gt=0, description="Longest allowed text or category.")
    max_bytes: int = Field(default=10_000_000, gt=0, description="Largest allowed photo file.")
    max_pixels: int = Field(default=40_000_000, gt=0, description="Largest allowed photo area.")

    @model_validator(mode="after")
    def _check_limits(self) -> Feature:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"feature {self.name!r}: min {self.min} is above max {self.max}")
        if self.type == FeatureType.INTEGER and (self.min is None or self.max is None):
            raise ValueError(f"integer feature {self.name!r} needs min and max (its one-hot range)")
        if self.type == FeatureType.INTEGER and self.max - self.min > 1000:  # type: ignore[operator]
            raise ValueError(
                f"integer feature {self.name!r}: range {self.min}..{self.max} has more than "
                "1000 values; use type number"
            )
        return self

    @property
    def is_required(self) -> bool:
        """Whether an empty value is an error rather than a missing input."""
        if self.required is not None:
            return self.required
        return self.type in (FeatureType.INTEGER, FeatureType.NUMBER)


class Schema(BaseModel):
    """All features of a listing, the target column and an optional id column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    features: tuple[Feature, ...] = Field(min_length=1, description="Model inputs, in order.")
    target: str = Field(default="price", description="Column holding the price to predict.")
    id_column: str | None = Field(default="id", description="Column that identifies a row.")

    @model_validator(mode="after")
    def _check_names(self) -> Schema:
        names = [f.name for f in self.features]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"feature names must be unique; repeated: {', '.join(duplicates)}")
        for special in (self.target, self.id_column):
            if special in names:
                raise ValueError(f"column {special!r} cannot be both a feature and target/id")
        return self

    def of_type(self, kind: FeatureType) -> list[Feature]:
        """The features of one type, in schema order."""
        return [f for f in self.features if f.type == kind]

    def feature(self, name: str) -> Feature:
        """The feature called `name` (KeyError when there is none)."""
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    def only(self, names: Sequence[str]) -> Schema:
        """The schema cut to the features called `names`, in schema order; a SchemaError names
        any that it does not have."""
        unknown = [n for n in names if n not in {f.name for f in self.features}]
        if unknown:
            have = ", ".join(f.name for f in self.features)
            raise SchemaError(f"features: {', '.join(unknown)} not in the schema (it has {have})")
        return self.model_copy(
            update={"features": tuple(f for f in self.features if f.name in names)}
        )

    def to_yaml(self) -> str:
        """The schema as YAML text, as stored beside a dataset and inside a model."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        data["target"] = self.target
        return yaml.safe_dump(data, sort_keys=False)

    @classmethod
    def from_yaml(cls, text: str) -> Schema:
        """Parse and validate YAML text; raises SchemaError naming the problem."""
        try:
            data: Any = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SchemaError(f"schema is not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise SchemaError("schema must be a mapping with 'features' and 'target'")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise SchemaError(_describe(exc)) from exc

    @classmethod
    def load(cls, folder: Path) -> Schema:
        """Read `schema.yaml` from a dataset folder."""
        path = folder / SCHEMA_FILE
        if not path.is_file():
            raise SchemaError(f"{path}: missing; a dataset folder needs a {SCHEMA_FILE}")
        return cls.from_yaml(path.read_text(encoding="utf-8"))

    def save(self, folder: Path) -> None:
        """Write `schema.yaml` into a dataset folder."""
        (folder / SCHEMA_FILE).write_text(self.to_yaml(), encoding="utf-8")


def _describe(exc: ValidationError) -> str:
    """One line per pydantic error, naming the field path, the problem and the allowed values."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "schema"
        lines.append(f"schema field {where}: {err['msg']}")
    return "; ".join(lines)


def clothing_schema() -> Schema:
    """The built-in used-clothing schema: brand, year, description, photo → price."""
    return Schema(
        features=(
            Feature(name="brand", type=FeatureType.CATEGORY, max_chars=80),
            Feature(name="year", type=FeatureType.INTEGER, min=1960, max=2026),
            Feature(name="description", type=FeatureType.TEXT, max_chars=2000),
            Feature(name="photo", type=FeatureType.IMAGE),
        ),
        target="price",
        id_column="id",
    )
