"""The Houses importer: our format from the authors' layout, from the folder or its parent."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

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


def test_import_from_parent_folder_splits_bathrooms(tmp_path: Path) -> None:
    source = _houses_layout(
        tmp_path / "src",
        ["4 2.5 2100 85255 500000", "3 1 1500 85255 310000", "2 2 1200 92276 450000"],
        skip_photo="2_kitchen.jpg",
    )
    assert import_houses(source, tmp_path / "out") == 3
    dataset = read_dataset(tmp_path / "out")
    assert dataset.report.problems == []
    first = dataset.frame.iloc[0]
    assert (first["bathrooms"], first["half_bathrooms"], first["zipcode"]) == (2, 1, "85255")
    assert dataset.frame.iloc[1]["photo_kitchen"] == ""  # a missing room photo stays empty
    assert dataset.frame["price"].tolist() == [500000, 310000, 450000]


def test_import_from_inner_folder_and_zipcode_filter(tmp_path: Path) -> None:
    source = _houses_layout(tmp_path / "src", ["4 2 2100 1 5", "3 1 1500 1 6", "2 2 1200 2 7"])
    count = import_houses(source / "Houses Dataset", tmp_path / "out", min_zipcode_houses=2)
    assert count == 2


def test_import_refuses_other_folders(tmp_path: Path) -> None:
    with pytest.raises(HousesImportError, match=r"no HousesInfo\.txt"):
        import_houses(tmp_path, tmp_path / "out")
    source = _houses_layout(tmp_path / "src", ["4 2 2100"])
    with pytest.raises(HousesImportError, match="line 1: expected 5 fields, found 3"):
        import_houses(source, tmp_path / "out2")


def test_shared_houses_copy_imports_444_usable_rows(tmp_path: Path) -> None:
    assert SHARED_HOUSES.is_dir(), f"the shared evaluation data is missing at {SHARED_HOUSES}"
    assert import_houses(SHARED_HOUSES, tmp_path / "h") == 444
    report = read_dataset(tmp_path / "h").report
    assert (report.rows, report.usable) == (444, 444)
