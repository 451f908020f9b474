"""GET routes: model details, health, readiness, metrics, OpenAPI docs and the demo page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message

from service.inference.settings import RuntimeSettings
from tests.api.conftest import StartApp, wait_ready
from tests.api.fakes import FakePredictor, factory_of
from tests.waiting import eventually

pytestmark = pytest.mark.api


def test_model_route_describes_the_served_model(client: TestClient) -> None:
    body = client.get("/v1/model").json()
    assert body["name"] == "fake" and body["version"] == "1" and body["run_id"] == "run-1"
    assert body["device"] == "/CPU:0"
    assert body["test_metrics"] == {"rmsle": 0.25, "mae": 9.5}
    assert [f["name"] for f in body["features"]] == ["brand", "year", "description", "photo"]
    year = body["features"][1]
    assert year["type"] == "integer" and year["min"] == 1960 and year["max"] == 2026
    assert body["example"] == {"brand": "Nordvik", "year": 2015, "description": "wool coat"}


def test_health_is_open_and_ready_waits_for_a_warm_model(start_app: StartApp) -> None:
    release = threading.Event()
    fake = FakePredictor()

    def slow_factory(uri: str, settings: RuntimeSettings) -> FakePredictor:
        release.wait(10)
        return fake

    client = start_app(factory=slow_factory, wait=False)
    assert client.get("/healthz").json() == {"status": "ok"}
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json()["status"] == "loading"
    for response in (client.post("/v1/predict", json={"year": 2000}), client.get("/v1/model")):
        assert response.status_code == 503
        assert response.headers["retry-after"]
    release.set()
    wait_ready(client)
    assert client.get("/readyz").json()["model"] == {"name": "fake", "version": "1"}
    assert client.post("/v1/predict", json={"year": 2000}).status_code == 200


def test_a_model_that_fails_to_load_leaves_the_service_up_and_not_ready(
    start_app: StartApp,
) -> None:
    client = start_app(FakePredictor(fail_warm=True), wait=False)
    for _ in range(200):
        ready = client.get("/readyz")
        if ready.json()["status"] == "failed":
            break
    assert ready.status_code == 503 and "does not warm" in ready.json()["detail"]
    assert client.get("/healthz").status_code == 200
    assert client.post("/v1/predict", json={"year": 2000}).status_code == 503
    assert 'appraiser_model_reloads_total{outcome="failure"} 1.0' in client.get("/metrics").text


def test_metrics_expose_latency_batches_queue_model_and_reloads(client: TestClient) -> None:
    client.post("/v1/predict", json={"year": 2000})
    client.post("/v1/predict", json={"year": 1})
    client.get("/no/such/page")
    text = client.get("/metrics").text
    latency = 'appraiser_request_duration_seconds_count{method="POST",route="/v1/predict"'
    assert f'{latency},status="200"}} 1.0' in text
    assert f'{latency},status="422"}} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "appraiser_batch_size_count 1.0" in text
    assert "appraiser_queue_depth 0.0" in text
    assert 'appraiser_model_info{device="/CPU:0",name="fake",version="1"} 1.0' in text
    assert 'appraiser_model_reloads_total{outcome="success"} 1.0' in text
    assert "appraiser_ready 1.0" in text


def test_openapi_shows_the_model_fields_limits_and_examples(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    listing = doc["components"]["schemas"]["Listing"]
    assert set(listing["properties"]) == {"brand", "year", "description", "photo"}
    assert listing["required"] == ["year"]
    assert listing["properties"]["year"]["minimum"] == 1960
    assert listing["properties"]["photo"]["anyOf"][0]["contentEncoding"] == "base64"
    body = doc["paths"]["/v1/predict"]["post"]["requestBody"]["content"]
    assert body["application/json"]["example"]["brand"] == "Nordvik"
    # A form has no null: its photo is a plain file part (a nullable one reads as a text part to
    # a client following the schema), and its file parts are images the service decodes.
    form = doc["components"]["schemas"]["ListingForm"]["properties"]
    assert form["photo"]["type"] == "string"
    assert form["photo"]["format"] == "binary"
    assert [name for name, field in form.items() if "anyOf" in field or "default" in field] == []
    photo_types = body["multipart/form-data"]["encoding"]["photo"]["contentType"].split(", ")
    assert photo_types == ["image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp"]
    assert {"413", "415", "422", "503"} <= set(doc["paths"]["/v1/predict"]["post"]["responses"])
    batch = doc["paths"]["/v1/predict/batch"]["post"]["requestBody"]["content"]["application/json"]
    assert len(batch["example"]["listings"]) == 2
    assert "Swagger UI" in client.get("/docs").text
    for path, model in (("/v1/predict", "Prediction"), ("/v1/predict/batch", "BatchPrediction")):
        answer = doc["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]
        assert answer["schema"] == {"$ref": f"#/components/schemas/{model}"}


def test_demo_page_is_served_without_external_assets(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'name="viewport"' in page.text
    for text in (
        page.text,
        client.get("/static/app.js").text,
        client.get("/static/style.css").text,
    ):
        assert "http://" not in text and "https://" not in text  # no CDN, works offline
    assert 'src="/static/app.js"' in page.text and 'href="/static/style.css"' in page.text


def test_reload_swaps_to_the_new_version_and_survives_a_broken_one(start_app: StartApp) -> None:
    v1, v2, v3 = FakePredictor("1"), FakePredictor("2"), FakePredictor("3", fail_warm=True)
    alias = {"version": "1"}
    client = start_app(
        factory=factory_of(v1, v2, v3),
        resolver=lambda uri: alias["version"],
        model_uri="models:/fake@champion",
        reload_interval_s=0.02,
    )

    def served_version() -> str:
        response = client.post("/v1/predict", json={"year": 2000})
        assert response.status_code == 200, response.text
        return str(response.json()["model"]["version"])

    assert served_version() == "1"
    alias["version"] = "2"
    eventually(lambda: served_version() == "2")
    alias["version"] = "3"
    eventually(lambda: 'outcome="failure"} 1.0' in client.get("/metrics").text)
    assert served_version() == "2"
    assert client.get("/readyz").json()["model"]["version"] == "2"
    assert (
        'appraiser_model_info{device="/CPU:0",name="fake",version="2"} 1.0'
        in client.get("/metrics").text
    )


def test_requests_in_flight_finish_on_the_old_version(start_app: StartApp) -> None:
    v1, v2 = FakePredictor("1", forward_delay_s=0.5), FakePredictor("2")
    alias = {"version": "1"}
    client = start_app(
        factory=factory_of(v1, v2),
        resolver=lambda uri: alias["version"],
        model_uri="models:/fake@champion",
        reload_interval_s=0.02,
    )
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(client.post, "/v1/predict", json={"year": 2000})
        eventually(lambda: bool(v1.forward_sizes))  # inside v1's forward pass now
        alias["version"] = "2"
        eventually(lambda: client.get("/readyz").json()["model"]["version"] == "2")
        assert slow.result().json()["model"]["version"] == "1"
    assert client.post("/v1/predict", json={"year": 2000}).json()["model"]["version"] == "2"


def test_a_client_that_leaves_mid_body_is_counted_499_not_500(client: TestClient) -> None:
    messages: Iterator[Message] = iter(
        [
            {"type": "http.request", "body": b'{"year": 20', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/predict",
        "raw_path": b"/v1/predict",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"40")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": dict(client.app_state),
    }
    assert client.portal is not None
    client.portal.call(client.app, scope, receive, send)
    assert sent == []  # nobody left to answer
    text = client.get("/metrics").text
    latency = 'appraiser_request_duration_seconds_count{method="POST",route="/v1/predict"'
    assert f'{latency},status="499"}} 1.0' in text
    assert 'status="500"' not in text
