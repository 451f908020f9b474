"""The Spark engine on a real standalone cluster (a master and a worker on localhost): the model
reaches the executors outside local mode, and they give the local engine's prices and errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.scoring.conftest import MODEL_URI, Store, read_table, run_score
from tests.scoring.spark_cluster import HOST, Cluster, standalone_cluster

pytestmark = pytest.mark.scoring
PRICES = ["price", "price_low", "price_high"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One master and one worker (1 core, 1 GB) for this module, stopped at its end."""
    with standalone_cluster(tmp_path_factory.mktemp("spark-cluster")) as running:
        yield running


def test_cluster_gives_the_local_prices_and_reports_bad_rows(
    cluster: Cluster,
    store_env: Store,
    dataset: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The driver names the executors' interpreter (PySpark sends its PYSPARK_PYTHON with each
    # task) and must be reachable from them at the address the cluster listens on.
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    monkeypatch.setenv("SPARK_LOCAL_IP", HOST)
    listings = pd.read_csv(dataset / "listings.csv", dtype=str, keep_default_na=False)
    listings.loc[3, "photo"] = "photos/nope.jpg"
    listings.loc[5, "year"] = "1800"
    listings.to_csv(dataset / "listings.csv", index=False)
    local = run_score(MODEL_URI, dataset, tmp_path / "local.csv")
    assert local.exit_code == 0, local.output
    spark = run_score(
        MODEL_URI, dataset, tmp_path / "cluster.parquet",
        "--engine", "spark", "--spark-master", cluster.master, "--chunk-size", "16",
    )  # fmt: skip
    assert spark.exit_code == 0, f"{spark.output}\nlogs: {cluster.logs}"
    assert f"Spark tasks on {cluster.master}" in spark.output
    # The rows were scored by the worker's executor, not in the driver.
    assert list(cluster.work.glob("app-*/*/stderr")), f"no executor ran; logs: {cluster.logs}"
    want, got = read_table(tmp_path / "local.csv"), read_table(tmp_path / "cluster.parquet")
    assert got["id"].tolist() == listings["id"].tolist()  # every row, in input order
    assert got["error"].tolist() == want["error"].tolist()
    assert "does not exist" in str(got.loc[3, "error"])
    assert "1800" in str(got.loc[5, "error"])
    assert got.loc[[3, 5], "price"].isna().all()
    np.testing.assert_allclose(got[PRICES], want[PRICES], rtol=1e-4)
