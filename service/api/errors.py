"""Every error answer has one shape, `{"detail": [{loc, msg, type, ctx}]}`, and the right status.

Client input maps to 4xx (422 invalid, 413 too large, 415 unsupported); 409 for an explanation
the served model cannot give (logged without explanation data); 503 while no model is ready or the
queue is full. Only a genuine server bug reaches the last-resort 500 handler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from models.explainer import NotExplainableError
from service.api.schemas import ErrorItem, ErrorResponse, ListingError
from service.inference.batcher import BatcherClosedError, QueueFullError
from service.inference.listing import InputError
from service.inference.slot import NotReadyError

log = logging.getLogger(__name__)
Loc = tuple[str | int, ...]
STATUS_BY_KIND = {"invalid": 422, "too_large": 413, "unsupported": 415}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "Body or photo over its byte or pixel limit."},
    415: {
        "model": ErrorResponse,
        "description": "Unsupported content type, or a photo that is not an image in a supported"
        " format (a form's photo sent as a text part, not a file, is read as base64 text).",
    },
    422: {"model": ErrorResponse, "description": "A field breaks its rule; `ctx` has the limit."},
    503: {"model": ErrorResponse, "description": "No model ready yet, or too busy: retry."},
}
# 409, not a 4xx about the request or a 5xx: the request is right, the model being served cannot
# answer it (it was logged without explanation data); the same request succeeds once a model
# that can is served, and /v1/predict still answers meanwhile.
NOT_EXPLAINABLE: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorResponse,
        "description": "The served model was logged without explanation data (trained before "
        "explanations existed): it prices listings but cannot explain them.",
    }
}


class ApiError(Exception):
    """A client-facing error: its status and one item per problem."""

    def __init__(
        self, status: int, items: Sequence[ErrorItem], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__("; ".join(i.msg for i in items))
        self.status = status
        self.items = list(items)
        self.headers = dict(headers or {})

    def as_listing_error(self) -> ListingError:
        """The same error as one entry of a batch answer."""
        return ListingError(status=self.status, detail=self.items)


def api_error(
    status: int, msg: str, kind: str, loc: Loc = (), ctx: dict[str, Any] | None = None
) -> ApiError:
    """An ApiError with a single problem."""
    return ApiError(status, [ErrorItem(loc=list(loc), msg=msg, type=kind, ctx=ctx)])


def from_input(exc: InputError, loc: Loc) -> ApiError:
    """A listing the model cannot use → 422, 413 or 415, naming the field and its limits."""
    kind = {"invalid": "value_error", "too_large": "too_large", "unsupported": "unsupported"}
    return api_error(
        STATUS_BY_KIND[exc.kind], exc.problem, kind[exc.kind], (*loc, exc.field), exc.limits
    )


def from_validation(errors: Iterable[Mapping[str, Any]], loc: Loc = ()) -> ApiError:
    """Pydantic errors → a 422 whose items keep pydantic's loc, msg, type and limit."""
    items = [
        ErrorItem(loc=[*loc, *e["loc"]], msg=e["msg"], type=e["type"], ctx=_plain_ctx(e.get("ctx")))
        for e in errors
    ]
    return ApiError(422, items)


def _plain_ctx(ctx: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Pydantic puts exceptions and Decimals in ctx; JSON needs plain values."""
    if not ctx:
        return None
    plain = (str, int, float, bool, type(None))
    return {k: v if isinstance(v, plain) else str(v) for k, v in ctx.items()}


def error_response(error: ApiError) -> JSONResponse:
    """The answer to `error`, in the shared shape."""
    body = ErrorResponse(detail=error.items).model_dump(mode="json", exclude_none=True)
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register one handler per error family; each answers with the shared error shape."""

    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def on_input_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InputError)
        return error_response(from_input(exc, ("body",)))

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(from_validation(exc.errors()))

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error = api_error(exc.status_code, str(exc.detail), "http_error")
        error.headers = dict(exc.headers or {})
        return error_response(error)

    async def on_unavailable(_: Request, exc: Exception) -> JSONResponse:
        retry = "1" if isinstance(exc, QueueFullError) else "5"
        error = api_error(503, str(exc), "unavailable")
        error.headers = {"Retry-After": retry}
        return error_response(error)

    async def on_not_explainable(_: Request, exc: Exception) -> JSONResponse:
        return error_response(api_error(409, str(exc), "not_explainable"))

    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        # Last resort: client input never gets here; a server bug does, and must be logged.
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(api_error(500, "internal server error", "server_error"))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(InputError, on_input_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(NotExplainableError, on_not_explainable)
    app.add_exception_handler(StarletteHTTPException, on_http)
    for unavailable in (NotReadyError, QueueFullError, BatcherClosedError):
        app.add_exception_handler(unavailable, on_unavailable)
    app.add_exception_handler(Exception, on_bug)
