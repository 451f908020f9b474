"""Load the scoring model: the service's predictor, warmed, or a ScoringError naming the URI."""

from __future__ import annotations

from models.explain_columns import explanation_columns
from service.inference.predictor import Predictor
from service.scoring.errors import ScoringError
from service.scoring.request import ScoreRequest
from service.scoring.settings import ScoringSettings


def load_warm(uri: str, settings: ScoringSettings) -> Predictor:
    """Load `uri` (an MLflow URI or a local model folder) and trace every batch shape once."""
    from service.inference.loading import ModelLoadError, load_predictor

    try:
        predictor = load_predictor(uri, settings)
    except ModelLoadError as exc:
        raise ScoringError(f"model {exc}") from exc
    predictor.warm()
    return predictor


def added_columns(predictor: Predictor, request: ScoreRequest) -> list[str]:
    """The columns --explain adds to the output (none without it); a ScoringError, before any
    row is scored, for a model logged without explanation data."""
    if not request.explain:
        return []
    if predictor.explainer is None:
        raise ScoringError(
            f"model {request.model_uri} (version {predictor.info.version}) was logged without "
            "explanation data (trained before explanations existed), so --explain cannot "
            "explain its prices: train it again, or score without --explain"
        )
    return explanation_columns(predictor.explainer)
