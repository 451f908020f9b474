"""The requests a load test sends, as plain bytes: the same builders feed locust and the tests.

Each builder returns a `Call` (path, body, content type, the statuses that count as success), so
a test can send exactly what locust sends through FastAPI's TestClient, and locust's light
FastHttpUser (which has no multipart support of its own) can send a multipart upload.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.pool import Listing, Pool

JSON = "application/json"
PREDICT = "/v1/predict"
BATCH = "/v1/predict/batch"
MAX_BATCH = 16  # listings per batch call: a client sending a page of listings


@dataclass(frozen=True)
class Call:
    """One HTTP request and what a correct service answers to it."""

    name: str  # the label in locust's statistics
    path: str
    body: bytes
    content_type: str
    expect: frozenset[int] = frozenset({200})
    listings: int = 1  # how many predictions a 200 must hold (batch calls)

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type}


def json_call(name: str, path: str, payload: Any, expect: int = 200, listings: int = 1) -> Call:
    """A JSON request."""
    body = json.dumps(payload).encode()
    return Call(name, path, body, JSON, frozenset({expect}), listings)


def predict_json(listing: Listing) -> Call:
    """One listing as JSON, its photo (if any) as base64 text."""
    name = "predict json" if listing.photo is not None else "predict json, no photo"
    return json_call(name, PREDICT, listing.as_json())


def predict_no_photo(listing: Listing) -> Call:
    """The listing's fields alone: a listing without a photo is a normal input."""
    return json_call("predict json, no photo", PREDICT, listing.fields)


def predict_multipart(listing: Listing) -> Call:
    """One listing as a multipart form with the photo as a file part, as a browser uploads it."""
    files = {"photo": listing.photo} if listing.photo is not None else {}
    body, content_type = multipart({k: str(v) for k, v in listing.fields.items()}, files)
    return Call("predict multipart", PREDICT, body, content_type)


def predict_batch(listings: list[Listing]) -> Call:
    """Several listings in one batch call; a 200 must price every one of them."""
    payload = {"listings": [item.as_json() for item in listings]}
    return json_call("predict batch", BATCH, payload, listings=len(listings))


def multipart(fields: dict[str, str], files: dict[str, bytes]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type (with the boundary)."""
    boundary = uuid.uuid4().hex
    parts = [_part(boundary, f'name="{k}"', v.encode()) for k, v in fields.items()]
    parts += [
        _part(boundary, f'name="{k}"; filename="{k}.jpg"', data, "image/jpeg")
        for k, data in files.items()
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _part(boundary: str, disposition: str, data: bytes, kind: str | None = None) -> bytes:
    head = f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n"
    if kind:
        head += f"Content-Type: {kind}\r\n"
    return head.encode() + b"\r\n" + data + b"\r\n"


def bad_calls(listing: Listing) -> list[Call]:
    """Inputs a client gets wrong, each with the 4xx a correct service answers."""
    fields = listing.fields
    not_a_photo = {**fields, "photo": "bm90IGEgcGhvdG8gYXQgYWxs"}  # base64 of plain text
    return [
        json_call("bad: year out of range", PREDICT, {**fields, "year": 2999}, 422),
        json_call(
            "bad: missing year", PREDICT, {k: v for k, v in fields.items() if k != "year"}, 422
        ),
        json_call("bad: unknown field", PREDICT, {**fields, "colour": "red"}, 422),
        json_call("bad: photo not an image", PREDICT, not_a_photo, 415),
        json_call("bad: empty batch", BATCH, {"listings": []}, 422),
        Call("bad: not JSON", PREDICT, b'{"brand": "Nordvik", ', JSON, frozenset({422})),
        Call("bad: content type", PREDICT, b"brand=x", "text/plain", frozenset({415})),
    ]


def pick_bad(pool: Pool, rng: random.Random) -> Call:
    """One bad request, of a kind drawn at random."""
    return rng.choice(bad_calls(pool.draw(rng)))


def check_answer(call: Call, status: int, body: bytes) -> str | None:
    """Why the answer is wrong, or None when it is what a correct service says."""
    if status not in call.expect:
        return f"status {status}, expected {sorted(call.expect)}: {body[:200]!r}"
    if status != 200:
        return None
    data = json.loads(body)
    if call.path == BATCH:
        priced = [p for p in data.get("predictions", []) if "price" in p]
        if len(priced) != call.listings:
            return f"{len(priced)} of {call.listings} listings priced: {body[:200]!r}"
    elif not data.get("price", 0) > 0:
        return f"no positive price in {body[:200]!r}"
    return None


Builder = Callable[[Pool, random.Random], Call]
BUILDERS: dict[str, Builder] = {
    "json": lambda pool, rng: predict_json(pool.with_photo(rng)),
    "multipart": lambda pool, rng: predict_multipart(pool.with_photo(rng)),
    "batch": lambda pool, rng: predict_batch(
        [pool.draw(rng) for _ in range(rng.randint(2, MAX_BATCH))]
    ),
    "no_photo": lambda pool, rng: predict_no_photo(pool.draw(rng)),
    "bad": pick_bad,
}
DEFAULT_MIX = "json:60,multipart:15,batch:5,no_photo:15,bad:5"


def parse_mix(spec: str) -> dict[str, int]:
    """`kind:weight,...` → weights; names the unknown kind when there is one."""
    mix: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kind, _, weight = part.partition(":")
        if kind not in BUILDERS:
            raise ValueError(f"unknown request kind {kind!r}; known: {', '.join(BUILDERS)}")
        mix[kind] = int(weight or 1)
    if not any(mix.values()):
        raise ValueError(f"mix {spec!r} has no request kind with a positive weight")
    return mix
