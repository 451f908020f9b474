"""Descriptions in any language through the batch scorer, CSV and Parquet: every row priced but
an over-long one, which is reported; the text's width does not change its price."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from models.schema import Schema
from tests.languages import DESCRIPTIONS, widths
from tests.scoring.conftest import MODEL_URI, Store, read_table, run_score

pytestmark = pytest.mark.scoring
PRICES = ["price", "price_low", "price_high"]


def _rows(dataset: Path) -> pd.DataFrame:
    """One listing of the tiny dataset (brand, year, photo) with each description, then one at
    the length limit and one past it, in Japanese (three UTF-8 bytes a character)."""
    limit = Schema.load(dataset).feature("description").max_chars
    first = pd.read_csv(dataset / "listings.csv", dtype=str, keep_default_na=False).iloc[0]
    texts = {**DESCRIPTIONS, **widths(first.description)}
    texts |= {"at_limit": "美" * limit, "too_long": "美" * (limit + 1)}
    return pd.DataFrame(
        [
            {
                "id": key,
                "brand": first.brand,
                "year": int(first.year),
                "description": text,
                "photo": first.photo,
            }
            for key, text in texts.items()
        ]
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_any_language_is_priced_and_an_over_long_text_reported(
    store_env: Store, dataset: Path, tmp_path: Path, suffix: str
) -> None:
    rows = _rows(dataset)
    source = dataset / f"rows{suffix}"
    rows.to_csv(source, index=False) if suffix == ".csv" else rows.to_parquet(source, index=False)
    result = run_score(MODEL_URI, source, tmp_path / f"out{suffix}")
    assert result.exit_code == 0, result.output
    out = read_table(tmp_path / f"out{suffix}").set_index("id")
    assert out.index.tolist() == rows["id"].tolist()  # no row lost
    limit = Schema.load(dataset).feature("description").max_chars
    assert out.loc["too_long", "error"] == (
        f"description: is {limit + 1} characters long; the limit is {limit}"
    )
    priced = out.drop(index="too_long")
    assert (priced["error"] == "").all(), priced["error"].to_dict()
    assert (priced["price"] > 0).all()
    assert list(out.loc["full", PRICES]) == list(out.loc["half", PRICES])
    mlflow.set_tracking_uri(store_env.tracking_uri)
    model = mlflow.pyfunc.load_model(MODEL_URI)
    expected = model.predict(rows.drop(columns="id"), params={"photo_root": str(dataset)})
    expected.index = rows["id"]
    np.testing.assert_allclose(priced[PRICES], expected.loc[priced.index, PRICES], rtol=1e-4)
