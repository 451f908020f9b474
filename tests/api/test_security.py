"""APPRAISER_API_KEY guards /v1/* (predict, explain, model); health, readiness, metrics and
the body limit do not need it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import StartApp

pytestmark = pytest.mark.api
KEY = "k" * 12 + "-secret-key"


@pytest.fixture
def guarded(start_app: StartApp) -> TestClient:
    return start_app(api_key=KEY, max_body_bytes=2048)


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY + "x"}, {"X-API-Key": "\xe9".encode("latin-1")}],
)
def test_v1_routes_refuse_a_missing_or_wrong_key(
    guarded: TestClient, headers: dict[str, str | bytes]
) -> None:
    for response in (
        guarded.post("/v1/predict", json={"year": 2000}, headers=headers),
        guarded.post("/v1/predict/batch", json={"listings": [{"year": 2000}]}, headers=headers),
        guarded.post("/v1/explain", json={"year": 2000}, headers=headers),
        guarded.get("/v1/model", headers=headers),
    ):
        assert response.status_code == 401, response.text
        assert response.json()["detail"][0]["loc"] == ["header", "X-API-Key"]
        assert response.headers["www-authenticate"] == "X-API-Key"


def test_the_right_key_opens_v1(guarded: TestClient) -> None:
    response = guarded.post("/v1/predict", json={"year": 2000}, headers={"X-API-Key": KEY})
    assert response.status_code == 200
    assert guarded.get("/v1/model", headers={"X-API-Key": KEY}).status_code == 200
    explained = guarded.post("/v1/explain", json={"year": 2000}, headers={"X-API-Key": KEY})
    assert explained.status_code == 200


def test_health_readiness_metrics_and_demo_page_stay_open(guarded: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/"):
        assert guarded.get(path).status_code == 200, path


def test_body_limit_holds_with_and_without_a_key(guarded: TestClient) -> None:
    big = {"year": 2000, "description": "x" * 4000}
    assert guarded.post("/v1/predict", json=big).status_code == 413
    assert guarded.post("/v1/predict", json=big, headers={"X-API-Key": KEY}).status_code == 413


def test_openapi_declares_the_key_header_on_v1_only(guarded: TestClient) -> None:
    doc = guarded.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    needs_key = {
        path
        for path, operations in doc["paths"].items()
        for operation in operations.values()
        if operation.get("security") == [{"APIKeyHeader": []}]
    }
    assert needs_key == {"/v1/predict", "/v1/predict/batch", "/v1/explain", "/v1/model"}
    answers_401 = {
        path
        for path, operations in doc["paths"].items()
        for operation in operations.values()
        if "401" in operation["responses"]
    }
    assert answers_401 == needs_key


def test_openapi_asks_for_no_key_when_the_service_has_none(client: TestClient) -> None:
    # A service without a key answers requests without the header: the document must not ask for it.
    doc = client.get("/openapi.json").json()
    assert "securitySchemes" not in doc.get("components", {})
    operations = [op for ops in doc["paths"].values() for op in ops.values()]
    assert [op for op in operations if "security" in op or "401" in op["responses"]] == []
    assert client.post("/v1/predict", json={"year": 2000}).status_code == 200


@pytest.mark.parametrize("path", ["/v1/predict", "/v1/explain"])
def test_a_wrong_key_is_refused_before_the_body_is_read(guarded: TestClient, path: str) -> None:
    # A chunked body with no Content-Length: the key check must not wait for it.
    def body() -> Iterator[bytes]:
        yield b'{"year": 2000'
        raise AssertionError("the body was read")

    response = guarded.post(path, content=body(), headers={"X-API-Key": "wrong"})
    assert response.status_code == 401


def _unguarded(client: TestClient, prefix: str = "") -> list[tuple[str, int]]:
    """Every /v1 route asked without a key: those that did not answer 401."""
    calls = [
        client.post(f"{prefix}/v1/predict", json={"year": 2000}),
        client.post(f"{prefix}/v1/predict/batch", json={"listings": [{"year": 2000}]}),
        client.post(f"{prefix}/v1/explain", json={"year": 2000}),
        client.get(f"{prefix}/v1/model"),
    ]
    return [(str(r.url), r.status_code) for r in calls if r.status_code != 401]


def test_the_key_holds_under_a_root_path(start_app: StartApp) -> None:
    # As `uvicorn --root-path /api` behind a proxy: the path the app sees starts with /api.
    client = start_app(api_key=KEY, root_path="/api")
    assert _unguarded(client, "/api") == []
    assert _unguarded(client) == []
    answer = client.post("/api/v1/predict", json={"year": 2000}, headers={"X-API-Key": KEY})
    assert answer.status_code == 200, answer.text


def test_the_key_holds_in_a_mounted_app(mounted: TestClient) -> None:
    assert _unguarded(mounted, "/appraiser") == []
    answer = mounted.post("/appraiser/v1/predict", json={"year": 2000}, headers={"X-API-Key": KEY})
    assert answer.status_code == 200, answer.text
