"""CSV and Parquet in and out, dataset folders and plain files: same rows, same prices."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from tests.scoring.conftest import MODEL_URI, Store, read_table, run_score

pytestmark = pytest.mark.scoring
PRICES = ["price", "price_low", "price_high"]


def _score(*args: str | Path) -> pd.DataFrame:
    result = run_score(MODEL_URI, *args)
    assert result.exit_code == 0, result.output
    return read_table(Path(args[1]))


def test_dataset_folder_to_csv_and_parquet_matches_the_logged_model(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    as_csv = _score(dataset, tmp_path / "out.csv", "--chunk-size", "16")
    as_parquet = _score(dataset, tmp_path / "out.parquet")
    listings = pd.read_csv(dataset / "listings.csv", dtype=str, keep_default_na=False)
    assert as_csv["id"].tolist() == listings["id"].tolist()
    pd.testing.assert_frame_equal(as_csv, as_parquet, check_dtype=False)
    assert (as_csv["error"] == "").all()
    model = mlflow.pyfunc.load_model(MODEL_URI)
    features = pd.read_csv(dataset / "listings.csv").drop(columns=["id", "price"])
    expected = model.predict(features, params={"photo_root": str(dataset)})
    np.testing.assert_allclose(as_csv[PRICES], expected[PRICES], rtol=1e-4)


def test_parquet_input_with_typed_columns_gives_the_csv_prices(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    listings = pd.read_csv(dataset / "listings.csv")  # typed: year int, missing photo NaN
    listings.drop(columns=["price"]).to_parquet(dataset / "rows.parquet", index=False)
    listings.drop(columns=["price"]).to_csv(dataset / "rows.csv", index=False)
    from_parquet = _score(dataset / "rows.parquet", tmp_path / "a.csv")
    from_csv = _score(dataset / "rows.csv", tmp_path / "b.parquet")
    pd.testing.assert_frame_equal(from_parquet, from_csv, check_dtype=False)
    assert from_parquet["price"].notna().all()


def test_input_without_id_column_is_keyed_by_row_number(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    listings = pd.read_csv(dataset / "listings.csv", dtype=str, keep_default_na=False)
    listings.drop(columns=["id", "price"]).to_csv(dataset / "no_ids.csv", index=False)
    out = _score(dataset / "no_ids.csv", tmp_path / "out.parquet", "--chunk-size", "7")
    assert list(out.columns) == ["row", *PRICES, "error"]
    assert out["row"].tolist() == list(range(1, len(listings) + 1))


def test_header_only_input_gives_header_only_output(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    (dataset / "empty.csv").write_text("id,brand,year,description,photo\n")
    result = run_score(MODEL_URI, dataset / "empty.csv", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.csv").read_text().strip() == "id,price,price_low,price_high,error"
