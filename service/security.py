"""API key access: when APPRAISER_API_KEY is set, /v1/* needs it in the X-API-Key header.

The check is ASGI middleware rather than a FastAPI dependency so that it guards every route
under the prefix, including the predict routes, which skip FastAPI's dependency solving
(service.routes.plain).
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from service.middleware import header, reject

API_KEY_HEADER = "X-API-Key"
GUARDED_PREFIX = "/v1/"
SCHEME = "APIKeyHeader"
_HEADER = API_KEY_HEADER.lower().encode("latin-1")


class ApiKeyMiddleware:
    """Answer 401 to requests under /v1/ without the right key, before their body is read."""

    def __init__(self, app: ASGIApp, key: SecretStr | None) -> None:
        self.app = app
        self.expected = None if key is None else key.get_secret_value().encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.expected is None or scope["type"] != "http" or not _guarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        sent = header(scope, _HEADER)
        # Constant-time comparison: response timing must not reveal how much of a guess was right.
        if sent is not None and secrets.compare_digest(sent, self.expected):
            await self.app(scope, receive, send)
            return
        msg = f"missing or wrong {API_KEY_HEADER} header"
        where = ["header", API_KEY_HEADER]
        challenge = (b"www-authenticate", API_KEY_HEADER.encode("latin-1"))
        await reject(send, 401, msg, "unauthorized", loc=where, headers=[challenge])


def declare_api_key(doc: dict[str, Any]) -> None:
    """Add the key header to an OpenAPI document: its scheme, required by every /v1/ operation."""
    schemes = doc.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[SCHEME] = {
        "type": "apiKey",
        "in": "header",
        "name": API_KEY_HEADER,
        "description": "Needed only when the service runs with APPRAISER_API_KEY set.",
    }
    for path, operations in doc.get("paths", {}).items():
        if _guarded(path):
            for operation in operations.values():
                operation["security"] = [{SCHEME: []}]


def _guarded(path: str) -> bool:
    return path.startswith(GUARDED_PREFIX)
