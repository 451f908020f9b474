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
from dataclasses import dataclass, field
from pathlib import Path

from models.schema import Feature, FeatureType, Schema
from models.validation import parse_price, parse_value

INFO_FILE = "HousesInfo.txt"
ROOMS = ("bathroom", "bedroom", "frontal", "kitchen")


class HousesImportError(ValueError):
    """The source folder is not a Houses dataset; the message says what is missing."""


def houses_schema() -> Schema:
    """Zipcode as a category, bedrooms as an integer, bathrooms and area as numbers, four photos.

    Bathrooms come as 2.5, 3.25 and the like (US listings count a half bath as 0.5 and a
    quarter or three-quarter bath as 0.25 or 0.75); a number keeps every one as written.
    """
    rooms = tuple(Feature(name=f"photo_{room}", type=FeatureType.IMAGE) for room in ROOMS)
    return Schema(
        features=(
            Feature(name="zipcode", type=FeatureType.CATEGORY, max_chars=10),
            Feature(name="bedrooms", type=FeatureType.INTEGER, min=0, max=20),
            Feature(name="bathrooms", type=FeatureType.NUMBER, min=0, max=20),
            Feature(name="area", type=FeatureType.NUMBER, min=1, max=100_000),
            *rooms,
        ),
        target="price",
        id_column="id",
    )


@dataclass
class HousesImport:
    """How many houses were written, each source line left out and why, and odd values kept."""

    houses: int = 0
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def find_info_file(source: Path) -> Path:
    """`HousesInfo.txt` in `source` or in one of its sub-folders (the archive nests one)."""
    direct = source / INFO_FILE
    if direct.is_file():
        return direct
    nested = sorted(source.glob(f"*/{INFO_FILE}"))
    if not nested:
        raise HousesImportError(f"{source}: no {INFO_FILE} in it or in a folder inside it")
    return nested[0]


def import_houses(source: Path, target: Path, min_zipcode_houses: int = 0) -> HousesImport:
    """Convert the Houses dataset at `source` into a dataset folder.

    A line that cannot be read (too few fields, a value its feature refuses) is reported by its
    line number and skipped; the import fails only when no line is usable. `min_zipcode_houses`
    drops houses whose zipcode has fewer houses than that, as the published reference protocol
    does (25); the default keeps every house.
    """
    info = find_info_file(source)
    if target.exists() and any(target.iterdir()):
        raise HousesImportError(f"{target}: folder is not empty; choose a new folder")
    schema = houses_schema()
    result = HousesImport()
    rows: list[dict[str, str]] = []
    for number, line in _lines(info):
        try:
            rows.append(_parse(number, line, schema))
        except ValueError as exc:  # FieldError names the field
            result.skipped.append(f"{INFO_FILE} line {number}: {exc}; skipped")
            continue
        if float(rows[-1]["bathrooms"]) % 0.5:
            bathrooms = rows[-1]["bathrooms"]
            result.notes.append(f"{INFO_FILE} line {number}: bathrooms {bathrooms} kept as written")
    if not rows:
        raise HousesImportError(f"{info}: no usable line ({len(result.skipped)} skipped)")
    counts = Counter(row["zipcode"] for row in rows)
    keep = [row for row in rows if counts[row["zipcode"]] >= min_zipcode_houses]
    (target / "photos").mkdir(parents=True, exist_ok=True)
    schema.save(target)
    for row in keep:
        for room in ROOMS:
            row[f"photo_{room}"] = _copy_photo(info.parent / f"{row['line']}_{room}.jpg", target)
    columns = [schema.id_column or "id"] + [f.name for f in schema.features] + [schema.target]
    with (target / "listings.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=columns, lineterminator="\n", extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(keep)
    result.houses = len(keep)
    return result


def _lines(info: Path) -> list[tuple[int, str]]:
    lines = info.read_text(encoding="utf-8", errors="replace").splitlines()
    return [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]


def _parse(number: int, line: str, schema: Schema) -> dict[str, str]:
    """One house line → one listing row (photos added later); ValueError says what is wrong."""
    parts = line.split()
    if len(parts) != len(_FIELDS):
        raise ValueError(f"expected {len(_FIELDS)} fields, found {len(parts)}")
    values = dict(zip(_FIELDS, parts, strict=True))
    for name in ("bedrooms", "bathrooms", "area", "zipcode"):
        parse_value(schema.feature(name), values[name])
    parse_price(schema.target, values["price"])
    return {"id": f"H{number:04d}", "line": str(number), **values}


_FIELDS = ("bedrooms", "bathrooms", "area", "zipcode", "price")  # order in HousesInfo.txt


def _copy_photo(source: Path, target: Path) -> str:
    if not source.is_file():
        return ""
    relative = f"photos/{source.name}"
    shutil.copyfile(source, target / relative)
    return relative
