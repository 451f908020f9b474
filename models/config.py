"""Typed model configuration: the shape of every branch and of the head."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _bottleneck_field() -> Any:
    return Field(
        default=0,
        ge=0,
        description="Width of a linear layer on the branch's pooled output (0: none). What a "
        "photo or a text says about a price is a few numbers; a narrow output leaves the head "
        "little room to memorise single listings.",
    )


class TextConfig(BaseModel):
    """Text branch: vectorisation → embedding → stacked 1D convolutions → global max pooling."""

    model_config = ConfigDict(extra="forbid")
    max_tokens: int = Field(default=4000, ge=50, description="Vocabulary size, incl. OOV.")
    sequence_length: int = Field(default=48, ge=4, description="Tokens kept per text.")
    embedding_dim: int = Field(default=32, ge=4, description="Embedding width.")
    filters: list[int] = Field(default=[64, 64], min_length=1, description="Conv1D widths.")
    kernel_size: int = Field(default=3, ge=1, description="Conv1D kernel size.")
    bottleneck: int = _bottleneck_field()


class PhotoConfig(BaseModel):
    """Photo branch: a small residual convnet with global average pooling."""

    model_config = ConfigDict(extra="forbid")
    image_size: int = Field(default=64, ge=16, le=512, description="Decoded photo side (px).")
    stem_filters: int = Field(default=24, ge=4, description="Filters of the stem.")
    stem_stride: int = Field(
        default=2,
        ge=1,
        le=3,
        description="Stride of the stem's 3x3 convolution; 3 reads every pixel of a photo in "
        "non-overlapping patches, so 96 px photos cost what 64 px ones do at stride 2.",
    )
    block_filters: list[int] = Field(
        default=[32, 64, 96], min_length=1, description="One residual stage per entry."
    )
    block: Literal["residual", "inception"] = Field(
        default="residual", description="Block type of each stage."
    )
    pooling: Literal["avg", "avg+max"] = Field(
        default="avg+max",
        description="Global pooling: average, or average beside max (small marks such as "
        "stains are diluted by an average but stand out in a max).",
    )
    bottleneck: int = _bottleneck_field()
    batch_norm: Literal["fused", "keras"] = Field(
        default="fused",
        description="Batch normalisation: TensorFlow's fused kernel, or Keras's own, built from "
        "small ops (slower; kept so `make bench` can set the two side by side).",
    )
    shared: bool = Field(
        default=False,
        description="One convnet for all of a listing's image features (each with its own "
        "projection), instead of one per feature: more examples for fewer weights.",
    )
    flip: bool = Field(default=True, description="Random horizontal flips while training.")
    shift: float = Field(
        default=0.0, ge=0, le=0.5, description="Random shifts while training (share of side)."
    )


class TabularConfig(BaseModel):
    """Tabular branch: one-hots and normalised numbers → dense layers."""

    model_config = ConfigDict(extra="forbid")
    units: list[int] = Field(default=[64, 32], min_length=1, description="Dense widths.")
    min_count: int = Field(
        default=2,
        ge=1,
        description="Training rows a category value needs for its own one-hot slot; rarer "
        "values share the unknown slot, which is how that slot learns to price unseen values.",
    )
    max_categories: int = Field(
        default=1000,
        ge=1,
        description="Most values of a category feature with a one-hot slot of their own (the "
        "most frequent); the others share the unknown slot. The wide path's ridge fit costs the "
        "square of its columns in memory and their cube in time, and a marketplace's brands "
        "grow with its listings.",
    )


class WideConfig(BaseModel):
    """The wide (linear) path: encoded tabular inputs and a text bag of words, straight to the head.

    It starts as the ridge regression fitted on the training split, so the joint model begins
    where a linear model over the same columns ends, and the deep branches learn what it misses.
    """

    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(default=True, description="Add the wide path beside the deep branches.")
    text_tokens: int = Field(
        default=2000,
        ge=0,
        description="Words and word pairs per text feature in its TF-IDF bag of words (0: texts "
        "stay out of the wide path).",
    )
    trainable: bool = Field(
        default=False,
        description="Fine-tune the linear weights with the rest of the model. Off by default: "
        "they stay the ridge solution and the deep branches learn its residual (Adam moves "
        "each of thousands of sparse weights by the same step size, which blurs the fit).",
    )


class ModelConfig(BaseModel):
    """The joint model: branches, wide path, head, quantiles and modality dropout."""

    model_config = ConfigDict(extra="forbid")
    text: TextConfig = Field(default_factory=TextConfig)
    photo: PhotoConfig = Field(default_factory=PhotoConfig)
    tabular: TabularConfig = Field(default_factory=TabularConfig)
    wide: WideConfig = Field(default_factory=WideConfig)
    head_units: list[int] = Field(default=[128, 64], min_length=1, description="Head widths.")
    dropout: float = Field(default=0.1, ge=0, lt=1, description="Dropout in the head.")
    modality_dropout: float = Field(
        default=0.1, ge=0, lt=1, description="Chance to blank a photo or text while training."
    )
    photos_last: bool = Field(
        default=False,
        description="Photos join through gates that start closed: training fits everything "
        "else first, then opens them, and keeps that second fit only if it beats the first on "
        "validation by more than one standard error. For small data, where photos trained "
        "from scratch can cost more than they bring.",
    )
    quantiles: list[float] = Field(
        default=[0.1, 0.5, 0.9], description="Predicted quantiles of log price (must hold 0.5)."
    )

    @field_validator("quantiles")
    @classmethod
    def _quantiles_hold_median(cls, value: list[float]) -> list[float]:
        if 0.5 not in value or any(not 0 < q < 1 for q in value) or len(set(value)) != len(value):
            raise ValueError("quantiles must be distinct, inside (0, 1), and include 0.5")
        return sorted(value)
