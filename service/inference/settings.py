"""Settings of the inference core from the environment (`APPRAISER_*`), validated at start-up.

`RuntimeSettings` is what loading a model and running its passes needs (store, batch shapes,
threads, device); `ServingSettings` adds what serving it needs (which model, micro-batching,
hot reload). The HTTP service and batch scoring each extend one of them with their own.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "models:/appraiser@champion"
MAX_BATCH = 1024


def power_of_two(value: int) -> int:
    """`value` when it is a power of 2 from 1 to MAX_BATCH (the forward pass's batch shapes)."""
    if not 1 <= value <= MAX_BATCH or value & (value - 1):
        raise ValueError(f"must be a power of 2 from 1 to {MAX_BATCH}, got {value}")
    return value


def settings_errors(exc: ValidationError) -> list[str]:
    """One line per refused setting, naming it: what a command prints before it stops."""
    return [
        f"error: setting {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
    ]


class RuntimeSettings(BaseSettings):
    """Where models come from and how their forward passes run."""

    model_config = SettingsConfigDict(env_prefix="APPRAISER_", extra="ignore", frozen=True)

    tracking_uri: str | None = Field(
        default=None,
        description="MLflow tracking URI; default MLFLOW_TRACKING_URI, else ./mlflow.db.",
    )
    max_batch_size: int = Field(
        default=32, description="Most listings per forward pass (a power of 2)."
    )
    decode_threads: int = Field(
        default=4, ge=1, le=64, description="Threads validating listings and decoding photos."
    )
    intra_op_threads: int = Field(
        default=0, ge=0, le=256, description="TensorFlow threads inside one op; 0: TF decides."
    )
    inter_op_threads: int = Field(
        default=0, ge=0, le=256, description="TensorFlow ops run in parallel; 0: TF decides."
    )
    device: Literal["auto", "cpu", "gpu"] = Field(
        default="auto", description="auto: the GPU when TensorFlow sees one, else the CPU."
    )

    @field_validator("max_batch_size")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        return power_of_two(value)

    @property
    def batch_sizes(self) -> tuple[int, ...]:
        """The fixed batch shapes of the forward pass: 1, 2, 4, ... up to max_batch_size."""
        sizes = [1]
        while sizes[-1] < self.max_batch_size:
            sizes.append(sizes[-1] * 2)
        return tuple(sizes)


class ServingSettings(RuntimeSettings):
    """A served model: which one, how passes gather listings, how often to look for a new one."""

    model_uri: str = Field(
        default=DEFAULT_MODEL, min_length=1, description="MLflow model URI to serve."
    )
    target_batch_size: int = Field(
        default=16,
        ge=1,
        le=MAX_BATCH,
        description=(
            "Listings a pass waits for (up to max_wait_ms, capped at max_batch_size) while more"
            " are being decoded; beyond it, a pass takes as many as fill a batch shape."
        ),
    )
    max_wait_ms: float = Field(
        default=5.0, ge=0, le=1000, description="Longest wait for more listings to join a pass."
    )
    max_queue: int = Field(
        default=1024, ge=1, description="Listings waiting for a pass before new ones get 503."
    )
    # One thread each: a pass then runs on one core while HTTP and decoding use the others;
    # TensorFlow's own pools spend more CPU on the same pass (docs/benchmarks.md).
    intra_op_threads: int = Field(
        default=1, ge=0, le=256, description="TensorFlow threads inside one op; 0: TF decides."
    )
    inter_op_threads: int = Field(
        default=1, ge=0, le=256, description="TensorFlow ops run in parallel; 0: TF decides."
    )
    reload_interval_s: float = Field(
        default=30.0, ge=0, description="How often to check the alias for a new version; 0: off."
    )
    registry_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description=(
            "Retries of one MLflow HTTP request (MLFLOW_HTTP_REQUEST_MAX_RETRIES wins when set);"
            " the reload checks are the service's retries, so an outage shows within seconds."
        ),
    )
