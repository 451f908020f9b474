"""The one decode path and the value checks shared by every input path."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.features import (
    PhotoPathError,
    PhotoTooLargeError,
    PhotoUndecodableError,
    decode_photo,
    resolve_inside,
)
from models.schema import Feature, FeatureType
from models.validation import FieldError, parse_price, parse_value

pytestmark = pytest.mark.unit
LIMITS = {"max_bytes": 1_000_000, "max_pixels": 1_000_000}


def _jpeg(width: int, height: int, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def test_decode_gives_fixed_size_uint8() -> None:
    pixels = decode_photo(_jpeg(100, 50), 24, **LIMITS)
    assert pixels.shape == (24, 24, 3) and pixels.dtype == np.uint8
    assert pixels[12, 12, 0] > 150  # the photo's red survives; padding is only top and bottom


def test_decode_applies_exif_orientation() -> None:
    buffer = io.BytesIO()
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90°: the stored landscape photo is shown as portrait
    img.save(buffer, "JPEG", exif=exif)
    pixels = decode_photo(buffer.getvalue(), 20, **LIMITS)
    assert pixels[10, 10, 2] > 150 and pixels[10, 0, 2] < 50  # padded left and right now


def test_decode_refuses_too_many_bytes() -> None:
    with pytest.raises(PhotoTooLargeError, match="the limit is 10"):
        decode_photo(_jpeg(10, 10), 8, max_bytes=10, max_pixels=1000)


def test_decode_refuses_garbage() -> None:
    with pytest.raises(PhotoUndecodableError):
        decode_photo(b"GIF89a but not really", 8, **LIMITS)


def test_resolve_inside_refuses_escape(tmp_path: Path) -> None:
    with pytest.raises(PhotoPathError, match="outside"):
        resolve_inside(tmp_path, "a/../../b.jpg")
    assert resolve_inside(tmp_path, "a/b.jpg") == tmp_path.resolve() / "a" / "b.jpg"


def test_parse_value_types_and_limits() -> None:
    year = Feature(name="year", type=FeatureType.INTEGER, min=1990, max=2000)
    assert parse_value(year, "1995") == 1995
    assert parse_value(year, 1995.0) == 1995
    with pytest.raises(FieldError, match="year: 2001 is above the maximum 2000"):
        parse_value(year, 2001)
    text = Feature(name="description", type=FeatureType.TEXT, max_chars=5)
    assert parse_value(text, "  ") is None
    with pytest.raises(FieldError, match="is 6 characters long; the limit is 5"):
        parse_value(text, "abcdef")


def test_parse_price() -> None:
    assert parse_price("price", "12.5") == 12.5
    for bad in ("nan", "inf", "0", "", "x"):
        with pytest.raises(FieldError):
            parse_price("price", bad)


def test_resolve_inside_follows_symlinks_only_within_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "a.jpg").write_bytes(b"x")
    (tmp_path / "outside.jpg").write_bytes(b"x")
    (root / "photos" / "inner.jpg").symlink_to(root / "photos" / "a.jpg")
    (root / "photos" / "outer.jpg").symlink_to(tmp_path / "outside.jpg")
    (root / "linked").symlink_to(tmp_path)
    assert resolve_inside(root, "photos/inner.jpg") == (root / "photos" / "a.jpg").resolve()
    for escape in ("photos/outer.jpg", "linked/outside.jpg"):
        with pytest.raises(PhotoPathError, match="outside"):
            resolve_inside(root, escape)


def test_resolve_inside_a_relative_root_follows_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("one", "two"):
        (tmp_path / name / "data").mkdir(parents=True)
        monkeypatch.chdir(tmp_path / name)
        assert resolve_inside(Path("data"), "a.jpg") == tmp_path.resolve() / name / "data" / "a.jpg"
