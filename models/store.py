"""Where models are kept: one default shared by training, which logs there, and serving.

`MLFLOW_TRACKING_URI` (or an explicit URI) wins; otherwise a SQLite file in the working
directory, so that nothing needs a server.
"""

from __future__ import annotations

import os
from pathlib import Path

LOCAL_STORE = "mlflow.db"


def configure_tracking(tracking_uri: str | None = None) -> str:
    """Point MLflow at `tracking_uri`, else MLFLOW_TRACKING_URI, else ./mlflow.db; the URI used."""
    uri = (
        tracking_uri
        or os.environ.get("MLFLOW_TRACKING_URI")
        or f"sqlite:///{Path.cwd() / LOCAL_STORE}"
    )
    import mlflow  # here, not at import: the API layer and its tests need no MLflow

    mlflow.set_tracking_uri(uri)
    return uri
