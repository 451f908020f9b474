"""`appraise score --explain`: the explanation columns beside unchanged prices, bad rows still
reported, on both engines; the options and models it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from models import explainer
from models.explain_columns import BASELINE, COMPARABLE_IDS, CONTRIBUTION_PREFIX
from service.scoring import request
from tests.scoring.conftest import MODEL_URI, Store, read_table, run_score

pytestmark = pytest.mark.scoring
PRICES = ["price", "price_low", "price_high"]
FEATURES = ("brand", "year", "description", "photo")
CONTRIBUTIONS = [CONTRIBUTION_PREFIX + f for f in FEATURES]
EXPLANATION = [BASELINE, *CONTRIBUTIONS, COMPARABLE_IDS]
BAD = {4: "does not exist", 5: "year: 1800 is below the minimum 1960"}


def _rows(dataset: Path) -> Path:
    """The dataset's rows without id or price (keyed by row number): rows 5 and 6 bad (a chunk
    of 2 with nothing to explain), some without photo or description."""
    rows = pd.read_csv(dataset / "listings.csv", dtype=str, keep_default_na=False)
    rows = rows.drop(columns=["id", "price"])
    rows.loc[4, "photo"] = "photos/nope.jpg"
    rows.loc[5, "year"] = "1800"
    rows.loc[[0, 1], "photo"] = ""
    rows.loc[[1, 2], "description"] = ""
    rows.to_csv(dataset / "rows.csv", index=False)
    return dataset / "rows.csv"


def _read(path: Path) -> pd.DataFrame:
    """An explained output, whatever its format; a bad row's explanation as NaN and ''."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(
        path, dtype={"error": str, COMPARABLE_IDS: str}, keep_default_na=False, na_values=[""]
    ).fillna({"error": "", COMPARABLE_IDS: ""})


@pytest.mark.parametrize(
    ("suffix", "batch", "chunk"), [(".csv", "8", "16"), (".parquet", "32", "2")]
)
def test_explain_adds_contributions_that_sum_to_the_log_price_ratio(
    store_env: Store, dataset: Path, tmp_path: Path, suffix: str, batch: str, chunk: str
) -> None:
    # Batch 8 splits each listing's 16 coalition rows over two passes; 32 holds two listings.
    source = _rows(dataset)
    plain = run_score(MODEL_URI, source, tmp_path / f"plain{suffix}", "--chunk-size", "16")
    assert plain.exit_code == 0, plain.output
    output = tmp_path / f"explained{suffix}"
    result = run_score(
        MODEL_URI, source, output, "--explain", "--comparables", "3",
        "--chunk-size", chunk, "--batch-size", batch,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "40 rows: 38 scored, 2 errors" in result.output
    got, want = _read(output), read_table(tmp_path / f"plain{suffix}")
    assert list(got.columns) == ["row", *PRICES, "error", *EXPLANATION]
    assert got["row"].tolist() == list(range(1, 41))
    assert got["error"].tolist() == want["error"].tolist()
    np.testing.assert_allclose(got[PRICES], want[PRICES], rtol=1e-5)
    good = got[got["error"] == ""]
    total = good[CONTRIBUTIONS].sum(axis=1)
    np.testing.assert_allclose(total, np.log(good["price"] / good[BASELINE]), atol=1e-4)
    assert good[BASELINE].nunique() == 1  # one baseline: the listing with nothing known
    assert all(len(json.loads(ids)) == 3 for ids in good[COMPARABLE_IDS])
    bad = got.loc[list(BAD)]
    for reason, error in zip(BAD.values(), bad["error"], strict=True):
        assert reason in error, error
    assert bad[[*PRICES, BASELINE, *CONTRIBUTIONS]].isna().all().all()
    assert (bad[COMPARABLE_IDS] == "").all()
    assert not output.with_name(output.name + ".parts").exists()


def test_no_comparables_gives_empty_lists(store_env: Store, dataset: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.parquet"
    result = run_score(MODEL_URI, dataset, output, "--explain", "--comparables", "0")
    assert result.exit_code == 0, result.output
    got = pd.read_parquet(output)
    assert got["id"].tolist() == pd.read_csv(dataset / "listings.csv", dtype=str)["id"].tolist()
    assert set(got[COMPARABLE_IDS]) == {"[]"}
    assert got[CONTRIBUTIONS].notna().all().all()


def test_a_model_without_explanation_data_is_refused_before_scoring(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    local = Path(mlflow.artifacts.download_artifacts(MODEL_URI, dst_path=str(tmp_path / "m")))
    for neutral in local.rglob("neutral.json"):  # as a model trained before explanations
        neutral.unlink()
    output = tmp_path / "out.csv"
    result = run_score(local, dataset, output, "--explain")
    assert result.exit_code == 1
    assert "was logged without explanation data" in result.output
    assert "score without --explain" in result.output
    assert not output.exists() and not output.with_name(output.name + ".parts").exists()
    assert run_score(local, dataset, output).exit_code == 0  # it still prices


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--explain", "--comparables", "51"], "less than or equal to 50"),
        (["--explain", "--comparables", "-1"], "greater than or equal to 0"),
        (["--comparables", "3"], "needs --explain"),
    ],
)
def test_comparables_out_of_range_or_alone_is_a_usage_error(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_score(MODEL_URI, tmp_path, tmp_path / "out.csv", *args)
    assert result.exit_code == 2
    assert "'--comparables'" in result.output and message in result.output


def test_the_cli_limits_are_the_explainers() -> None:
    assert request.DEFAULT_COMPARABLES == explainer.DEFAULT_COMPARABLES
    assert request.MAX_COMPARABLES == explainer.MAX_COMPARABLES


@pytest.mark.parametrize(
    ("first", "then", "change"),
    [
        ([], ["--explain"], "explain: was None, now {'comparables': 5}"),
        (["--explain"], [], "explain: was {'comparables': 5}, now None"),
        (
            ["--explain"],
            ["--explain", "--comparables", "2"],
            "explain: was {'comparables': 5}, now {'comparables': 2}",
        ),
    ],
)
def test_resume_refuses_parts_explained_otherwise(
    store_env: Store,
    dataset: Path,
    tmp_path: Path,
    first: list[str],
    then: list[str],
    change: str,
) -> None:
    from service.scoring.job import run_job
    from service.scoring.request import ScoreRequest
    from service.scoring.settings import ScoringSettings

    output = tmp_path / "out.parquet"
    explain = "--explain" in first

    def crash(index: int) -> None:
        raise RuntimeError(f"crashed after part {index}")

    job = ScoreRequest(MODEL_URI, dataset, output, chunk_size=8, progress=False, explain=explain)
    with pytest.raises(RuntimeError, match="crashed"):
        run_job(job, ScoringSettings(), say=lambda _: None, on_part=crash)
    result = run_score(MODEL_URI, dataset, output, "--chunk-size", "8", "--resume", *then)
    assert result.exit_code == 1
    assert "belongs to a different job" in result.output and change in result.output


def test_spark_engine_gives_the_local_explanations(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    source = _rows(dataset)
    local = run_score(MODEL_URI, source, tmp_path / "local.parquet", "--explain")
    assert local.exit_code == 0, local.output
    spark = run_score(
        MODEL_URI, source, tmp_path / "spark.parquet", "--explain",
        "--engine", "spark", "--chunk-size", "16",
    )  # fmt: skip
    assert spark.exit_code == 0, spark.output
    want, got = (
        pd.read_parquet(tmp_path / "local.parquet"),
        pd.read_parquet(tmp_path / "spark.parquet"),
    )
    assert list(got.columns) == list(want.columns) == ["row", *PRICES, "error", *EXPLANATION]
    assert got["error"].tolist() == want["error"].tolist()
    assert got[COMPARABLE_IDS].tolist() == want[COMPARABLE_IDS].tolist()
    numbers = [*PRICES, BASELINE, *CONTRIBUTIONS]
    np.testing.assert_allclose(got[numbers], want[numbers], rtol=1e-5, atol=1e-6)


def test_the_scorer_explains_as_the_pyfunc_model_does(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out.parquet"
    assert run_score(MODEL_URI, dataset, output, "--explain").exit_code == 0
    rows = pd.read_csv(dataset / "listings.csv", dtype=str, keep_default_na=False)
    rows = rows.astype({"year": "int64"}).drop(columns=["id", "price"])
    params = {"photo_root": str(dataset), "explain": True, "comparables": 5}
    want = mlflow.pyfunc.load_model(MODEL_URI).predict(rows, params=params)
    got = pd.read_parquet(output)
    numbers = [*PRICES, BASELINE, *CONTRIBUTIONS]
    np.testing.assert_allclose(got[numbers], want[numbers], rtol=1e-5, atol=1e-6)
    assert got[COMPARABLE_IDS].tolist() == want[COMPARABLE_IDS].tolist()
