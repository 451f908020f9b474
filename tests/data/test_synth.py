"""The synthetic generator: deterministic, well-formed, and true to its promise about the signal."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from models.features import decode_photo, read_photo_file
from models.schema import Schema, clothing_schema
from training import synth, synth_photos, synth_text_en
from training.synth import rmsle, sample_latents, write_synthetic_dataset

pytestmark = pytest.mark.data
LIMITS = {"max_bytes": 10_000_000, "max_pixels": 40_000_000}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 listings with 32 px photos: enough rows for the shares to settle."""
    folder = tmp_path_factory.mktemp("synth") / "ds"
    write_synthetic_dataset(folder, rows=400, seed=2, photo_size=32)
    return folder


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype={"description": str, "photo": str},
                       keep_default_na=False)  # fmt: skip


def _files(folder: Path) -> dict[str, bytes]:
    names = ["listings.csv", "latent.csv", *sorted(p.name for p in (folder / "photos").iterdir())]
    return {n: (folder / n if n.endswith(".csv") else folder / "photos" / n).read_bytes()
            for n in names}  # fmt: skip


def test_same_seed_same_bytes_even_across_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_synthetic_dataset(tmp_path / "serial", rows=60, seed=5, photo_size=32, workers=1)
    monkeypatch.setattr(synth, "PHOTO_CHUNK", 10)  # several chunks, drawn by two processes
    write_synthetic_dataset(tmp_path / "parallel", rows=60, seed=5, photo_size=32, workers=2)
    serial, parallel = _files(tmp_path / "serial"), _files(tmp_path / "parallel")
    assert len(serial) > 40
    assert serial == parallel


def test_different_seed_different_data(tmp_path: Path) -> None:
    write_synthetic_dataset(tmp_path / "a", rows=30, seed=1, photo_size=32)
    write_synthetic_dataset(tmp_path / "b", rows=30, seed=2, photo_size=32)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a["listings.csv"] != b["listings.csv"]
    shared = set(a) & set(b) - {"listings.csv", "latent.csv"}
    assert shared and all(a[name] != b[name] for name in shared)


def test_first_rows_do_not_depend_on_row_count() -> None:
    small, big = sample_latents(50, 3), sample_latents(300, 3)
    pd.testing.assert_frame_equal(small, big.head(50))


def test_layout_and_values(dataset: Path) -> None:
    listings = _read(dataset, "listings.csv")
    assert list(listings.columns) == ["id", "brand", "year", "description", "photo", "price"]
    assert len(listings) == 400 and listings["id"].is_unique
    assert listings["id"].str.fullmatch(r"L\d{6}").all()
    assert (listings["price"] > 0).all()
    assert listings["year"].between(1996, 2026).all()
    assert Schema.load(dataset) == clothing_schema()
    info = json.loads((dataset / "dataset.json").read_text())
    assert {"generator", "rows", "seed", "photo_size", "noise_sigma", "noise_floor_rmsle",
            "formula"} <= set(info)  # fmt: skip
    assert "noise_floor_rmsle" in (dataset / "README.md").read_text()


def test_shares_of_missing_and_odd_rows(dataset: Path) -> None:
    listings, latent = _read(dataset, "listings.csv"), _read(dataset, "latent.csv")
    assert 0.03 <= (listings["photo"] == "").mean() <= 0.14
    assert 0.02 <= (listings["description"] == "").mean() <= 0.11
    assert 0.0 < latent["unseen_brand"].mean() <= 0.06
    assert 0.0 < latent["typo"].mean() <= 0.1
    known = listings.loc[~latent["unseen_brand"], "brand"]
    assert 25 <= known.nunique() <= len(synth.BRANDS)
    unseen = listings.loc[latent["unseen_brand"], "brand"]
    assert not set(unseen) & set(known) and unseen.is_unique  # one-off labels, seen nowhere else


def test_every_photo_exists_and_decodes(dataset: Path) -> None:
    listings = _read(dataset, "listings.csv")
    paths = listings.loc[listings["photo"] != "", "photo"]
    assert len(list((dataset / "photos").iterdir())) == len(paths)
    for path in paths:
        with Image.open(dataset / path) as photo:
            assert (photo.format, photo.size) == ("JPEG", (32, 32))
        pixels = decode_photo(read_photo_file(dataset, path, LIMITS["max_bytes"]), 32, **LIMITS)
        assert pixels.shape == (32, 32, 3) and pixels.std() > 5  # a picture, not a flat fill


def test_descriptions_never_show_photo_factors(dataset: Path) -> None:
    text = " ".join(_read(dataset, "listings.csv")["description"]).lower()
    colour_words = {w for name in synth_photos.COLOURWAYS for w in name.split("/")}
    photo_words = {"stripe", "check", "dots", "plaid", "stain", "hole", "tear", "ripped", "block"}
    assert not [w for w in colour_words | photo_words if re.search(rf"\b{w}", text)]


def test_descriptions_carry_category_material_and_condition(dataset: Path) -> None:
    listings, latent = _read(dataset, "listings.csv"), _read(dataset, "latent.csv")
    clean = latent["has_text"] & ~latent["typo"]
    assert clean.sum() > 300
    for text, row in zip(listings["description"][clean], latent[clean].itertuples(), strict=True):
        lowered = text.lower()
        assert any(w in lowered for w in synth_text_en.CATEGORY_WORDS[str(row.category)]), text
        assert any(w in lowered for w in synth_text_en.MATERIAL_WORDS[str(row.material)]), text
        assert any(w in lowered for w in synth_text_en.CONDITION_WORDS[str(row.condition)]), text
        assert "{" not in text and "  " not in text, text


def test_factor_tables_agree_with_the_drawing() -> None:
    assert list(synth.PATTERNS) == list(synth_photos.PATTERNS)
    assert list(synth.COLOURWAYS) == list(synth_photos.COLOURWAYS)
    assert set(synth.CATEGORIES) == set(synth_photos.SILHOUETTES)


def test_stated_noise_floor_is_the_empirical_one(dataset: Path) -> None:
    info = json.loads((dataset / "dataset.json").read_text())
    listings, latent = _read(dataset, "listings.csv"), _read(dataset, "latent.csv")
    floor = rmsle(listings["price"].to_numpy(), np.exp(latent["mu"].to_numpy()))
    assert info["noise_floor_rmsle"] == pytest.approx(floor, abs=1e-5)
    assert info["noise_sigma"] == 0.3
    assert 0.2 < floor < 0.36


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match=re.escape(str(tmp_path))):
        write_synthetic_dataset(tmp_path, rows=5, seed=0, photo_size=32)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


# --- the promise: every input matters, and only all of them together reach the noise floor ---


def _onehot(values: pd.Series, shown: np.ndarray, prefix: str) -> pd.DataFrame:
    """One-hot of a factor, zero where the listing does not show it."""
    return pd.get_dummies(values.astype(str), prefix=prefix, dtype=float).mul(shown, axis=0)


def _designs(latent: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Regressors per input from the factors each input shows; 'all' adds tier interactions."""
    photo, text = latent["has_photo"].to_numpy(float), latent["has_text"].to_numpy(float)
    always = np.ones(len(latent))
    w = latent["tier"].map(lambda t: synth.TIERS[t].weight).to_numpy()
    brand = latent["brand"].where(~latent["unseen_brand"], "(unseen)")
    tier_by_age = _onehot(latent["tier"], always, "tier_x_age").mul(latent["age"], axis=0)
    brand_year = pd.concat([_onehot(brand, always, "brand"), tier_by_age], axis=1)
    text_only = pd.concat(
        [_onehot(latent[c], text, c) for c in ("material", "condition", "category")]
        + [pd.Series(1 - text, name="no_text", index=latent.index)], axis=1)  # fmt: skip
    photo_only = pd.concat(
        [_onehot(latent[c], photo, c) for c in ("pattern", "colourway", "damage", "category")]
        + [pd.Series(1 - photo, name="no_photo", index=latent.index)], axis=1)  # fmt: skip
    crossed = pd.concat([text_only, photo_only], axis=1).mul(w, axis=0).add_prefix("tier_x_")
    material_guess = _onehot(latent["category"], (1 - text) * photo, "category_without_text")
    joined = [brand_year, text_only, photo_only, crossed, material_guess]
    return {
        "brand+year": brand_year,
        "text": text_only,
        "photo": photo_only,
        "sum of the three (no cross terms)": pd.concat(joined[:3], axis=1),
        "all inputs": pd.concat(joined, axis=1),
    }


def _held_out_rmsle(design: pd.DataFrame, price: np.ndarray, train: np.ndarray) -> float:
    """Least squares on log price over the training rows, scored on the rest."""
    x = np.column_stack([np.ones(len(design)), design.to_numpy(float)])
    coef, *_ = np.linalg.lstsq(x[train], np.log(price[train]), rcond=None)
    return rmsle(price[~train], np.exp(x[~train] @ coef))


def test_generator_keeps_its_promise() -> None:
    latent = sample_latents(3000, seed=11)
    price, train = latent["price"].to_numpy(), np.arange(len(latent)) < 2400
    floor = rmsle(price[~train], np.exp(latent["mu"].to_numpy()[~train]))
    scores = {name: _held_out_rmsle(x, price, train) for name, x in _designs(latent).items()}
    print(f"\nheld-out RMSLE on 600 rows (noise floor {floor:.4f}, std mu "
          f"{latent['mu'].std():.3f}):")  # fmt: skip
    for name, score in scores.items():
        print(f"  {name:34s} {score:.4f}  ({score / floor:.2f}x floor)")
    best_single = min(scores["brand+year"], scores["text"], scores["photo"])
    assert scores["all inputs"] <= 0.75 * best_single  # every input carries its own signal
    assert scores["all inputs"] <= 0.95 * scores["sum of the three (no cross terms)"]  # crossings
    assert scores["all inputs"] <= 1.1 * floor
