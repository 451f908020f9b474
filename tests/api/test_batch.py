"""POST /v1/predict/batch: answers in request order; a bad listing fails alone."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import StartApp
from tests.api.fakes import FakePredictor, b64, bomb_png, expected_price, jpeg

pytestmark = pytest.mark.api


def test_batch_answers_in_order_and_one_bad_listing_fails_alone(client: TestClient) -> None:
    listings = [
        {"year": 2001, "description": "a"},
        {"year": 1800},
        {"year": 2002, "photo": b64(jpeg())},
        {"year": 2003, "photo": b64(bomb_png())},
        {"year": 2004, "photo": "%%%"},
        "not an object",
        {"year": 2005, "description": "abc"},
    ]
    response = client.post("/v1/predict/batch", json={"listings": listings})
    assert response.status_code == 200, response.text
    out = response.json()["predictions"]
    assert len(out) == len(listings)
    assert out[0]["price"] == pytest.approx(expected_price(2001, "a"))
    assert out[2]["price"] == pytest.approx(expected_price(2002, photo=True))
    assert out[6]["price"] == pytest.approx(expected_price(2005, "abc"))
    assert out[6]["model"] == {"name": "fake", "version": "1"}
    statuses = {i: out[i]["error"]["status"] for i in (1, 3, 4, 5)}
    assert statuses == {1: 422, 3: 413, 4: 415, 5: 422}
    assert out[1]["error"]["detail"][0]["loc"] == ["body", "listings", 1, "year"]
    assert out[1]["error"]["detail"][0]["msg"] == "1800 is below the minimum 1960"
    assert out[1]["error"]["detail"][0]["ctx"] == {"min": 1960, "max": 2026}
    assert out[3]["error"]["detail"][0]["loc"] == ["body", "listings", 3, "photo"]


def test_batch_shares_forward_passes(start_app: StartApp) -> None:
    fake = FakePredictor(forward_delay_s=0.01)
    client = start_app(fake)
    listings = [{"year": 1970 + i} for i in range(20)]
    out = client.post("/v1/predict/batch", json={"listings": listings}).json()["predictions"]
    assert [p["price"] for p in out] == [pytest.approx(expected_price(1970 + i)) for i in range(20)]
    assert sum(fake.forward_sizes) == 20
    assert len(fake.forward_sizes) < 20, fake.forward_sizes


def test_batch_size_limit_and_shape(start_app: StartApp) -> None:
    client = start_app(max_batch_listings=3)
    too_many = client.post("/v1/predict/batch", json={"listings": [{"year": 2000}] * 4})
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["ctx"] == {"max_length": 3}
    bodies: list[object] = [{"listings": []}, {"items": []}, [{"year": 2000}]]
    for body in bodies:
        response = client.post("/v1/predict/batch", json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["loc"][:2] == ["body", "listings"]


def test_batch_needs_json(client: TestClient) -> None:
    response = client.post("/v1/predict/batch", data={"year": "2000"})
    assert response.status_code == 415


# Listings each route must refuse alike: field rules, types, names, photos, text encodings.
BAD_LISTINGS: list[object] = [
    {"year": 2031},
    {"year": 1800, "description": "d"},
    {"year": "nineteen"},
    {"year": 2001.5},
    {"year": True},
    {"brand": "x"},
    {"year": 2001, "description": "y" * 201},
    {"year": 2001, "colour": "red"},
    {"year": 2001, "brand": 12},
    {"year": 2001, "photo": "not base64 !!"},
    {"year": 2001, "photo": ["a"]},
    {"year": 2001, "photo": b64(bomb_png())},
    {"year": None},
    "not an object",
    [1, 2],
]


@pytest.mark.parametrize("listing", BAD_LISTINGS, ids=lambda x: str(x)[:30])
def test_a_bad_listing_gets_the_same_answer_alone_and_in_a_batch(
    client: TestClient, listing: object
) -> None:
    alone = client.post("/v1/predict", json=listing)
    batch = client.post("/v1/predict/batch", json={"listings": [listing, {"year": 2001}]})
    assert 400 <= alone.status_code < 500, alone.text
    assert batch.status_code == 200, batch.text
    entry, good = batch.json()["predictions"]
    assert "price" in good
    detail = entry["error"]["detail"]
    for item in detail:  # the batch names the listing: ["body", "listings", 0, field...]
        assert item["loc"][:3] == ["body", "listings", 0]
        item["loc"] = ["body", *item["loc"][3:]]
    assert (entry["error"]["status"], detail) == (alone.status_code, alone.json()["detail"])


# Bodies that are not JSON: both routes say so in the same words.
BAD_JSON = [b"{not json", b"\xff\xfe", b'{"year": NaN}', b'{"description": "\\ud800"}', b"[" * 5000]


@pytest.mark.parametrize("body", BAD_JSON)
def test_a_body_that_is_not_json_gets_the_same_answer_from_both_routes(
    client: TestClient, body: bytes
) -> None:
    headers = {"content-type": "application/json"}
    alone = client.post("/v1/predict", content=body, headers=headers)
    batch = client.post("/v1/predict/batch", content=body, headers=headers)
    assert alone.status_code == batch.status_code == 422, alone.text
    assert alone.json() == batch.json()
    assert alone.json()["detail"][0]["type"] == "json_invalid"
