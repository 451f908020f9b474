"""Realistic listings for load: rows and photos of dataset folders made by `appraise data synth`.

Folders synthesised at different `--photo-size`s give photos of varied sizes (a 96 px photo is
~6 KB, an 800 px one ~120 KB); each folder gets a weight, so the mix of sizes is chosen, not
accidental. Only the standard library is used: locust and the benchmark client stay light.
"""

from __future__ import annotations

import base64
import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIELDS = ("brand", "year", "description")


@dataclass(frozen=True)
class Listing:
    """One listing as a client would send it: its fields and its photo's file bytes (or none)."""

    fields: dict[str, Any]
    photo: bytes | None

    def as_json(self) -> dict[str, Any]:
        """The JSON form: the photo as base64 text, left out when there is none."""
        body = dict(self.fields)
        if self.photo is not None:
            body["photo"] = base64.b64encode(self.photo).decode("ascii")
        return body


@dataclass(frozen=True)
class Source:
    """A dataset folder and its share of the traffic."""

    folder: Path
    weight: float


def parse_sources(spec: str) -> list[Source]:
    """`DIR[:WEIGHT],DIR[:WEIGHT],...` → sources (weight 1 when left out)."""
    sources = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        folder, _, weight = part.partition(":")
        sources.append(Source(Path(folder), float(weight or 1)))
    if not sources:
        raise ValueError("no dataset folder given")
    return sources


def read_folder(folder: Path, limit: int | None = None) -> list[Listing]:
    """The listings of one dataset folder, photos read into memory."""
    with (folder / "listings.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    return [_listing(folder, row) for row in rows]


def _listing(folder: Path, row: dict[str, str]) -> Listing:
    fields: dict[str, Any] = {"brand": row["brand"], "year": int(row["year"])}
    fields["description"] = row["description"]
    photo = (folder / row["photo"]).read_bytes() if row.get("photo") else None
    return Listing(fields, photo)


class Pool:
    """Listings of several folders, drawn by folder weight."""

    def __init__(self, sources: Sequence[Source], per_folder: int | None = 200) -> None:
        self.groups = [read_folder(s.folder, per_folder) for s in sources]
        self.weights = [s.weight for s in sources]
        empty = [str(s.folder) for s, g in zip(sources, self.groups, strict=True) if not g]
        if empty:
            raise ValueError(f"no listings in {', '.join(empty)}")

    def draw(self, rng: random.Random) -> Listing:
        """One listing: a folder by weight, then a row of it."""
        group = rng.choices(self.groups, weights=self.weights)[0]
        return rng.choice(group)

    def stream(self, count: int, seed: int) -> list[Listing]:
        """A fixed sequence of `count` listings: the same seed gives the same requests."""
        rng = random.Random(seed)
        return [self.draw(rng) for _ in range(count)]

    def with_photo(self, rng: random.Random) -> Listing:
        """A listing that has a photo (for the multipart and bad-photo requests)."""
        while True:
            listing = self.draw(rng)
            if listing.photo is not None:
                return listing
