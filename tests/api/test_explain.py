"""POST /v1/explain: the price and why (contributions, comparables), read and checked exactly as
/v1/predict reads and checks a listing; 409 from a model that cannot explain."""

from __future__ import annotations

import base64
import io
import math
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from service.api.schemas import PriceExplanation
from service.inference.settings import RuntimeSettings
from tests.api.conftest import StartApp, wait_ready
from tests.api.fakes import (
    NEUTRAL_YEAR,
    SOLD,
    FakePredictor,
    b64,
    bomb_png,
    expected_price,
    jpeg,
    noisy_png,
)
from tests.api.test_predict import DESCRIPTION, MALFORMED

pytestmark = pytest.mark.api
LISTING = {"brand": "Nordvik", "year": 2015, "description": DESCRIPTION}  # sold as S001
FEATURES = ["brand", "year", "description", "photo"]
JPEG_URI = "data:image/jpeg;base64,"


def test_json_listing_gets_price_range_model_contributions_and_comparables(
    client: TestClient,
) -> None:
    listing = {**LISTING, "photo": b64(jpeg())}
    response = client.post("/v1/explain", json=listing)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("price", "price_range", "model")} == client.post(
        "/v1/predict", json=listing
    ).json()
    assert body["baseline_price"] == pytest.approx(expected_price(NEUTRAL_YEAR))
    contributions = body["contributions"]
    assert [c["feature"] for c in contributions] == FEATURES  # schema order
    total = sum(c["log_price"] for c in contributions)
    assert total == pytest.approx(math.log(body["price"] / body["baseline_price"]), abs=1e-9)
    for c in contributions:
        assert c["ratio"] == pytest.approx(math.exp(c["log_price"]))
    assert contributions[0]["log_price"] == pytest.approx(0, abs=1e-12)  # the fake ignores brands
    assert len(body["comparables"]) == 5
    own = body["comparables"][0]
    assert own["id"] == "S001" and own["distance"] == pytest.approx(0, abs=1e-6)
    assert own["price"] == expected_price(2015, DESCRIPTION, photo=True)
    assert own["values"] == LISTING
    distances = [c["distance"] for c in body["comparables"]]
    assert distances == sorted(distances)
    assert own["thumbnail"].startswith(JPEG_URI)
    image = Image.open(io.BytesIO(base64.b64decode(own["thumbnail"][len(JPEG_URI) :])))
    assert image.format == "JPEG" and image.size == (48, 48)
    PriceExplanation.model_validate(body)


def test_a_multipart_form_gets_the_same_explanation(client: TestClient) -> None:
    photo = jpeg()
    as_json = client.post("/v1/explain", json={**LISTING, "photo": b64(photo)}).json()
    form = {k: str(v) for k, v in LISTING.items()}
    as_form = client.post("/v1/explain", data=form, files={"photo": ("a.jpg", photo, "image/jpeg")})
    assert as_form.status_code == 200, as_form.text
    assert as_form.json() == as_json


def test_a_feature_the_listing_lacks_moves_nothing(client: TestClient) -> None:
    body = client.post("/v1/explain", json={"year": 2001}).json()
    by_feature = {c["feature"]: c for c in body["contributions"]}
    for absent in ("brand", "description", "photo"):
        assert by_feature[absent]["log_price"] == pytest.approx(0, abs=1e-12)
        assert by_feature[absent]["ratio"] == pytest.approx(1)
    assert by_feature["year"]["ratio"] == pytest.approx(
        expected_price(2001) / body["baseline_price"]
    )


@pytest.mark.parametrize(
    ("query", "count"), [("", 5), ("?comparables=0", 0), ("?comparables=2", 2)]
)
def test_the_comparables_parameter_says_how_many(
    client: TestClient, query: str, count: int
) -> None:
    response = client.post(f"/v1/explain{query}", json=LISTING)
    assert response.status_code == 200, response.text
    assert len(response.json()["comparables"]) == count


def test_asking_for_more_comparables_than_there_are_gives_them_all(client: TestClient) -> None:
    body = client.post("/v1/explain?comparables=50", json=LISTING).json()
    assert sorted(c["id"] for c in body["comparables"]) == sorted(s[0] for s in SOLD)
    without_photo = next(c for c in body["comparables"] if c["id"] == "S004")
    assert without_photo["thumbnail"] is None  # present, and null


@pytest.mark.parametrize(
    ("value", "msg"),
    [
        ("51", "51 is above the maximum 50"),
        ("-1", "-1 is below the minimum 0"),
        ("9" * 40, "is above the maximum 50"),
        ("abc", "must be a whole number from 0 to 50, got 'abc'"),
        ("2.5", "must be a whole number from 0 to 50, got '2.5'"),
        ("", "must be a whole number from 0 to 50, got ''"),
    ],
)
def test_comparables_out_of_range_is_422_naming_the_parameter_and_its_limits(
    client: TestClient, value: str, msg: str
) -> None:
    response = client.post(f"/v1/explain?comparables={value}", json=LISTING)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "comparables"]
    assert msg in error["msg"]
    assert error["ctx"] == {"min": 0, "max": 50}


def test_comparables_given_twice_is_422(client: TestClient) -> None:
    response = client.post("/v1/explain?comparables=1&comparables=2", json=LISTING)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "duplicate"


BAD_REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("year below", {"json": {"year": 1800}}),
    ("year above", {"json": {"year": 2031}}),
    ("year not whole", {"json": {"year": 2001.5}}),
    ("year missing", {"json": {"brand": "x"}}),
    ("text too long", {"json": {"year": 2001, "description": "y" * 201}}),
    ("text too long as sent", {"json": {"year": 2001, "brand": " " + "b" * 40}}),
    ("unknown field", {"json": {"year": 2001, "colour": "red"}}),
    ("wrong type", {"json": {"year": 2001, "brand": 12}}),
    ("not an object", {"json": [1, 2]}),
    ("photo not base64", {"json": {"year": 2001, "photo": "not base64 !!"}}),
    ("photo over bytes", {"json": {"year": 2001, "photo": b64(noisy_png(90))}}),
    ("photo over pixels", {"json": {"year": 2001, "photo": b64(jpeg((101, 100)))}}),
    ("form year not a number", {"data": {"year": "nineteen"}}),
    ("form field twice", {"files": [("year", (None, "2001")), ("year", (None, "2002"))]}),
    ("form raw photo text", {"files": {"year": (None, "2015"), "photo": (None, jpeg())}}),
    ("form file not a photo field", {"files": {"year": (None, "2015"), "brand": ("b", b"x")}}),
    (
        "form photo over bytes",
        {"data": {"year": "2001"}, "files": {"photo": ("a.png", noisy_png(90), "image/png")}},
    ),
    (
        "form decompression bomb",
        {"data": {"year": "2001"}, "files": {"photo": ("b.png", bomb_png(), "image/png")}},
    ),
    (
        "form photo not an image",
        {"data": {"year": "2001"}, "files": {"photo": ("x.jpg", b"not an image", "image/jpeg")}},
    ),
    ("text/plain", {"content": b"year=2001", "headers": {"content-type": "text/plain"}}),
    ("no content type", {"content": b"year=2001"}),
    *(
        (f"malformed {kind} {i}", {"content": body, "headers": {"content-type": kind}})
        for i, (kind, body) in enumerate(MALFORMED)
    ),
]


@pytest.mark.parametrize(
    "request_kwargs", [r for _, r in BAD_REQUESTS], ids=[n for n, _ in BAD_REQUESTS]
)
def test_a_bad_listing_gets_the_answer_predict_gives(
    client: TestClient, request_kwargs: dict[str, Any]
) -> None:
    predicted = client.post("/v1/predict", **request_kwargs)
    explained = client.post("/v1/explain", **request_kwargs)
    assert 400 <= predicted.status_code < 500, predicted.text
    assert (explained.status_code, explained.json()) == (predicted.status_code, predicted.json())


def test_a_body_over_the_limit_is_413_as_for_predict(start_app: StartApp) -> None:
    client = start_app(max_body_bytes=4096)
    big = {"year": 2001, "description": "x" * 5000}
    predicted, explained = (client.post(p, json=big) for p in ("/v1/predict", "/v1/explain"))
    assert explained.status_code == 413
    assert explained.json() == predicted.json()


def test_a_model_logged_without_explanation_data_is_409_and_still_prices(
    start_app: StartApp,
) -> None:
    client = start_app(FakePredictor(explainable=False))
    response = client.post("/v1/explain", json=LISTING)
    assert response.status_code == 409, response.text
    [error] = response.json()["detail"]
    assert error["type"] == "not_explainable" and error["loc"] == []
    assert "version 1 was logged without explanation data" in error["msg"]
    assert client.post("/v1/predict", json=LISTING).status_code == 200
    # Whatever the body: no listing can change the answer, so it is not read.
    assert client.post("/v1/explain", json={"year": 1800}).status_code == 409
    assert (
        client.post("/v1/explain", content=b"x", headers={"content-type": "a/b"}).status_code == 409
    )


def test_no_model_yet_is_503_with_retry_after(start_app: StartApp) -> None:
    release = threading.Event()

    def slow_factory(uri: str, settings: RuntimeSettings) -> FakePredictor:
        release.wait(10)
        return FakePredictor()

    client = start_app(factory=slow_factory, wait=False)
    response = client.post("/v1/explain", json=LISTING)
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.json()["detail"][0]["type"] == "unavailable"
    release.set()
    wait_ready(client)
    assert client.post("/v1/explain", json=LISTING).status_code == 200


def test_a_queue_too_small_for_the_coalition_rows_is_409_naming_the_setting(
    start_app: StartApp,
) -> None:
    client = start_app(max_queue=8)  # an explanation queues 2^4 = 16 rows at once
    response = client.post("/v1/explain", json=LISTING)
    assert response.status_code == 409  # a retry could never fit: not a 503
    message = response.json()["detail"][0]["msg"]
    assert "needs 16 places in the queue" in message and "APPRAISER_MAX_QUEUE is 8" in message
    assert client.post("/v1/predict", json=LISTING).status_code == 200


def test_explanations_are_counted_under_their_route(client: TestClient) -> None:
    client.post("/v1/explain", json=LISTING)
    client.post("/v1/explain?comparables=99", json=LISTING)
    text = client.get("/metrics").text
    latency = 'appraiser_request_duration_seconds_count{method="POST",route="/v1/explain"'
    assert f'{latency},status="200"}} 1.0' in text
    assert f'{latency},status="422"}} 1.0' in text


def test_openapi_documents_explain_with_the_listing_body_parameter_and_example(
    client: TestClient,
) -> None:
    doc = client.get("/openapi.json").json()
    operation = doc["paths"]["/v1/explain"]["post"]
    assert operation["requestBody"] == doc["paths"]["/v1/predict"]["post"]["requestBody"]
    [parameter] = operation["parameters"]
    assert parameter["name"] == "comparables" and parameter["in"] == "query"
    assert parameter["schema"] == {"type": "integer", "minimum": 0, "maximum": 50, "default": 5}
    assert {"409", "413", "415", "422", "503"} <= set(operation["responses"])
    answer = operation["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/PriceExplanation"}
    example = PriceExplanation.model_validate(answer["example"])
    assert [c.feature for c in example.contributions] == FEATURES
    product = example.baseline_price * math.prod(c.ratio for c in example.contributions)
    assert product == pytest.approx(example.price, rel=1e-3)
    assert example.comparables[0].thumbnail and example.comparables[0].thumbnail.startswith(
        JPEG_URI
    )
    assert "409" not in doc["paths"]["/v1/predict"]["post"]["responses"]
