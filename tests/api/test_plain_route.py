"""PlainRoute: endpoints that take the Request only; anything else is refused at start-up."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.testclient import TestClient

from service.routes.plain import PlainRoute

pytestmark = pytest.mark.api


async def _settings() -> str:
    return "settings"


async def _with_dependency(request: Request, value: Annotated[str, Depends(_settings)]) -> Response:
    return Response(value)


async def _with_query(request: Request, limit: int) -> Response:
    return Response(str(limit))


async def _without_request() -> Response:
    return Response("no request")


@pytest.mark.parametrize("endpoint", [_with_dependency, _with_query, _without_request])
def test_an_endpoint_that_needs_more_than_the_request_is_refused(endpoint: object) -> None:
    router = APIRouter(route_class=PlainRoute)
    with pytest.raises(TypeError, match="takes the Request only"):
        router.add_api_route("/x", endpoint, methods=["POST"])  # type: ignore[arg-type]


def test_a_router_dependency_is_refused_too() -> None:
    router = APIRouter(route_class=PlainRoute, dependencies=[Depends(_settings)])

    async def endpoint(request: Request) -> Response:
        return Response("ok")

    with pytest.raises(TypeError, match="takes the Request only"):
        router.add_api_route("/x", endpoint, methods=["POST"])


def test_a_dependency_given_when_including_the_router_is_refused() -> None:
    router = APIRouter(route_class=PlainRoute)

    @router.post("/x")
    async def endpoint(request: Request) -> Response:
        return Response("ok")

    app = FastAPI()
    app.include_router(router, dependencies=[Depends(_settings)])
    # FastAPI builds included routes on first use, so the refusal comes with the first request.
    with pytest.raises(TypeError, match="takes the Request only"):
        TestClient(app).post("/x")


def test_a_plain_endpoint_answers_its_own_response() -> None:
    router = APIRouter(route_class=PlainRoute)

    @router.post("/echo")
    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type="text/plain")

    app = FastAPI()
    app.include_router(router)
    response = TestClient(app).post("/echo", content=b"as sent")
    assert response.status_code == 200 and response.text == "as sent"
