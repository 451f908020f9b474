"""Service settings from the environment (`APPRAISER_*`), validated once at start-up."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "models:/appraiser@champion"
MIN_API_KEY_CHARS = 16


class Settings(BaseSettings):
    """Everything the service reads from its environment; bad values stop it before it starts."""

    model_config = SettingsConfigDict(env_prefix="APPRAISER_", extra="ignore", frozen=True)

    model_uri: str = Field(
        default=DEFAULT_MODEL, min_length=1, description="MLflow model URI to serve."
    )
    tracking_uri: str | None = Field(
        default=None,
        description="MLflow tracking URI; default MLFLOW_TRACKING_URI, else ./mlflow.db.",
    )
    host: str = Field(default="127.0.0.1", description="Address `appraise serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `appraise serve` binds.")
    api_key: SecretStr | None = Field(
        default=None, description="When set, /v1/* needs it in the X-API-Key header."
    )
    max_batch_size: int = Field(
        default=32, ge=1, le=1024, description="Most listings per forward pass (a power of 2)."
    )
    target_batch_size: int = Field(
        default=16,
        ge=1,
        le=1024,
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
    max_batch_listings: int = Field(
        default=64, ge=1, le=10_000, description="Most listings in one /v1/predict/batch call."
    )
    max_body_bytes: int = Field(
        default=32_000_000, ge=1024, description="Largest request body accepted (bytes)."
    )
    decode_threads: int = Field(
        default=4, ge=1, le=64, description="Threads validating listings and decoding photos."
    )
    # One thread each: a pass then runs on one core while HTTP and decoding use the others;
    # TensorFlow's own pools spend half as much CPU again on the same pass (9.2 against 6.1 ms).
    intra_op_threads: int = Field(
        default=1, ge=0, le=256, description="TensorFlow threads inside one op; 0: TF decides."
    )
    inter_op_threads: int = Field(
        default=1, ge=0, le=256, description="TensorFlow ops run in parallel; 0: TF decides."
    )
    device: Literal["auto", "cpu", "gpu"] = Field(
        default="auto", description="auto: the GPU when TensorFlow sees one, else the CPU."
    )
    reload_interval_s: float = Field(
        default=30.0, ge=0, description="How often to check the alias for a new version; 0: off."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Log level of the service and uvicorn."
    )
    access_log: bool = Field(
        default=True,
        description="One log line per request (uvicorn's access log); /metrics counts them anyway.",
    )

    @field_validator("max_batch_size")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError(f"must be a power of 2 (1, 2, 4, ...), got {value}")
        return value

    @field_validator("api_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < MIN_API_KEY_CHARS:
            raise ValueError(f"must be at least {MIN_API_KEY_CHARS} characters long")
        return value

    def for_batch_scoring(self) -> Settings:
        """These settings for batch scoring, where passes run at the largest batch with nothing
        else on the cores: TensorFlow's own thread counts are faster there (1804-1817 against
        1673-1709 rows/s with one thread each), unless APPRAISER_*_OP_THREADS set them."""
        unset = {"intra_op_threads", "inter_op_threads"} - self.model_fields_set
        return self.model_copy(update=dict.fromkeys(unset, 0))

    @property
    def batch_sizes(self) -> tuple[int, ...]:
        """The fixed batch shapes of the forward pass: 1, 2, 4, ... up to max_batch_size."""
        sizes = [1]
        while sizes[-1] < self.max_batch_size:
            sizes.append(sizes[-1] * 2)
        return tuple(sizes)


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read from the environment once."""
    return Settings()
