"""The load test's requests, sent to the real app (fake forward pass): every good request is
priced, every bad one gets the 4xx the load test counts as success, and the judge agrees."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bench.pool import Listing, Pool, Source, parse_sources
from loadtests.traffic import (
    BUILDERS,
    Call,
    bad_calls,
    check_answer,
    parse_mix,
    predict_batch,
    predict_json,
    predict_multipart,
    predict_no_photo,
)
from models.schema import clothing_schema
from tests.api.conftest import StartApp
from tests.api.fakes import FakePredictor
from training.synth import write_synthetic_dataset

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Pool:
    """Two tiny synthetic folders with photos of two sizes, as `make loadtest` makes them."""
    root = tmp_path_factory.mktemp("pool")
    write_synthetic_dataset(root / "small", rows=12, seed=1, photo_size=32, workers=1)
    write_synthetic_dataset(root / "large", rows=4, seed=2, photo_size=200, workers=1)
    return Pool([Source(root / "small", 3), Source(root / "large", 1)])


@pytest.fixture
def client(start_app: StartApp) -> TestClient:
    """The real app around a fake with the real clothing schema and limits."""
    fake = FakePredictor()
    fake.schema = clothing_schema()
    return start_app(fake)


def send(client: TestClient, call: Call) -> str | None:
    response = client.post(call.path, content=call.body, headers=call.headers)
    return check_answer(call, response.status_code, response.content)


def test_every_good_request_kind_is_priced(client: TestClient, pool: Pool) -> None:
    rng = random.Random(4)
    calls = [
        predict_json(pool.with_photo(rng)),
        predict_multipart(pool.with_photo(rng)),
        predict_no_photo(pool.draw(rng)),
        predict_batch([pool.draw(rng) for _ in range(5)]),
    ]
    assert [send(client, call) for call in calls] == [None] * len(calls)


def test_every_bad_request_gets_its_4xx(client: TestClient, pool: Pool) -> None:
    calls = bad_calls(pool.draw(random.Random(5)))
    assert all(400 <= min(c.expect) < 500 for c in calls)
    assert {c.name: send(client, c) for c in calls} == {c.name: None for c in calls}


def test_the_mix_builders_all_give_accepted_answers(client: TestClient, pool: Pool) -> None:
    rng = random.Random(6)
    for kind in parse_mix("json,multipart,batch,no_photo,bad"):
        assert send(client, BUILDERS[kind](pool, rng)) is None, kind


def test_the_judge_fails_wrong_answers() -> None:
    call = predict_batch([])
    assert check_answer(call, 500, b"boom") is not None
    bad = bad_calls(Listing({"brand": "Nordvik", "year": 2015, "description": "coat"}, None))[0]
    assert check_answer(bad, 200, b'{"price": 3.0}') is not None
    two = Call("batch", "/v1/predict/batch", b"{}", "application/json", listings=2)
    assert check_answer(two, 200, b'{"predictions": [{"price": 1.0}, {"error": {}}]}')


def test_sources_and_mix_parse_and_refuse_nonsense() -> None:
    assert parse_sources("a:3,b") == [Source(Path("a"), 3.0), Source(Path("b"), 1.0)]
    assert parse_mix("json:2,bad") == {"json": 2, "bad": 1}
    with pytest.raises(ValueError, match="unknown request kind"):
        parse_mix("jsn:1")
    with pytest.raises(ValueError, match="no dataset folder"):
        parse_sources(" , ")
