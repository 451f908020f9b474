"""What explanations add to a logged model: the explanation artifact (vectors, listings table
with thumbnails, neutral values) by part, per indexed listing, and extrapolated.

Read off a real trained model's files as MLflow stores them. Thumbnails depend on the photos, and
the generator's are simpler than real ones: real photos (a folder of JPEGs, e.g. the Houses
dataset) are thumbnailed through the same decode path and JPEG settings for comparison.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from models.comparables import INDEX_FILE, LISTINGS_FILE, THUMBNAIL, Comparables, thumbnail
from models.explain import NEUTRAL_FILE

SIZES = (20_000, 1_000_000)
REAL_PHOTOS = 400  # thumbnails made from this many real photos (a stable mean, in seconds)


@dataclass
class ArtifactSize:
    """A logged model's explanation artifact, in bytes."""

    listings: int  # indexed listings (rows)
    dimensions: int  # of the joint representation
    model_bytes: int  # the whole logged model folder, explanation included
    keras_bytes: int  # the Keras model file
    parts: dict[str, int]  # vectors, thumbnails, other columns (ids, prices, values), neutral
    with_thumbnail: int  # listings that have one
    memory_bytes: int  # the loaded Comparables: vectors and the pandas table
    real_thumbnail: float | None = None  # mean bytes of a thumbnail from a real photo
    notes: list[str] = field(default_factory=list)

    @property
    def artifact_bytes(self) -> int:
        return sum(self.parts.values())

    def per_listing(self, part: str) -> float:
        """Bytes per indexed listing of a part; the neutral values do not grow with listings."""
        return 0.0 if part == NEUTRAL_FILE else self.parts[part] / self.listings

    def at(self, listings: int, real: bool = False) -> dict[str, float]:
        """Each part's bytes at `listings` listings (with real photos' thumbnails if asked)."""
        sizes = {p: self.per_listing(p) * listings for p in self.parts}
        sizes[NEUTRAL_FILE] = self.parts[NEUTRAL_FILE]
        if real and self.real_thumbnail is not None:
            share = self.with_thumbnail / self.listings
            sizes[THUMBNAIL] = self.real_thumbnail * share * listings
        return sizes


def measure(model_uri: str, tracking_uri: str, real_photos: Path | None) -> ArtifactSize:
    """Download `model_uri` as a service would and size its explanation artifact."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    with tempfile.TemporaryDirectory(prefix="explain-size-") as tmp:
        local = Path(mlflow.artifacts.download_artifacts(model_uri, dst_path=tmp))
        folder = next(local.rglob(NEUTRAL_FILE)).parent
        found = Comparables.load(folder)
        wrapper = mlflow.pyfunc.load_model(str(local)).unwrap_python_model()
        side = max(wrapper.photo_sizes.values(), default=96)
        size = ArtifactSize(
            listings=len(found),
            dimensions=found.dimensions,
            model_bytes=_bytes(local),
            keras_bytes=sum(p.stat().st_size for p in local.rglob("*.keras")),
            parts=_parts(folder),
            with_thumbnail=int(found.listings[THUMBNAIL].notna().sum()),
            memory_bytes=(folder / INDEX_FILE).stat().st_size
            + int(found.listings.memory_usage(deep=True).sum()),
        )
    if real_photos is not None and real_photos.is_dir():
        size.real_thumbnail, note = real_thumbnail_bytes(real_photos, side)
        size.notes.append(note)
    return size


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _parts(folder: Path) -> dict[str, int]:
    """The artifact's bytes by part: the listings file split by its column chunks' stored
    (compressed) sizes, its footer counted with the other columns."""
    table = pq.ParquetFile(folder / LISTINGS_FILE).metadata
    by_column: dict[str, int] = {}
    for g in range(table.num_row_groups):
        group = table.row_group(g)
        for c in range(group.num_columns):
            chunk = group.column(c)
            by_column[chunk.path_in_schema] = (
                by_column.get(chunk.path_in_schema, 0) + chunk.total_compressed_size
            )
    listings = (folder / LISTINGS_FILE).stat().st_size
    thumbnails = by_column.get(THUMBNAIL, 0)
    return {
        INDEX_FILE: (folder / INDEX_FILE).stat().st_size,
        THUMBNAIL: thumbnails,
        "other columns": listings - thumbnails,
        NEUTRAL_FILE: (folder / NEUTRAL_FILE).stat().st_size,
    }


def real_thumbnail_bytes(folder: Path, side: int) -> tuple[float, str]:
    """Mean thumbnail bytes of real JPEGs in `folder`, decoded at the model's photo side by the
    one decode path, then thumbnailed as training does."""
    from models.features import decode_photo

    files = sorted(folder.rglob("*.jpg"))[:REAL_PHOTOS]
    sizes = [
        len(thumbnail(decode_photo(f.read_bytes(), side, max_bytes=10**8, max_pixels=10**8)))
        for f in files
    ]
    mean = sum(sizes) / max(len(sizes), 1)
    return mean, f"{len(sizes)} real photos from {folder}: {mean:.0f} bytes per thumbnail"
