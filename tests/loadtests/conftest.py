"""The API tests' app fixture: the real app factory around a fake predictor."""

from tests.api.conftest import start_app

__all__ = ["start_app"]
