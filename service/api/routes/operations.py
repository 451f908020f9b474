"""Plain Starlette routes for the listing operations (predict, explain), and their FastAPI twins
for the OpenAPI document.

The hottest routes are plain Starlette routes: `endpoint(request) -> Response`, no dependency
solving or answer re-validation per request (docs/benchmarks.md, "Plain predict routes").
They read and check their bodies themselves. `documented` describes the same operations as
FastAPI routes for the OpenAPI document only.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from service.api.bodies import FORM, JSON
from service.api.errors import ERROR_RESPONSES
from service.api.middleware import ROUTE_TEMPLATE
from service.api.security import ApiKeyCheck

Endpoint = Callable[[Request], Awaitable[Response]]
Responses = dict[int | str, dict[str, Any]]
# The real request schemas depend on the served model; service.api.openapi fills them in.
_ANY_BODY = {"schema": {"type": "object"}}
LISTING_BODY = {"requestBody": {"required": True, "content": {JSON: _ANY_BODY, FORM: _ANY_BODY}}}
BATCH_BODY = {"requestBody": {"required": True, "content": {JSON: _ANY_BODY}}}


@dataclass(frozen=True)
class Operation:
    """One plain route: where, what runs, what it answers and its docs."""

    path: str
    endpoint: Endpoint
    answer: type[BaseModel]
    summary: str
    tag: str
    openapi_extra: dict[str, Any]  # the request body (and query parameters) for the document
    responses: Responses = field(default_factory=dict)  # beyond ERROR_RESPONSES


def install(app: FastAPI, check: ApiKeyCheck, operations: Iterable[Operation]) -> None:
    """Serve `operations`, each behind the API key check."""
    for op in operations:
        app.add_route(
            op.path,
            _served(op, check),
            methods=["POST"],
            name=op.endpoint.__name__,
            include_in_schema=False,  # `documented` describes them
        )


def _served(op: Operation, check: ApiKeyCheck) -> Endpoint:
    """`op`'s endpoint behind the key check, its template recorded for the latency histogram
    (FastAPI's router records only its own routes')."""

    async def serve(request: Request) -> Response:
        request.scope[ROUTE_TEMPLATE] = op.path
        await check.check(request)
        return await op.endpoint(request)

    return serve


def documented(check: ApiKeyCheck, operations: Iterable[Operation]) -> list[APIRoute]:
    """`operations` as FastAPI routes, for the OpenAPI document only (never served)."""
    return [
        APIRoute(
            op.path,
            op.endpoint,
            methods=["POST"],
            response_model=op.answer,
            responses={**ERROR_RESPONSES, **op.responses, **check.responses},
            summary=op.summary,
            description=inspect.getdoc(op.endpoint) or "",
            tags=[op.tag],
            openapi_extra=op.openapi_extra,
            dependencies=check.dependencies,
        )
        for op in operations
    ]


def json_answer(answer: BaseModel, *, exclude_none: bool = True) -> Response:
    """`answer` as JSON, without re-validating it. By default without None fields: a batch's
    error entry has the shape of an error answer (no null `ctx`)."""
    body = answer.model_dump_json(exclude_none=exclude_none)
    return Response(body, media_type="application/json")
