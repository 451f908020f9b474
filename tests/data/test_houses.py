"""The Houses importer: our format from the authors' layout, from the folder or its parent."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from appraise import app
from training.dataset import read_dataset
from training.houses import ROOMS, HousesImportError, import_houses

pytestmark = pytest.mark.data
SHARED_HOUSES = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "houses"


def _houses_layout(root: Path, lines: list[str], skip_photo: str | None = None) -> Path:
    """A tiny copy of the authors' layout: HousesInfo.txt plus four small JPEGs per house."""
    inner = root / "Houses Dataset"
    inner.mkdir(parents=True)
    (inner / "HousesInfo.txt").write_text("\n".join(lines) + "\n")
    for number in range(1, len(lines) + 1):
        for room in ROOMS:
            name = f"{number}_{room}.jpg"
            if name != skip_photo:
                Image.new("RGB", (24, 16), (number * 40, 90, 120)).save(inner / name)
    return root


def test_import_from_parent_folder_keeps_bathrooms_as_written(tmp_path: Path) -> None:
    source = _houses_layout(
        tmp_path / "src",
        ["4 2.5 2100 85255 500000", "3 1 1500 85255 310000", "2 3.25 1200 92276 450000"],
        skip_photo="2_kitchen.jpg",
    )
    assert import_houses(source, tmp_path / "out").houses == 3
    dataset = read_dataset(tmp_path / "out")
    assert dataset.report.problems == []
    assert dataset.frame["bathrooms"].tolist() == [2.5, 1.0, 3.25]  # quarter baths kept
    assert dataset.frame.iloc[0]["zipcode"] == "85255"
    assert dataset.frame.iloc[1]["photo_kitchen"] == ""  # a missing room photo stays empty
    assert dataset.frame["price"].tolist() == [500000, 310000, 450000]


def test_odd_lines_are_named_and_skipped_and_the_rest_imported(tmp_path: Path) -> None:
    lines = [
        "4 2 2100 85255 500000",
        "3 3.25 1500 85255 310000",  # a quarter bathroom: kept
        "3 2 1500 85255",  # a field short: skipped
        "2 two 1200 92276 450000",  # not a number: skipped
        "2 2 1200 92276 -5",  # not a price: skipped
        "1 1 900 92276 150000",
    ]
    result = import_houses(_houses_layout(tmp_path / "src", lines), tmp_path / "out")
    assert result.houses == 3
    assert result.skipped == [
        "HousesInfo.txt line 3: expected 5 fields, found 4; skipped",
        "HousesInfo.txt line 4: bathrooms: must be a number, got 'two'; skipped",
        "HousesInfo.txt line 5: price: must be above 0, got -5; skipped",
    ]
    assert result.notes == ["HousesInfo.txt line 2: bathrooms 3.25 kept as written"]
    frame = read_dataset(tmp_path / "out").frame
    assert frame["id"].tolist() == ["H0001", "H0002", "H0006"]  # ids keep the source line
    assert frame["photo_frontal"].tolist()[-1] == "photos/6_frontal.jpg"


def test_import_command_prints_what_it_skipped(tmp_path: Path) -> None:
    source = _houses_layout(tmp_path / "src", ["4 2 2100 1 500000", "oops"])
    args = ["data", "import", "houses", str(source), str(tmp_path / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "line 2: expected 5 fields, found 1; skipped" in result.output
    assert "imported 1 houses" in result.output and "(1 lines skipped)" in result.output


def test_import_from_inner_folder_and_zipcode_filter(tmp_path: Path) -> None:
    source = _houses_layout(tmp_path / "src", ["4 2 2100 1 5", "3 1 1500 1 6", "2 2 1200 2 7"])
    result = import_houses(source / "Houses Dataset", tmp_path / "out", min_zipcode_houses=2)
    assert result.houses == 2


def test_import_refuses_other_folders_and_files_with_no_usable_line(tmp_path: Path) -> None:
    with pytest.raises(HousesImportError, match=r"no HousesInfo\.txt"):
        import_houses(tmp_path, tmp_path / "out")
    source = _houses_layout(tmp_path / "src", ["4 2 2100"])
    with pytest.raises(HousesImportError, match=r"no usable line \(1 skipped\)"):
        import_houses(source, tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_shared_houses_copy_imports_444_usable_rows(tmp_path: Path) -> None:
    assert SHARED_HOUSES.is_dir(), f"the shared evaluation data is missing at {SHARED_HOUSES}"
    result = import_houses(SHARED_HOUSES, tmp_path / "h")
    assert (result.houses, result.skipped) == (444, [])
    report = read_dataset(tmp_path / "h").report
    assert (report.rows, report.usable) == (444, 444)
