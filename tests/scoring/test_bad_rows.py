"""Bad rows of every kind get their reason in `error`; the job goes on and exits 0."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from tests.scoring.conftest import MODEL_URI, Store, read_table, run_score

pytestmark = pytest.mark.scoring

# (photo value, year, the reason expected in `error`, or "" when the row must be priced)
CASES = [
    ("GOOD", "2015", ""),
    ("photos/nope.jpg", "2015", "does not exist"),
    ("photos/garbage.jpg", "2015", "cannot be decoded"),
    ("photos/huge.jpg", "2015", "over the limit of 10000000 bytes"),
    ("../outside.jpg", "2015", "leads outside"),
    ("/etc/outside.jpg", "2015", "is absolute"),
    ("photos/link.jpg", "2015", "leads outside"),
    ("photos/folder.jpg", "2015", "cannot be read"),
    ("GOOD", "1800", "year: 1800 is below the minimum 1960"),
    ("GOOD", "old", "year: must be a number"),
    ("", "2015", ""),
    ("GOOD", "2020", ""),
]


def _bad_input(folder: Path) -> Path:
    """A CSV beside the dataset's photos with one row per case above."""
    good = pd.read_csv(folder / "listings.csv", dtype=str, keep_default_na=False)
    good = good[good["photo"] != ""].reset_index(drop=True)
    (folder / "photos" / "garbage.jpg").write_bytes(b"this is not a photo")
    with (folder / "photos" / "huge.jpg").open("wb") as handle:
        handle.truncate(10_000_001)  # sparse: over the 10 MB limit without writing 10 MB
    outside = folder.parent / "outside.jpg"
    outside.write_bytes((folder / str(good.loc[0, "photo"])).read_bytes())
    (folder / "photos" / "link.jpg").symlink_to(outside)
    (folder / "photos" / "folder.jpg").mkdir()
    rows = []
    for i, (photo, year, _) in enumerate(CASES):
        source = good.loc[i % len(good)]
        value = source["photo"] if photo == "GOOD" else photo
        rows.append({**source.to_dict(), "id": f"X{i:02d}", "photo": value, "year": year})
    path = folder / "bad.csv"
    pd.DataFrame(rows).drop(columns=["price"]).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_every_bad_row_gets_its_reason_and_the_job_goes_on(
    store_env: Store, dataset: Path, tmp_path: Path, suffix: str
) -> None:
    source = _bad_input(dataset)
    output = tmp_path / f"prices{suffix}"
    result = run_score(MODEL_URI, source, output, "--chunk-size", "5")
    assert result.exit_code == 0, result.output
    assert f"{len(CASES)} rows: 3 scored, 9 errors" in result.output
    got = read_table(output)
    assert list(got.columns) == ["id", "price", "price_low", "price_high", "error"]
    assert got["id"].tolist() == [f"X{i:02d}" for i in range(len(CASES))]
    for (_, _, reason), row in zip(CASES, got.to_dict("records"), strict=True):
        prices = [float(row[c]) for c in ("price_low", "price", "price_high")]
        if reason:
            assert reason in row["error"], (row["id"], row["error"])
            assert all(map(math.isnan, prices))
        else:
            assert row["error"] == "", (row["id"], row["error"])
            assert 0 < prices[0] <= prices[1] <= prices[2]
    assert not output.with_name(output.name + ".parts").exists()
