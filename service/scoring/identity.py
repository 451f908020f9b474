"""A job's identity, kept in the manifest: what must not change between a run and its --resume."""

from __future__ import annotations

from typing import Any

from service.inference.predictor import Predictor
from service.scoring.request import ScoreRequest
from service.scoring.source import Source


def identity(
    request: ScoreRequest, source: Source, predictor: Predictor, key: str
) -> dict[str, Any]:
    """The input file (path, size, modification time), the chunking, the key, the model and,
    for --explain, the comparables per row (its parts have other columns). A job that only
    prices has no `explain` entry, as its manifests had before explanations existed."""
    stat = source.path.stat()
    explained = {} if request.explain_k is None else {"explain": {"comparables": request.explain_k}}
    return {
        "input": str(source.path),
        "input_bytes": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "chunk_size": request.chunk_size,
        "key": key,
        "model": predictor.info.uri,  # pinned: an alias is recorded as the version it named
        "engine": str(request.engine),
        **explained,
    }
