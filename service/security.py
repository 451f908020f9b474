"""API key access: when APPRAISER_API_KEY is set, /v1/* needs it in the X-API-Key header."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Security
from fastapi.security import APIKeyHeader

from service.deps import SettingsDep
from service.errors import api_error

API_KEY_HEADER = "X-API-Key"
api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="Needed only when the service runs with APPRAISER_API_KEY set.",
)


async def require_api_key(
    settings: SettingsDep, key: Annotated[str | None, Security(api_key_header)]
) -> None:
    """Let the request through when no key is configured or the right key is sent."""
    expected = settings.api_key
    if expected is None:
        return
    # Constant-time comparison: response timing must not reveal how much of a guess was right.
    if key is None or not secrets.compare_digest(
        key.encode("utf-8"), expected.get_secret_value().encode("utf-8")
    ):
        error = api_error(
            401,
            f"missing or wrong {API_KEY_HEADER} header",
            "unauthorized",
            ("header", API_KEY_HEADER),
        )
        error.headers = {"WWW-Authenticate": API_KEY_HEADER}
        raise error
