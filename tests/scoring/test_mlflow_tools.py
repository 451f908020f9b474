"""MLflow's own `mlflow models predict` scores raw rows with our logged model."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.scoring.conftest import MODEL_URI, Store, read_table, run_score

pytestmark = pytest.mark.scoring


def test_mlflow_models_predict_on_rows_with_photo_paths_and_base64(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    listings = pd.read_csv(dataset / "listings.csv", dtype=str, keep_default_na=False).head(8)
    rows = listings.drop(columns=["price"])
    rows.to_csv(dataset / "paths.csv", index=False)
    inline = rows.copy()
    inline["photo"] = [
        base64.b64encode((dataset / p).read_bytes()).decode() if p else "" for p in rows["photo"]
    ]
    inline.drop(columns=["id"]).to_csv(tmp_path / "rows.csv", index=False)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    predictions = tmp_path / "predictions.json"
    command = [
        "mlflow", "models", "predict", "-m", MODEL_URI, "-i", str(tmp_path / "rows.csv"),
        "-t", "csv", "-o", str(predictions), "--env-manager", "local",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    got = pd.DataFrame(json.loads(predictions.read_text())["predictions"])
    assert run_score(MODEL_URI, dataset / "paths.csv", tmp_path / "ours.csv").exit_code == 0
    ours = read_table(tmp_path / "ours.csv")
    assert (got["error"].fillna("") == "").all(), got["error"].tolist()
    prices = ["price", "price_low", "price_high"]
    np.testing.assert_allclose(got[prices], ours[prices], rtol=1e-4)
