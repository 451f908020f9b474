"""The one request stream every benchmark step sends: a fixed, seeded list of listings.

The same listings go to the in-process limit, this service, mlflow serve and the tutorial app;
only the envelope differs (our JSON body, or MLflow's `dataframe_records`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.pool import Listing, Pool, parse_sources

STREAM_SEED = 20


def request_stream(data: str, count: int, seed: int = STREAM_SEED) -> list[Listing]:
    """`count` listings drawn from the `DIR:WEIGHT,...` folders, the same every run."""
    return Pool(parse_sources(data), per_folder=None).stream(count, seed)


def service_body(listing: Listing) -> dict[str, Any]:
    """The body of POST /v1/predict (and of the tutorial app, which takes the same JSON)."""
    return listing.as_json()


def mlflow_body(listing: Listing) -> dict[str, Any]:
    """The body of mlflow serve's /invocations: one record in `dataframe_records` form."""
    return {"dataframe_records": [listing.as_json()]}


def write_bodies(listings: list[Listing], folder: Path, kind: str) -> Path:
    """One JSON file per request (`0.json`, `1.json`, ...) for wrk's Lua script to cycle."""
    build = mlflow_body if kind == "mlflow" else service_body
    folder.mkdir(parents=True, exist_ok=True)
    for index, listing in enumerate(listings):
        (folder / f"{index}.json").write_text(json.dumps(build(listing)))
    return folder
