"""The README shows the error text the API really sends."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.api
README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readmes_error_example_is_what_the_api_answers(client: TestClient) -> None:
    match = re.search(r"`(\{\"year\": \d+\})` gets\n\n```json\n(.*?)\n```", README.read_text())
    assert match, "the README shows an error answer for a listing"
    sent, shown = json.loads(match[1]), json.loads(match[2])
    for path, body in (("/v1/predict", sent), ("/v1/predict/batch", {"listings": [sent]})):
        answer = client.post(path, json=body).json()
        detail = answer.get("detail") or answer["predictions"][0]["error"]["detail"]
        for item in detail:
            item["loc"] = ["body", *item["loc"][3:]] if len(item["loc"]) > 3 else item["loc"]
        assert {"detail": detail} == shown, path
