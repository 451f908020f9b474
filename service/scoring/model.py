"""Load the scoring model: the service's predictor, warmed, or a ScoringError naming the URI."""

from __future__ import annotations

from service.inference.predictor import Predictor
from service.scoring.errors import ScoringError
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
