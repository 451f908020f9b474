"""The Spark engine in local mode: one row per input row, the local engine's prices and errors."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.scoring.conftest import MODEL_URI, Store, read_table, run_score

pytestmark = pytest.mark.scoring
PRICES = ["price", "price_low", "price_high"]


def test_spark_engine_gives_the_local_prices_and_errors(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    listings = pd.read_csv(dataset / "listings.csv", dtype=str, keep_default_na=False)
    rows = listings.drop(columns=["id", "price"])
    rows.loc[3, "photo"] = "photos/nope.jpg"
    rows.loc[5, "year"] = "1800"
    rows.to_csv(dataset / "rows.csv", index=False)  # no id column: keyed by row number
    local = run_score(MODEL_URI, dataset / "rows.csv", tmp_path / "local.csv")
    assert local.exit_code == 0, local.output
    spark = run_score(
        MODEL_URI, dataset / "rows.csv", tmp_path / "spark.parquet",
        "--engine", "spark", "--chunk-size", "16",
    )  # fmt: skip
    assert spark.exit_code == 0, spark.output
    # At least one task per chunk of 16; more where Spark sees more cores (its default parallelism).
    tasks = re.search(r"in (\d+) Spark tasks on local\[\*\]", spark.output)
    assert tasks is not None, spark.output
    assert int(tasks.group(1)) >= math.ceil(len(rows) / 16)
    want, got = read_table(tmp_path / "local.csv"), read_table(tmp_path / "spark.parquet")
    assert got["row"].tolist() == list(range(1, len(rows) + 1))
    assert got["error"].tolist() == want["error"].tolist()
    assert "does not exist" in str(got.loc[3, "error"])
    assert "1800" in str(got.loc[5, "error"])
    np.testing.assert_allclose(got[PRICES], want[PRICES], rtol=1e-4)
    assert not (tmp_path / "spark.parquet.parts").exists()


def test_spark_engine_refuses_resume(store_env: Store, dataset: Path, tmp_path: Path) -> None:
    result = run_score(MODEL_URI, dataset, tmp_path / "out.csv", "--engine", "spark", "--resume")
    assert result.exit_code == 1
    assert "--resume works with the local engine" in result.output


def test_the_cli_and_the_local_engine_never_import_pyspark() -> None:
    code = (
        "import sys, appraise\n"
        "assert 'tensorflow' not in sys.modules, 'appraise --help would load TensorFlow'\n"
        "import service.scoring.job, service.api.app\n"
        "assert 'pyspark' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1000:]
