"""Import the public Houses dataset (Ahmed & Moustafa, 2016) into our dataset format.

Source layout: `HousesInfo.txt` (one line per house: `bedrooms bathrooms area zipcode price`,
line N is house N) beside `N_bathroom.jpg`, `N_bedroom.jpg`, `N_frontal.jpg`, `N_kitchen.jpg`.
Each room photo becomes its own image feature rather than a 2x2 montage: every photo keeps its
full resolution, and a house missing one room's photo still keeps the other three.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

from models.schema import Feature, FeatureType, Schema

INFO_FILE = "HousesInfo.txt"
ROOMS = ("bathroom", "bedroom", "frontal", "kitchen")


class HousesImportError(ValueError):
    """The source folder is not a Houses dataset; the message says what is missing."""


def houses_schema() -> Schema:
    """Zipcode as a category, room counts as integers, area as a number, one photo per room.

    Bathrooms are given as 2.5 and the like (a half bath has no shower); an integer one-hot
    cannot hold halves, so the count is split into full and half bathrooms, losing nothing.
    """
    rooms = tuple(Feature(name=f"photo_{room}", type=FeatureType.IMAGE) for room in ROOMS)
    return Schema(
        features=(
            Feature(name="zipcode", type=FeatureType.CATEGORY, max_chars=10),
            Feature(name="bedrooms", type=FeatureType.INTEGER, min=0, max=20),
            Feature(name="bathrooms", type=FeatureType.INTEGER, min=0, max=20),
            Feature(name="half_bathrooms", type=FeatureType.INTEGER, min=0, max=5),
            Feature(name="area", type=FeatureType.NUMBER, min=1, max=100_000),
            *rooms,
        ),
        target="price",
        id_column="id",
    )


def find_info_file(source: Path) -> Path:
    """`HousesInfo.txt` in `source` or in one of its sub-folders (the archive nests one)."""
    direct = source / INFO_FILE
    if direct.is_file():
        return direct
    nested = sorted(source.glob(f"*/{INFO_FILE}"))
    if not nested:
        raise HousesImportError(f"{source}: no {INFO_FILE} in it or in a folder inside it")
    return nested[0]


def import_houses(source: Path, target: Path, min_zipcode_houses: int = 0) -> int:
    """Convert the Houses dataset at `source` into a dataset folder; returns the house count.

    `min_zipcode_houses` drops houses whose zipcode has fewer houses than that, as the
    published reference protocol does (25); the default keeps every house.
    """
    info = find_info_file(source)
    if target.exists() and any(target.iterdir()):
        raise HousesImportError(f"{target}: folder is not empty; choose a new folder")
    (target / "photos").mkdir(parents=True, exist_ok=True)
    schema = houses_schema()
    schema.save(target)
    lines = _lines(info)
    counts = Counter(_zipcode(line) for _, line in lines)
    keep = [(n, line) for n, line in lines if counts[_zipcode(line)] >= min_zipcode_houses]
    rows = [_convert(number, line, info.parent, target) for number, line in keep]
    columns = [schema.id_column or "id"] + [f.name for f in schema.features] + [schema.target]
    with (target / "listings.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def _lines(info: Path) -> list[tuple[int, str]]:
    lines = info.read_text(encoding="utf-8").splitlines()
    return [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]


def _zipcode(line: str) -> str:
    parts = line.split()
    return parts[3] if len(parts) == 5 else ""


def _convert(number: int, line: str, source: Path, target: Path) -> dict[str, str]:
    """One house line → one listing row, copying its photos (a missing one stays empty)."""
    parts = line.split()
    if len(parts) != 5:
        raise HousesImportError(f"{INFO_FILE} line {number}: expected 5 fields, found {len(parts)}")
    bedrooms, bathrooms, area, zipcode, price = parts
    full, half = _split_bathrooms(number, bathrooms)
    row = {
        "id": f"H{number:04d}",
        "zipcode": zipcode,
        "bedrooms": bedrooms,
        "bathrooms": str(full),
        "half_bathrooms": str(half),
        "area": area,
        "price": price,
    }
    for room in ROOMS:
        row[f"photo_{room}"] = _copy_photo(source / f"{number}_{room}.jpg", target)
    return row


def _split_bathrooms(number: int, value: str) -> tuple[int, int]:
    try:
        doubled = float(value) * 2
    except ValueError:
        raise HousesImportError(
            f"{INFO_FILE} line {number}: bathrooms {value!r} is not a number"
        ) from None
    if not doubled.is_integer():
        raise HousesImportError(
            f"{INFO_FILE} line {number}: bathrooms {value!r} is not a multiple of 0.5"
        )
    return int(doubled) // 2, int(doubled) % 2


def _copy_photo(source: Path, target: Path) -> str:
    if not source.is_file():
        return ""
    relative = f"photos/{source.name}"
    shutil.copyfile(source, target / relative)
    return relative
