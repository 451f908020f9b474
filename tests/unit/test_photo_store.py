"""The photo store: the photos the decode path gives, read back by row across shards, reused
only when made from the same data, and refused when damaged."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from appraise import app
from models.inputs import decode_photos
from models.schema import FeatureType
from training import photo_store
from training.dataset import read_dataset
from training.photo_store import MANIFEST, PhotoStore, StoreError, open_or_write, shard_name

SIDE = 16


def _expected(folder: Path) -> np.ndarray:
    dataset = read_dataset(folder)
    feature = dataset.schema.of_type(FeatureType.IMAGE)[0]
    images, _ = decode_photos(dataset.frame[feature.name].tolist(), feature, SIDE, folder)
    return images


def test_rows_read_back_as_decoded_in_any_order_across_shards(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(photo_store, "SHARD_BYTES", 7 * SIDE * SIDE * 3)  # 7 rows a shard
    store = open_or_write(read_dataset(tiny_dataset), tmp_path / "s", SIDE, progress=False)
    expected = _expected(tiny_dataset)
    assert len(store) == len(expected) and len(store.manifest.shard_rows) == 6
    rows = np.random.default_rng(0).permutation(len(expected))
    np.testing.assert_array_equal(store.read("photo", rows), expected[rows])
    assert expected.any(axis=(1, 2, 3)).sum() > 0  # the tiny data has photos to compare


def test_a_store_is_reused_for_the_same_data_and_rewritten_when_a_photo_changes(
    tiny_dataset: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "s"
    open_or_write(read_dataset(tiny_dataset), folder, SIDE, progress=False).close()
    first = (folder / MANIFEST).stat().st_mtime_ns
    open_or_write(read_dataset(tiny_dataset), folder, SIDE, progress=False).close()
    assert (folder / MANIFEST).stat().st_mtime_ns == first
    dataset = read_dataset(tiny_dataset)
    photo = next(p for p in dataset.frame["photo"] if p)
    other = next(p for p in dataset.frame["photo"] if p and p != photo)
    (tiny_dataset / photo).write_bytes((tiny_dataset / other).read_bytes())
    store = open_or_write(read_dataset(tiny_dataset), folder, SIDE, progress=False)
    assert (folder / MANIFEST).stat().st_mtime_ns != first
    np.testing.assert_array_equal(
        store.read("photo", np.arange(len(store))), _expected(tiny_dataset)
    )


def test_another_photo_size_is_another_store(tiny_dataset: Path, tmp_path: Path) -> None:
    dataset = read_dataset(tiny_dataset)
    assert photo_store.fingerprint(dataset, 16) != photo_store.fingerprint(dataset, 32)
    with pytest.raises(StoreError, match="fingerprint differs"):
        open_or_write(dataset, tmp_path / "s", 16, progress=False).close()
        PhotoStore.open(tmp_path / "s", photo_store.fingerprint(dataset, 32))


def test_a_damaged_store_is_refused_with_the_reason(tiny_dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no readable manifest\.json"):
        PhotoStore.open(tmp_path)
    folder = tmp_path / "s"
    open_or_write(read_dataset(tiny_dataset), folder, SIDE, progress=False).close()
    shard = folder / shard_name("photo", 0)
    os.truncate(shard, shard.stat().st_size - 10)
    with pytest.raises(StoreError, match="cut short"):
        PhotoStore.open(folder).read("photo", np.array([len(_expected(tiny_dataset)) - 1]))


def test_a_temporary_store_is_removed_when_closed(tiny_dataset: Path) -> None:
    store = open_or_write(read_dataset(tiny_dataset), None, SIDE, progress=False)
    assert (store.folder / MANIFEST).is_file()
    store.close()
    assert not store.folder.exists()


def test_prepare_command_writes_the_store_train_reads_and_reports_bad_rows(
    tiny_dataset: Path, tmp_path: Path
) -> None:
    listings = tiny_dataset / "listings.csv"
    table = pd.read_csv(listings, dtype=str, keep_default_na=False)
    table.loc[0, "photo"] = "missing.jpg"
    table.to_csv(listings, index=False)
    config = tmp_path / "c.yaml"
    config.write_text(f"model:\n  photo:\n    image_size: {SIDE}\n")
    out = tmp_path / "s"
    result = CliRunner().invoke(
        app, ["data", "prepare", str(tiny_dataset), str(out), "--config", str(config), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "row 1, column photo" in result.output
    assert f"{len(table) - 1} rows (1 bad rows left out)" in result.output
    assert PhotoStore.open(out, photo_store.fingerprint(read_dataset(tiny_dataset), SIDE))
    missing = CliRunner().invoke(app, ["data", "prepare", str(tmp_path / "nope"), str(out)])
    assert missing.exit_code == 1 and "not a folder" in missing.output
