"""The OpenAPI document is true to the service: schemathesis runs every operation it lists with all
its checks (no 5xx; every status documented, every body in its documented shape; schema-valid
requests accepted, schema-breaking ones refused; the key enforced where the document asks for it).

Two services: one without an API key, one with a key that the requests carry. `make test` runs
a few examples per operation, derandomized; `make fuzz` many more, from a seed it prints
(APPRAISER_FUZZ_EXAMPLES, APPRAISER_FUZZ_SEED).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi

from models.schema import FeatureType
from service.api.bodies import FORM
from tests.api.conftest import fake_app
from tests.api.fakes import fake_schema
from tests.waiting import eventually

pytestmark = pytest.mark.api
KEY = "k" * 12 + "-secret-key"
EXAMPLES = int(os.environ.get("APPRAISER_FUZZ_EXAMPLES", "50"))
SEED = os.environ.get("APPRAISER_FUZZ_SEED")
PHOTOS = {f.name for f in fake_schema().of_type(FeatureType.IMAGE)}
Case = schemathesis.Case[Any]


class Restartable:
    """The service as an ASGI app that builds itself afresh at each lifespan start: schemathesis'
    pytest plugin ends the lifespan after every test, and one app serves one lifespan only."""

    def __init__(self, **settings: Any) -> None:
        self.settings = settings
        self.app: FastAPI | None = None
        self.ready = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            assert self.app is not None
            return await self.app(scope, receive, send)
        self.app, self.ready = fake_app(**self.settings), False
        try:
            await self.app(scope, receive, send)
        finally:
            self.ready = False  # the model is gone with the lifespan

    def wait_ready(self) -> None:
        """Start the lifespan if it is not running and wait until the model is warm."""
        if not self.ready:
            with asgi.get_client(self) as client:
                eventually(lambda: client.get("/readyz").status_code == 200)
            self.ready = True


def contract(headers: dict[str, str] | None = None, **settings: Any) -> schemathesis.BaseSchema:
    """The document of a ready service (the request bodies are the loaded model's), bound to it."""
    config: dict[str, Any] = {
        # A photo is an image (contentMediaType image/*, the form's encoding), but schemathesis
        # draws any text or file for it: a schema-valid request may get the documented 415.
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "415"]}},
        "headers": headers or {},
    }
    if SEED is not None:
        config["seed"] = int(SEED)
    app = Restartable(**settings)
    app.wait_ready()
    return schemathesis.openapi.from_asgi(
        "/openapi.json", app, config=schemathesis.Config.from_dict(config)
    )


def only_a_photo_is_unsupported(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Case
) -> bool | None:
    """The 415 allowed above must blame photos only, never the content type of a schema-valid
    body; and a form's photo must have gone as a file part, as the document says."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if response.status_code != 415 or not positive:
        return None
    blamed = [item["loc"] for item in response.json()["detail"]]
    photos = [loc[1] for loc in blamed if len(loc) == 2 and loc[0] == "body" and loc[1] in PHOTOS]
    assert len(photos) == len(blamed), f"415 for {blamed}"
    if case.media_type == FORM:
        body = response.request.body
        sent = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else b""
        as_text = [p for p in photos if f'name="{p}"; filename='.encode() not in sent]
        assert not as_text, f"the form photos {as_text} went as text parts, not files"
    return True


# Loaded at import: schemathesis makes one test per operation when pytest collects this file
# (its fixture loader, `schemathesis.pytest.from_fixture`, fails under pytest 9.2).
CONTRACTS = {"open": contract(), "keyed": contract({"X-API-Key": KEY}, api_key=KEY)}


@schemathesis.pytest.parametrize(**CONTRACTS)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEED is None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],  # drawing speed is the machine's, not the API's
)
def test_the_service_keeps_its_openapi_document(case: Case) -> None:
    app = case.operation.schema.app
    assert isinstance(app, Restartable)
    app.wait_ready()
    case.call_and_validate(
        additional_checks=[only_a_photo_is_unsupported], excluded_checks=misread(case)
    )


def misread(case: Case) -> list[schemathesis.CheckFunction]:
    """Checks that misjudge `case`. A form carries text only, so a 'schema-breaking' integer in
    a text field arrives as valid text; schemathesis reads a form as sent before calling it
    schema-breaking, but not one with a file part (a photo), and then fails a right 2xx."""
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    body = case.body if isinstance(case.body, dict) else {}
    if negative and case.media_type == FORM and PHOTOS & set(body):
        return [schemathesis.checks.negative_data_rejection]
    return []
