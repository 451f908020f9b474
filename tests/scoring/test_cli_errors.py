"""An unusable input, output, model or flag stops the job with a message naming it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.scoring.conftest import MODEL_URI, Store, run_score

pytestmark = pytest.mark.scoring


def test_unusable_input_or_output_exits_1_naming_it(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    listings = pd.read_csv(dataset / "listings.csv", dtype=str)
    listings.drop(columns=["photo"]).to_csv(dataset / "no_photo.csv", index=False)
    (dataset / "rows.txt").write_text("brand\n")
    cases = [
        ((MODEL_URI, tmp_path / "missing.csv", out), "missing.csv: no such file or folder"),
        ((MODEL_URI, dataset / "rows.txt", out), "unknown extension '.txt'"),
        ((MODEL_URI, dataset, tmp_path / "out.json"), "unknown extension '.json'"),
        ((MODEL_URI, dataset / "no_photo.csv", out), "missing feature column(s) photo"),
        (("models:/no-such-model@champion", dataset, out), "cannot load models:/no-such-model"),
    ]
    for args, message in cases:
        result = run_score(*args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    assert not out.exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--batch-size", "0"], "must be a power of 2 from 1 to 1024, got 0"),
        (["--batch-size", "48"], "must be a power of 2 from 1 to 1024, got 48"),
        (["--chunk-size", "0"], "--chunk-size"),
        (["--engine", "gpu"], "'gpu' is not one of 'local', 'spark'"),
    ],
)
def test_bad_flags_exit_2_with_the_rule(
    dataset: Path, tmp_path: Path, flags: list[str], message: str
) -> None:
    result = run_score(MODEL_URI, dataset, tmp_path / "out.csv", *flags)
    assert result.exit_code == 2, result.output
    assert message in result.output
