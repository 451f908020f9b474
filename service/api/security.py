"""API key access: when APPRAISER_API_KEY is set, every /v1 route needs it in the X-API-Key header.

The check runs after the router has matched a route, never on the raw path, so it holds under
any prefix the app is served at (a proxy's root path, a mount in another app). FastAPI routes
take it as a dependency of their router; the predict routes, plain Starlette routes, call it
first (`ApiKeyCheck.check`). The OpenAPI document declares the header, and its 401, only when
a key is set: a service without one answers without it.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.params import Depends as Dependency
from fastapi.security import APIKeyHeader
from pydantic import SecretStr

from service.api.errors import ApiError, api_error
from service.api.schemas import ErrorResponse

API_KEY_HEADER = "X-API-Key"
KEY_HEADER = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="The key the service runs with (APPRAISER_API_KEY).",
)
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or wrong API key."}
}


class ApiKeyCheck:
    """The one key check: a FastAPI dependency, and a wrapper for plain endpoints."""

    def __init__(self, key: SecretStr | None) -> None:
        self._expected = None if key is None else key.get_secret_value().encode("utf-8")

    @property
    def dependencies(self) -> list[Dependency]:
        """The check as route dependencies; none without a key, so the document asks for none."""
        return [] if self._expected is None else [Depends(self)]

    @property
    def responses(self) -> dict[int | str, dict[str, Any]]:
        """The 401 the check may answer, for the document; none without a key."""
        return {} if self._expected is None else dict(UNAUTHORIZED)

    async def __call__(self, sent: Annotated[str | None, Security(KEY_HEADER)]) -> None:
        """401 unless `sent` is the configured key; nothing to check when none is set."""
        if self._expected is None:
            return
        # Constant time: response timing must not reveal how much of a guess was right.
        # Starlette decodes header values as latin-1, so this gives back the bytes sent.
        if sent is None or not secrets.compare_digest(sent.encode("latin-1"), self._expected):
            raise unauthorized()

    async def check(self, request: Request) -> None:
        """The same check for a plain Starlette endpoint, before it reads the body."""
        await self(request.headers.get(API_KEY_HEADER))


def unauthorized() -> ApiError:
    """401 naming the header, with the challenge; the connection closes (the body is unread)."""
    msg = f"missing or wrong {API_KEY_HEADER} header"
    error = api_error(401, msg, "unauthorized", ("header", API_KEY_HEADER))
    error.headers = {"WWW-Authenticate": API_KEY_HEADER, "Connection": "close"}
    return error
