"""The HTTP service's settings from the environment (`APPRAISER_*`), validated once at start-up."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from service.inference.settings import ServingSettings

MIN_API_KEY_CHARS = 16


class Settings(ServingSettings):
    """Everything the service reads from its environment; bad values stop it before it starts."""

    host: str = Field(default="127.0.0.1", description="Address `appraise serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `appraise serve` binds.")
    api_key: SecretStr | None = Field(
        default=None, description="When set, /v1/* needs it in the X-API-Key header."
    )
    max_batch_listings: int = Field(
        default=64, ge=1, le=10_000, description="Most listings in one /v1/predict/batch call."
    )
    max_body_bytes: int = Field(
        default=32_000_000, ge=1024, description="Largest request body accepted (bytes)."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Log level of the service and uvicorn."
    )
    drain_grace_s: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description=(
            "After SIGTERM, seconds /readyz answers 503 while requests are still served, so load"
            " balancers stop sending before the server stops taking connections; 0: no grace."
        ),
    )
    drain_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="Then, the longest wait for requests in flight before they are cancelled.",
    )
    access_log: bool = Field(
        default=True,
        description="One log line per request (uvicorn's access log); /metrics counts them anyway.",
    )

    @field_validator("api_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < MIN_API_KEY_CHARS:
            raise ValueError(f"must be at least {MIN_API_KEY_CHARS} characters long")
        return value


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read from the environment once."""
    return Settings()
