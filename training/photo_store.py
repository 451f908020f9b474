"""Decoded photos on disk, in shards: each photo decoded once through the one decode path, then
read back by row, so that training's memory does not grow with the number of listings.

A store folder holds `manifest.json` (format, a fingerprint of the source, the schema, the photo
side, the rows of each shard) and one NumPy `.npy` file per image feature and shard, of uint8
rows (rows, side, side, 3). Rows are read with `os.pread` at their offsets rather than mapped:
mapped pages once read count in the process's resident memory, pread's land in the page cache.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from tqdm import tqdm

from models.inputs import decode_photos
from models.schema import Feature, FeatureType
from training.dataset import Dataset

FORMAT = 1
MANIFEST = "manifest.json"
SHARD_BYTES = 64 * 2**20  # photos of one shard: what one decode chunk holds in memory
_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


class StoreError(RuntimeError):
    """A store folder that cannot be used; the message says why."""


class Manifest(BaseModel):
    """What a store holds and what it was made from."""

    format: int
    fingerprint: str
    schema_yaml: str
    photo_size: int
    features: list[str]
    shard_rows: list[int]

    @property
    def rows(self) -> int:
        return sum(self.shard_rows)


def fingerprint(dataset: Dataset, photo_size: int) -> str:
    """The schema and usable rows (Dataset.fingerprint), each referenced photo file's size and
    modification time, the photo side and the store format: any change makes a new print."""
    digest = hashlib.sha256(f"{FORMAT}:{photo_size}:{dataset.fingerprint()}".encode())
    for feature in dataset.schema.of_type(FeatureType.IMAGE):
        for value in dataset.frame[feature.name].tolist():
            path = str(value or "").strip()
            if path:
                stat = (dataset.folder / path).stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


class PhotoStore:
    """The decoded photos of a dataset's usable rows (in the frame's order), read by row."""

    def __init__(self, folder: Path, manifest: Manifest, owner: object = None) -> None:
        self.folder = folder
        self.manifest = manifest
        self._owner = owner  # a TemporaryDirectory whose lifetime is the store's
        self._starts = np.concatenate([[0], np.cumsum(manifest.shard_rows)])
        self._row_bytes = manifest.photo_size**2 * 3
        self._files: dict[tuple[str, int], tuple[int, int]] = {}  # (feature, shard) -> fd, offset

    @classmethod
    def open(cls, folder: Path, expected: str | None = None) -> PhotoStore:
        """The store in `folder`; StoreError if it is missing, unreadable or (with `expected`)
        made from other data."""
        try:
            manifest = Manifest.model_validate_json((folder / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"{folder}: no readable {MANIFEST}: {exc}") from exc
        if manifest.format != FORMAT:
            raise StoreError(f"{folder}: store format {manifest.format}, this code reads {FORMAT}")
        if expected is not None and manifest.fingerprint != expected:
            raise StoreError(f"{folder}: made from other data (fingerprint differs)")
        return cls(folder, manifest)

    @property
    def photo_size(self) -> int:
        return self.manifest.photo_size

    def __len__(self) -> int:
        return self.manifest.rows

    def read(self, feature: str, rows: np.ndarray) -> np.ndarray:
        """The photos of `feature` at store rows `rows`, in that order."""
        side = self.manifest.photo_size
        out = np.empty((len(rows), side, side, 3), dtype=np.uint8)
        shards = np.searchsorted(self._starts, rows, side="right") - 1
        for i, (row, shard) in enumerate(zip(rows.tolist(), shards.tolist(), strict=True)):
            fd, offset = self._file(feature, shard)
            at = offset + (row - int(self._starts[shard])) * self._row_bytes
            data = os.pread(fd, self._row_bytes, at)
            if len(data) != self._row_bytes:
                raise StoreError(f"{self.folder}: {feature} shard {shard} is cut short")
            out[i] = np.frombuffer(data, dtype=np.uint8).reshape(side, side, 3)
        return out

    def close(self) -> None:
        """Close its files; a temporary store is removed."""
        for fd, _ in self._files.values():
            os.close(fd)
        self._files.clear()
        if isinstance(self._owner, tempfile.TemporaryDirectory):
            self._owner.cleanup()

    def _file(self, feature: str, shard: int) -> tuple[int, int]:
        """The open file of one shard and where its rows start (after the .npy header)."""
        key = (feature, shard)
        if key not in self._files:
            path = self.folder / shard_name(feature, shard)
            with path.open("rb") as f:
                version = np.lib.format.read_magic(f)
                if version not in _HEADERS:
                    raise StoreError(f"{path}: .npy format {version} is not one np.save writes")
                shape, _, dtype = _HEADERS[version](f)
                offset = f.tell()
            side = self.manifest.photo_size
            if dtype != np.uint8 or shape != (self.manifest.shard_rows[shard], side, side, 3):
                raise StoreError(f"{path}: holds {dtype} {shape}, not this store's photos")
            self._files[key] = (os.open(path, os.O_RDONLY), offset)
        return self._files[key]


def shard_name(feature: str, shard: int) -> str:
    return f"{feature}-{shard:05d}.npy"


@dataclass(frozen=True)
class ShardJob:
    """One shard to write: its number, its row count and each image feature's photo paths."""

    shard: int
    rows: int
    photos: dict[str, list[str]]


# Runs `write` over every job, however it likes: in this process, or in Spark tasks.
Engine = Callable[[list[ShardJob], Callable[[ShardJob], None]], None]


def open_or_write(
    dataset: Dataset,
    folder: Path | None,
    photo_size: int,
    *,
    workers: int = 4,
    progress: bool = True,
    engine: Engine | None = None,
) -> PhotoStore:
    """The store of `dataset` in `folder`, written there unless it holds one made from the same
    data (a stale one is replaced); with no folder, a temporary one that goes with the store.
    `engine` runs the shard jobs (default: here, with a progress bar)."""
    expected = fingerprint(dataset, photo_size)
    owner = None
    if folder is None:
        owner = tempfile.TemporaryDirectory(prefix="appraiser-photos-")
        folder = Path(owner.name) / "store"
    else:
        try:
            return PhotoStore.open(folder, expected)
        except StoreError:
            pass
    run = engine or functools.partial(run_here, progress=progress)
    manifest = write_store(dataset, folder, photo_size, expected, workers, run)
    return PhotoStore(folder, manifest, owner)


def write_store(
    dataset: Dataset, folder: Path, photo_size: int, print_: str, workers: int, run: Engine
) -> Manifest:
    """Decode every photo of `dataset` into shards in `folder` (replacing what is there),
    writing beside it first so a store cut short by a crash is never taken for whole."""
    features = list(dataset.schema.of_type(FeatureType.IMAGE))
    partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    jobs = shard_jobs(dataset, photo_size)
    write = functools.partial(
        write_shard,
        features=features,
        root=dataset.folder,
        folder=partial,
        photo_size=photo_size,
        workers=workers,
    )
    run(jobs, write)
    manifest = Manifest(
        format=FORMAT,
        fingerprint=print_,
        schema_yaml=dataset.schema.to_yaml(),
        photo_size=photo_size,
        features=[f.name for f in features],
        shard_rows=[job.rows for job in jobs],
    )
    (partial / MANIFEST).write_text(json.dumps(manifest.model_dump(), indent=2), "utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return manifest


def shard_jobs(dataset: Dataset, photo_size: int) -> list[ShardJob]:
    """The usable rows cut into shards of about SHARD_BYTES of photos, in row order."""
    images = [f.name for f in dataset.schema.of_type(FeatureType.IMAGE)]
    per_shard = max(1, SHARD_BYTES // max(1, photo_size**2 * 3 * len(images)))
    frame = dataset.frame.reset_index(drop=True)
    columns = {name: [str(v or "") for v in frame[name].tolist()] for name in images}
    return [
        ShardJob(shard, stop - start, {n: paths[start:stop] for n, paths in columns.items()})
        for shard, (start, stop) in enumerate(_chunks(len(frame), per_shard))
    ]


def write_shard(
    job: ShardJob,
    *,
    features: list[Feature],
    root: Path,
    folder: Path,
    photo_size: int,
    workers: int,
) -> None:
    """Decode one shard's photos through the one decode path and write its files."""
    for feature in features:
        images, errors = decode_photos(
            job.photos[feature.name], feature, photo_size, root, workers=workers
        )
        failed = [e for e in errors if e]
        if failed:  # the reader decoded every photo already: a failure is a changed file
            raise StoreError(f"{len(failed)} photos failed to decode after validation")
        np.save(folder / shard_name(feature.name, job.shard), images)


def run_here(
    jobs: list[ShardJob], write: Callable[[ShardJob], None], progress: bool = True
) -> None:
    """The local engine: one shard after another (each decoded in threads)."""
    with tqdm(
        total=sum(j.rows for j in jobs), desc="decoding photos", unit="row", disable=not progress
    ) as bar:
        for job in jobs:
            write(job)
            bar.update(job.rows)


def _chunks(rows: int, size: int) -> Iterator[tuple[int, int]]:
    """Row ranges of `size` rows; one empty range for no rows, so a store always has a shard."""
    if rows == 0:
        yield 0, 0
    for start in range(0, rows, size):
        yield start, min(start + size, rows)
