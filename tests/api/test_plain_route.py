"""PlainRoute: endpoints that take the Request only (anything else is refused at start-up), and
PlainDispatch, which hands their requests straight to them."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.testclient import TestClient

from service.routes.plain import PlainDispatch, PlainRoute

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


class _TeapotError(Exception):
    pass


def _dispatched_app() -> FastAPI:
    """An app whose PlainRoute `/where` says whether Starlette's router saw the request."""
    router = APIRouter(route_class=PlainRoute)

    @router.post("/where")
    async def where(request: Request) -> Response:
        if await request.body() == b"teapot":
            raise _TeapotError
        if await request.body() == b"bug":
            raise RuntimeError("a bug")
        return Response("router" if "router" in request.scope else "dispatch")

    async def on_teapot(_: Request, exc: Exception) -> Response:
        return Response("handled", status_code=418)

    async def on_bug(_: Request, exc: Exception) -> Response:
        return Response("last resort", status_code=500)

    app = FastAPI()
    app.include_router(router)
    app.add_exception_handler(_TeapotError, on_teapot)
    app.add_exception_handler(Exception, on_bug)
    app.add_middleware(PlainDispatch, routes=router.routes, handlers=app.exception_handlers)
    return app


def test_the_dispatch_answers_a_plain_route_without_the_router() -> None:
    client = TestClient(_dispatched_app())
    assert client.post("/where").text == "dispatch"
    assert client.get("/where").status_code == 405  # another method: the router says so
    assert client.post("/elsewhere").status_code == 404


def test_the_dispatch_answers_errors_with_the_apps_handlers() -> None:
    client = TestClient(_dispatched_app(), raise_server_exceptions=False)
    teapot = client.post("/where", content=b"teapot")
    assert (teapot.status_code, teapot.text) == (418, "handled")
    # A bug goes on to the outermost middleware, as without the dispatch: its handler answers
    # and the error still reaches the server, which logs it.
    bug = client.post("/where", content=b"bug")
    assert (bug.status_code, bug.text) == (500, "last resort")
    with pytest.raises(RuntimeError, match="a bug"):
        TestClient(_dispatched_app()).post("/where", content=b"bug")
