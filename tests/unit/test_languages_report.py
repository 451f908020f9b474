"""The languages section of docs/results.md, from the JSON lines `make results` keeps."""

from __future__ import annotations

import json
from pathlib import Path

from training.languages_report import dataset_name, section


def _run(results: Path, name: str, rmsle: float, coverage: float = 0.8) -> None:
    line = {"metrics": {"rmsle": rmsle, "coverage": coverage}}
    (results / f"{name}.json").write_text(json.dumps(line), encoding="utf-8")


def test_a_row_per_language_with_both_runs(tmp_path: Path) -> None:
    for language, floor in (("en", 0.25), ("ko", 0.25), ("ja", 0.25)):
        folder = tmp_path / dataset_name(language)
        folder.mkdir()
        (folder / "dataset.json").write_text(json.dumps({"noise_floor_rmsle": floor}))
    _run(tmp_path, "clothing-20k", 0.30, 0.812)
    _run(tmp_path, "clothing-20k-text", 0.70)
    _run(tmp_path, "clothing-20k-ko", 0.31)
    _run(tmp_path, "clothing-20k-ko-text", 0.77)
    _run(tmp_path, "clothing-20k-ja", 0.32)  # its text-only run is missing: no row
    rows = [
        line
        for line in section(tmp_path).splitlines()
        if line.startswith("| e") or line.startswith("| k") or line.startswith("| j")
    ]
    assert rows == [
        "| en | 0.3000 | 1.20x | 81.2% | 0.7000 | 1.000 |",
        "| ko | 0.3100 | 1.24x | 80.0% | 0.7700 | 1.100 |",
    ]
