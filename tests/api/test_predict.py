"""POST /v1/predict: JSON and multipart in, price and range out; every client error is a 4xx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.api.conftest import StartApp
from tests.api.fakes import (
    PHOTO_MAX_BYTES,
    FakePredictor,
    b64,
    bomb_png,
    expected_price,
    jpeg,
    noisy_png,
)

pytestmark = pytest.mark.api
DESCRIPTION = "wool coat, like new"
LISTING = {"brand": "Nordvik", "year": 2015, "description": DESCRIPTION}


def _detail(response: Response) -> list[dict[str, object]]:
    body = response.json()
    assert isinstance(body["detail"], list), body
    return body["detail"]


def test_json_listing_with_base64_photo_gets_price_range_and_model(client: TestClient) -> None:
    response = client.post("/v1/predict", json={**LISTING, "photo": b64(jpeg())})
    assert response.status_code == 200, response.text
    body = response.json()
    price = expected_price(2015, DESCRIPTION, photo=True)
    assert body["price"] == pytest.approx(price)
    assert body["price_range"] == {
        "low": pytest.approx(price * 0.8),
        "high": pytest.approx(price * 1.25),
    }
    assert body["model"] == {"name": "fake", "version": "1"}


def test_multipart_form_with_photo_file_gives_the_same_price(client: TestClient) -> None:
    as_json = client.post("/v1/predict", json={**LISTING, "photo": b64(jpeg())}).json()
    form = {k: str(v) for k, v in LISTING.items()}
    response = client.post(
        "/v1/predict", data=form, files={"photo": ("a.jpg", jpeg(), "image/jpeg")}
    )
    assert response.status_code == 200, response.text
    assert response.json() == as_json


def test_a_text_limit_counts_the_text_as_sent(client: TestClient) -> None:
    # The document's maxLength counts what is sent; the listing rules count the text trimmed.
    padded = " " + "b" * 40
    for response in (
        client.post("/v1/predict", json={"year": 2000, "brand": padded}),
        client.post("/v1/predict", data={"year": "2000", "brand": padded}),
    ):
        assert response.status_code == 422, response.text
        assert _detail(response) == [
            {
                "loc": ["body", "brand"],
                "msg": "is 41 characters long; the limit is 40",
                "type": "value_error",
                "ctx": {"max_chars": 40},
            }
        ]
    assert client.post("/v1/predict", json={"year": 2000, "brand": padded[1:]}).status_code == 200


def test_a_form_photo_sent_as_text_is_read_as_base64(client: TestClient) -> None:
    # A text part, not a file: base64 text is a photo (as in a plain HTML form); raw bytes are not.
    as_text = client.post(
        "/v1/predict", files={"year": (None, "2015"), "photo": (None, b64(jpeg()))}
    )
    assert as_text.status_code == 200, as_text.text
    assert as_text.json()["price"] == pytest.approx(expected_price(2015, photo=True))
    raw = client.post("/v1/predict", files={"year": (None, "2015"), "photo": (None, jpeg())})
    assert raw.status_code == 415, raw.text
    assert _detail(raw)[0]["loc"] == ["body", "photo"]


def test_optional_fields_and_photo_may_be_left_out(client: TestClient) -> None:
    response = client.post("/v1/predict", json={"year": 2000})
    assert response.status_code == 200, response.text
    assert response.json()["price"] == pytest.approx(expected_price(2000))
    empty_form = client.post(
        "/v1/predict", data={"year": "2000", "brand": ""}, files={"photo": ("", b"", "image/jpeg")}
    )
    assert empty_form.status_code == 200, empty_form.text
    assert empty_form.json()["price"] == pytest.approx(expected_price(2000))


@pytest.mark.parametrize(
    ("listing", "field", "problem", "limit"),
    [
        ({"year": 1800}, "year", "1800 is below the minimum 1960", {"min": 1960, "max": 2026}),
        ({"year": 2031}, "year", "2031 is above the maximum 2026", {"min": 1960, "max": 2026}),
        ({"year": 2001.5}, "year", "valid integer", None),
        ({"brand": "x"}, "year", "Field required", None),
        (
            {"year": 2001, "description": "y" * 201},
            "description",
            "is 201 characters long; the limit is 200",
            {"max_chars": 200},
        ),
        ({"year": 2001, "colour": "red"}, "colour", "Extra inputs are not permitted", None),
        ({"year": 2001, "brand": 12}, "brand", "valid string", None),
    ],
)
def test_invalid_field_is_422_naming_field_problem_and_limit(
    client: TestClient,
    listing: dict[str, object],
    field: str,
    problem: str,
    limit: dict[str, int] | None,
) -> None:
    response = client.post("/v1/predict", json=listing)
    assert response.status_code == 422, response.text
    [error] = _detail(response)
    assert error["loc"] == ["body", field]
    assert problem in str(error["msg"])
    if limit:
        assert error["ctx"] == limit


def test_invalid_form_field_is_422_too(client: TestClient) -> None:
    response = client.post("/v1/predict", data={"year": "nineteen"})
    assert response.status_code == 422
    assert _detail(response)[0]["loc"] == ["body", "year"]
    twice = client.post("/v1/predict", files=[("year", (None, "2001")), ("year", (None, "2002"))])
    assert twice.status_code == 422 and "more than once" in str(_detail(twice)[0]["msg"])


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b"{not json", "json_invalid"), (b"[1, 2]", "dict_type"), (b"\xff\xfe", "json_invalid")],
)
def test_body_that_is_not_a_json_object_is_422(client: TestClient, body: bytes, kind: str) -> None:
    response = client.post(
        "/v1/predict", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert _detail(response)[0]["loc"] == ["body"]
    assert _detail(response)[0]["type"] == kind


def test_photo_over_byte_limit_is_413_as_json_and_as_file(client: TestClient) -> None:
    big = noisy_png(90)
    assert len(big) > PHOTO_MAX_BYTES
    as_json = client.post("/v1/predict", json={"year": 2001, "photo": b64(big)})
    as_file = client.post(
        "/v1/predict", data={"year": "2001"}, files={"photo": ("a.png", big, "image/png")}
    )
    for response in (as_json, as_file):
        assert response.status_code == 413, response.text
        [error] = _detail(response)
        assert error["loc"] == ["body", "photo"]
        assert str(PHOTO_MAX_BYTES) in str(error["msg"])
        assert error["ctx"] == {"max_bytes": PHOTO_MAX_BYTES, "max_pixels": 10_000}


def test_photo_over_pixel_limit_is_413(client: TestClient) -> None:
    response = client.post("/v1/predict", json={"year": 2001, "photo": b64(jpeg((101, 100)))})
    assert response.status_code == 413, response.text
    assert "10100 pixels; the limit is 10000" in str(_detail(response)[0]["msg"])


def test_decompression_bomb_is_413(client: TestClient) -> None:
    bomb = bomb_png()
    assert len(bomb) < 200
    response = client.post(
        "/v1/predict", data={"year": "2001"}, files={"photo": ("b.png", bomb, "image/png")}
    )
    assert response.status_code == 413, response.text
    assert _detail(response)[0]["loc"] == ["body", "photo"]


@pytest.mark.parametrize("photo", [b"this is not an image", b"GIF89a" + b"\x00" * 40])
def test_undecodable_photo_is_415(client: TestClient, photo: bytes) -> None:
    response = client.post(
        "/v1/predict", data={"year": "2001"}, files={"photo": ("x.jpg", photo, "image/jpeg")}
    )
    assert response.status_code == 415, response.text
    assert _detail(response)[0]["loc"] == ["body", "photo"]


def test_photo_text_that_is_not_base64_is_415(client: TestClient) -> None:
    response = client.post("/v1/predict", json={"year": 2001, "photo": "not base64 !!"})
    assert response.status_code == 415, response.text


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
def test_unsupported_content_type_is_415(client: TestClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/v1/predict", content=b"year=2001", headers=headers)
    assert response.status_code == 415, response.text
    [error] = _detail(response)
    assert error["loc"] == ["header", "content-type"]
    assert "application/json" in str(error["msg"])


def test_body_over_limit_is_413_before_it_is_read(start_app: StartApp) -> None:
    client = start_app(max_body_bytes=4096)
    declared = client.post(
        "/v1/predict",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": "999999"},
    )
    assert declared.status_code == 413
    assert _detail(declared)[0]["ctx"] == {"max_bytes": 4096}

    def chunks() -> object:  # no Content-Length: the limit must count streamed bytes
        for _ in range(10):
            yield b" " * 1024

    streamed = client.post(
        "/v1/predict", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    big_file = client.post(
        "/v1/predict", data={"year": "2001"}, files={"photo": ("a.png", b"x" * 8000)}
    )
    assert big_file.status_code == 413


def test_service_keeps_serving_after_client_errors(client: TestClient) -> None:
    client.post("/v1/predict", json={"year": 1})
    client.post("/v1/predict", content=b"junk", headers={"content-type": "text/plain"})
    client.post("/v1/predict", data={"year": "2001"}, files={"photo": ("b.png", bomb_png())})
    response = client.post("/v1/predict", json={"year": 2001})
    assert response.status_code == 200


def test_a_server_bug_is_a_logged_500_and_the_service_keeps_serving(
    start_app: StartApp, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakePredictor()
    client = start_app(fake)
    fake.broken = True
    response = client.post("/v1/predict", json={"year": 2001})
    assert response.status_code == 500
    assert _detail(response)[0]["msg"] == "internal server error"
    assert "a bug in the forward pass" in caplog.text
    fake.broken = False
    assert client.post("/v1/predict", json={"year": 2001}).status_code == 200


MALFORMED = [
    ("application/json", b"[" * 100_000),  # nesting deep enough to break a recursive parser
    ("application/json", b'{"year": ' + b"9" * 5000 + b"}"),  # over Python's int digit limit
    ("application/json", b'{"year": 1e400}'),
    ("application/json", b'{"year": NaN}'),
    ("application/json", b'{"year": 2000, "photo": ["a"]}'),
    ("multipart/form-data", b"year=2000"),  # no boundary
    ("multipart/form-data; boundary=xyz", b"garbage"),
    (
        "multipart/form-data; boundary=xyz",
        b"--xyz\r\nContent-Disposition: form-data\r\n\r\n1\r\n--xyz--\r\n",
    ),
    ("application/x-www-form-urlencoded", b"\xff\xfe=\xff"),
    ("application/x-www-form-urlencoded", b"year=2000&photo=%ZZ"),
]


@pytest.mark.parametrize(
    ("content_type", "body"), [(kind, body) for kind, body in MALFORMED if "multipart" in kind]
)
def test_a_form_that_cannot_be_parsed_is_a_422_as_for_json(
    client: TestClient, content_type: str, body: bytes
) -> None:
    response = client.post("/v1/predict", content=body, headers={"content-type": content_type})
    assert response.status_code == 422, response.text
    assert _detail(response)[0]["type"] == "form_invalid"
    assert _detail(response)[0]["loc"] == ["body"]


@pytest.mark.parametrize(("content_type", "body"), MALFORMED)
@pytest.mark.parametrize("path", ["/v1/predict", "/v1/predict/batch"])
def test_malformed_bodies_are_client_errors_never_500(
    client: TestClient, path: str, content_type: str, body: bytes
) -> None:
    response = client.post(path, content=body, headers={"content-type": content_type})
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert isinstance(response.json()["detail"], list)
