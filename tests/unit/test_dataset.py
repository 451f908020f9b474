"""The dataset reader: every kind of bad row is reported with its own message, none dropped."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from appraise import app
from training.dataset import DatasetError, read_dataset

pytestmark = pytest.mark.data


def _edit(folder: Path, row: int, column: str, value: str) -> None:
    """Set one cell (row is 1-based) of listings.csv."""
    path = folder / "listings.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row - 1, column] = value
    frame.to_csv(path, index=False)


def _problems(folder: Path) -> dict[tuple[int, str], str]:
    report = read_dataset(folder).report
    return {(p.row, p.column): p.problem for p in report.problems}


def _first_photo_row(folder: Path) -> int:
    frame = pd.read_csv(folder / "listings.csv", dtype=str, keep_default_na=False)
    return int((frame["photo"] != "").to_numpy().argmax()) + 1


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG claiming huge dimensions with almost no data: a decompression bomb's header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0"))


def test_clean_dataset_has_no_problems(tiny_dataset: Path) -> None:
    dataset = read_dataset(tiny_dataset)
    assert dataset.report.problems == []
    assert len(dataset.frame) == dataset.report.rows == 40
    assert dataset.frame["year"].dtype == "int64"
    assert (dataset.frame["price"] > 0).all()


def test_missing_column_names_it(tiny_dataset: Path) -> None:
    path = tiny_dataset / "listings.csv"
    pd.read_csv(path, dtype=str).drop(columns=["year"]).to_csv(path, index=False)
    with pytest.raises(DatasetError, match=r"lacks column.*year"):
        read_dataset(tiny_dataset)


def test_unknown_feature_type_names_it(tiny_dataset: Path) -> None:
    schema = tiny_dataset / "schema.yaml"
    schema.write_text(schema.read_text().replace("type: text", "type: sound"))
    with pytest.raises(DatasetError, match=r"features\.2\.type.*'category'"):
        read_dataset(tiny_dataset)


@pytest.mark.parametrize(
    ("value", "message"),
    [("cheap", "must be a number, got 'cheap'"), ("0", "must be above 0"), ("-5", "above 0")],
)
def test_bad_price(tiny_dataset: Path, value: str, message: str) -> None:
    _edit(tiny_dataset, 3, "price", value)
    assert message in _problems(tiny_dataset)[(3, "price")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1900", "1900 is below the minimum 1960"),
        ("2090", "2090 is above the maximum 2026"),
        ("1999.5", "must be a whole number"),
        ("", "is required but empty"),
    ],
)
def test_bad_year(tiny_dataset: Path, value: str, message: str) -> None:
    _edit(tiny_dataset, 5, "year", value)
    assert message in _problems(tiny_dataset)[(5, "year")]


def test_photo_missing_file(tiny_dataset: Path) -> None:
    _edit(tiny_dataset, 2, "photo", "photos/nowhere.jpg")
    assert "does not exist" in _problems(tiny_dataset)[(2, "photo")]


def test_photo_unreadable(tiny_dataset: Path) -> None:
    (tiny_dataset / "photos" / "folder.jpg").mkdir()
    _edit(tiny_dataset, 2, "photo", "photos/folder.jpg")
    assert "cannot be read" in _problems(tiny_dataset)[(2, "photo")]


def test_photo_not_an_image(tiny_dataset: Path) -> None:
    (tiny_dataset / "photos" / "note.jpg").write_text("not a photo at all")
    _edit(tiny_dataset, 2, "photo", "photos/note.jpg")
    assert "cannot be decoded" in _problems(tiny_dataset)[(2, "photo")]


def test_photo_decompression_bomb(tiny_dataset: Path) -> None:
    (tiny_dataset / "photos" / "bomb.png").write_bytes(_png_header_only(60_000, 60_000))
    _edit(tiny_dataset, 2, "photo", "photos/bomb.png")
    problem = _problems(tiny_dataset)[(2, "photo")]
    assert "decompression bomb" in problem or "pixels" in problem


def test_photo_over_pixel_limit(tiny_dataset: Path) -> None:
    schema = tiny_dataset / "schema.yaml"
    text = schema.read_text().replace("type: image", "type: image\n  max_pixels: 500")
    schema.write_text(text)
    row = _first_photo_row(tiny_dataset)
    assert "32x32 = 1024 pixels; the limit is 500" in _problems(tiny_dataset)[(row, "photo")]


@pytest.mark.parametrize("path", ["../outside.jpg", "photos/../../outside.jpg", "/etc/hostname"])
def test_photo_path_outside_folder(tiny_dataset: Path, path: str) -> None:
    (tiny_dataset.parent / "outside.jpg").write_bytes(b"x")
    _edit(tiny_dataset, 4, "photo", path)
    problem = _problems(tiny_dataset)[(4, "photo")]
    assert "outside the dataset folder" in problem or "absolute" in problem


def test_photo_symlink_leading_out(tiny_dataset: Path) -> None:
    row = _first_photo_row(tiny_dataset)
    outside = tiny_dataset.parent / "elsewhere.jpg"
    photo = tiny_dataset / "photos" / "link.jpg"
    outside.write_bytes((tiny_dataset / _photo_of(tiny_dataset, row)).read_bytes())
    photo.symlink_to(outside)
    _edit(tiny_dataset, row, "photo", "photos/link.jpg")
    assert "outside the dataset folder" in _problems(tiny_dataset)[(row, "photo")]


def _photo_of(folder: Path, row: int) -> str:
    frame = pd.read_csv(folder / "listings.csv", dtype=str, keep_default_na=False)
    return str(frame.loc[row - 1, "photo"])


def test_bad_rows_are_reported_not_dropped_silently(tiny_dataset: Path) -> None:
    _edit(tiny_dataset, 1, "price", "x")
    _edit(tiny_dataset, 7, "year", "1800")
    dataset = read_dataset(tiny_dataset)
    assert dataset.report.bad_rows == 2
    assert len(dataset.frame) + dataset.report.bad_rows == dataset.report.rows
    assert 1 not in set(dataset.frame["row"]) and 7 not in set(dataset.frame["row"])


def test_parquet_listings_read_like_csv(tiny_dataset: Path) -> None:
    csv_frame = read_dataset(tiny_dataset).frame
    raw = pd.read_csv(tiny_dataset / "listings.csv", dtype=str, keep_default_na=False)
    (tiny_dataset / "listings.csv").unlink()
    raw.to_parquet(tiny_dataset / "listings.parquet")
    pd.testing.assert_frame_equal(read_dataset(tiny_dataset).frame, csv_frame)


def test_check_command_lists_bad_rows_and_exits_0(tiny_dataset: Path) -> None:
    _edit(tiny_dataset, 6, "price", "-1")
    result = CliRunner().invoke(app, ["data", "check", str(tiny_dataset)])
    assert result.exit_code == 0, result.output
    assert "row 6, column price: must be above 0" in result.output
    assert "40 rows: 39 usable, 1 bad" in result.output


def test_check_command_json(tiny_dataset: Path) -> None:
    _edit(tiny_dataset, 6, "price", "-1")
    result = CliRunner().invoke(app, ["data", "check", str(tiny_dataset), "--json"])
    report = json.loads(result.output)
    assert report["usable"] == 39
    assert report["problems"] == [
        {"row": 6, "column": "price", "problem": "must be above 0, got -1"}
    ]


def test_check_command_exits_1_when_no_row_is_usable(tiny_dataset: Path) -> None:
    path = tiny_dataset / "listings.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["price"] = "free"
    frame.to_csv(path, index=False)
    result = CliRunner().invoke(app, ["data", "check", str(tiny_dataset)])
    assert result.exit_code == 1
    assert "no usable rows" in result.output


def test_check_command_exits_1_on_invalid_schema(tiny_dataset: Path) -> None:
    (tiny_dataset / "schema.yaml").write_text("features: [")
    result = CliRunner().invoke(app, ["data", "check", str(tiny_dataset)])
    assert result.exit_code == 1
    assert "not valid YAML" in result.output


def test_features_cut_the_schema_and_skip_the_rest(tiny_dataset: Path) -> None:
    """`features` (the training config's): a text-only read neither checks nor keeps the photo,
    so a photo file gone missing is no problem of it."""
    _edit(tiny_dataset, _first_photo_row(tiny_dataset), "photo", "photos/missing.jpg")
    dataset = read_dataset(tiny_dataset, features=["description"])
    assert [f.name for f in dataset.schema.features] == ["description"]
    assert "photo" not in dataset.frame.columns
    assert dataset.report.problems == []
    with pytest.raises(DatasetError, match=r"features: colour not in the schema \(it has brand"):
        read_dataset(tiny_dataset, features=["description", "colour"])


def test_train_cli_names_an_unknown_feature(tiny_dataset: Path) -> None:
    result = CliRunner().invoke(app, ["train", str(tiny_dataset), "--features", "colour"])
    assert result.exit_code == 1
    assert "features: colour not in the schema" in result.output
