"""Synthetic used-clothing listings whose price depends on every input, with a known noise floor.

Each listing is drawn from latent factors: the brand's tier and offset and the item's age show
only in the brand and year columns, material and condition only in the description, pattern,
colourway and damage only in the photo, and some effects cross inputs (damage costs a luxury item
far more). Log price is a noise-free `mu` plus Gaussian noise, and `mu` uses only what the listing
shows, so RMSLE(price, exp(mu)) is as good as any model can do. Every row has its own random
streams, so photos are drawn in parallel and a seed always gives the same bytes.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from textwrap import fill
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from models.schema import clothing_schema
from training.synth_photos import PhotoJob, write_photo_chunk
from training.synth_text import LANGUAGES, descriptions, writer

GENERATOR = "appraiser.synth/1"
CURRENT_YEAR = 2026
OLDEST_AGE = 30  # years 1996..2026
NOISE_SIGMA = 0.30
BASE_LOG_PRICE = math.log(38.0)
SHARE_NO_PHOTO, SHARE_NO_TEXT, SHARE_UNSEEN, SHARE_TYPO = 0.08, 0.06, 0.02, 0.05
PHOTO_CHUNK = 250  # photos per task handed to a worker process


class Tier(NamedTuple):
    effect: float  # T, log price
    weight: float  # w: how "luxury" the tier is, 0 (budget) to 1 (luxury)
    vintage: float  # V: log-price change over 30 years of age
    share: float


class Level(NamedTuple):
    effect: float
    share: float


class Condition(NamedTuple):
    effect: float  # K
    quality: float  # q, 0 (worn) to 1 (new with tags)
    share: float


class Pattern(NamedTuple):
    effect: float  # P
    signature: float  # S: bold "house" patterns lift luxury brands and cheapen budget ones
    share: float


class Category(NamedTuple):
    effect: float  # C
    share: float
    materials: dict[str, float]  # relative frequency of each material in this category


TIERS = {
    "budget": Tier(-0.45, 0.0, -0.6, 0.32),
    "mid": Tier(0.0, 1 / 3, -0.35, 0.32),
    "premium": Tier(0.35, 2 / 3, -0.05, 0.20),
    "luxury": Tier(0.75, 1.0, 0.5, 0.14),
    "independent": Tier(0.2, 0.5, -0.2, SHARE_UNSEEN),  # one-off labels seen nowhere else
}
# name, tier, brand offset B; a fixed world: the seed draws listings, never the brands
BRANDS: tuple[tuple[str, str, float], ...] = (
    ("Basico", "budget", -0.12), ("Urban Thread", "budget", 0.05), ("Kiko & Co", "budget", 0.0),
    ("DailyWear", "budget", -0.2), ("Neon Lane", "budget", 0.1), ("Primo Basics", "budget", -0.05),
    ("Fastline", "budget", -0.15), ("Cotton Club", "budget", 0.12), ("Streetline", "budget", 0.08),
    ("Budgetta", "budget", -0.1), ("Mode Mart", "budget", 0.02), ("Snap Apparel", "budget", 0.15),
    ("Harbour & Finch", "mid", 0.1), ("Nordvik", "mid", 0.18), ("Marlowe", "mid", -0.05),
    ("Oak Street", "mid", -0.12), ("Canvas Republic", "mid", 0.0), ("Juniper", "mid", 0.06),
    ("Wren & Willow", "mid", 0.14), ("Atlas Outfitters", "mid", -0.08), ("Bellamy", "mid", 0.03),
    ("Solstice", "mid", -0.15), ("Riverton", "mid", 0.09), ("Greyson", "mid", -0.02),
    ("Aldous Grey", "premium", 0.1), ("Hartwell", "premium", -0.1), ("Kestrel", "premium", 0.0),
    ("Maison Ferrand", "premium", 0.2), ("Vellmar", "premium", 0.05), ("Oriel", "premium", -0.15),
    ("Sable & Stone", "premium", 0.12), ("Linnea Sund", "premium", -0.05),
    ("Corvin", "premium", 0.0), ("Valentina Orsi", "luxury", 0.15),
    ("Castellane", "luxury", -0.1), ("Aurelio Bassi", "luxury", 0.05),
    ("Delacroix Paris", "luxury", 0.25), ("Montclaire", "luxury", -0.2),
    ("Ravenna Haus", "luxury", 0.0), ("Isolde Marchetti", "luxury", 0.1),
    ("Vantier", "luxury", -0.05),
)  # fmt: skip
CATEGORIES = {
    "coat": Category(0.35, 0.12, {"wool": 4, "cashmere": 1.5, "polyester": 2.5, "leather": 1,
                                  "cotton": 1}),
    "jacket": Category(0.25, 0.14, {"leather": 3, "denim": 2.5, "wool": 1.5, "cotton": 1.5,
                                    "polyester": 1.5}),
    "dress": Category(0.1, 0.14, {"silk": 2, "cotton": 3.5, "linen": 1.5, "polyester": 3}),
    "sneakers": Category(0.15, 0.12, {"leather": 4.5, "suede": 2, "canvas": 3.5}),
    "jeans": Category(0.0, 0.13, {"denim": 9, "cotton": 1}),
    "sweater": Category(0.0, 0.13, {"cashmere": 1.5, "wool": 3.5, "cotton": 2.5, "acrylic": 2.5}),
    "skirt": Category(-0.15, 0.10, {"wool": 2, "silk": 1.5, "cotton": 2, "denim": 1.5,
                                    "leather": 1, "polyester": 2}),
    "shirt": Category(-0.25, 0.12, {"cotton": 5, "linen": 2, "silk": 1, "polyester": 2}),
}  # fmt: skip
MATERIALS = {
    "cashmere": 0.75, "silk": 0.55, "leather": 0.6, "suede": 0.4, "wool": 0.25, "linen": 0.1,
    "cotton": 0.0, "denim": 0.05, "canvas": -0.2, "polyester": -0.4, "acrylic": -0.5,
}  # fmt: skip
CONDITIONS = {
    "new with tags": Condition(0.3, 1.0, 0.10),
    "like new": Condition(0.18, 0.85, 0.17),
    "excellent": Condition(0.08, 0.7, 0.25),
    "good": Condition(-0.1, 0.5, 0.26),
    "fair": Condition(-0.4, 0.25, 0.13),
    "worn": Condition(-0.7, 0.0, 0.09),
}
PATTERNS = {
    "solid": Pattern(0.0, 0.0, 0.34),
    "stripes": Pattern(0.2, 0.5, 0.18),
    "checks": Pattern(0.4, 1.0, 0.16),
    "dots": Pattern(-0.4, -0.5, 0.16),
    "colour-block": Pattern(-0.2, -0.5, 0.16),
}
COLOURWAYS = {
    "black/grey": Level(0.2, 0.1), "navy/white": Level(0.15, 0.1), "camel/cream": Level(0.3, 0.1),
    "burgundy/gold": Level(0.05, 0.1), "forest/mustard": Level(-0.05, 0.1),
    "charcoal/red": Level(0.0, 0.1), "pink/white": Level(-0.15, 0.1),
    "olive/khaki": Level(-0.2, 0.1), "orange/teal": Level(-0.35, 0.1),
    "sky/yellow": Level(-0.25, 0.1),
}  # fmt: skip
# damage level 0 (none) .. 3 (heavy): effect = severity D
DAMAGE = {0: Level(0.0, 0.62), 1: Level(0.3, 0.18), 2: Level(0.65, 0.12), 3: Level(1.0, 0.08)}
DAMAGE_BASE, DAMAGE_LUXURY = 0.3, 0.6  # d0, d1: severity costs d0 + d1 * w in log price
QUALITY_LUXURY, NWT_LUXURY, SIGNATURE_LUXURY = 0.6, 0.3, 0.6  # kq, kn, ks

FORMULA = (
    "log(price) = mu + eps, eps ~ N(0, sigma^2), sigma = 0.30; "
    "mu = b0 + T[tier] + B[brand] + V[tier]*v + C[category] + M[material] + K[condition]"
    " + P[pattern] + L[colourway] - D[damage]*(d0 + d1*w) + kq*(q[condition] - E[q])*w"
    " + kn*[condition = new with tags]*w + ks*S[pattern]*(w - 1/2); v = age/30, w = tier weight"
    " (budget 0, mid 1/3, premium 2/3, luxury 1, independent 1/2); a factor the listing does not"
    " show (no photo, empty description) enters at its population expected value"
)


@dataclass(frozen=True)
class SynthSummary:
    """What `write_synthetic_dataset` produced and how good a model can possibly be on it."""

    rows: int
    photos: int
    noise_sigma: float
    noise_floor_rmsle: float
    seconds: float


def write_synthetic_dataset(
    folder: Path,
    rows: int,
    seed: int,
    photo_size: int = 96,
    *,
    language: str = "en",
    workers: int | None = None,
) -> SynthSummary:
    """Write a dataset folder: schema, listings, photos, latent factors, dataset.json, README.

    `language` is that of the descriptions (see `synth_text.LANGUAGES`); every other byte is the
    same in all languages. `workers` caps the processes drawing photos (default: one per core);
    it never changes a byte.
    """
    start = time.perf_counter()
    if rows < 1 or photo_size < 8:
        raise ValueError(f"need rows >= 1 and photo_size >= 8, got {rows} and {photo_size}")
    writer(language)  # refuse an unknown language before touching the folder
    _prepare_folder(folder)
    latents = sample_latents(rows, seed)
    listings = _listings(latents, seed, language)
    clothing_schema().save(folder)
    (folder / "photos").mkdir()
    photos = _write_photos(folder, latents, seed, photo_size, workers)
    listings.to_csv(folder / "listings.csv", index=False, lineterminator="\n", float_format="%.2f")
    latents.drop(columns="price").to_csv(folder / "latent.csv", index=False, lineterminator="\n")
    floor = round(rmsle(latents["price"].to_numpy(), np.exp(latents["mu"].to_numpy())), 6)
    info: dict[str, Any] = {
        "generator": GENERATOR,
        "rows": rows,
        "seed": seed,
        "language": language,
        "photo_size": photo_size,
        "noise_sigma": NOISE_SIGMA,
        "noise_floor_rmsle": floor,
        "mu_std": round(float(latents["mu"].std()), 6),
        "formula": FORMULA,
    }
    (folder / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(_readme(info), encoding="utf-8")
    return SynthSummary(rows, photos, NOISE_SIGMA, floor, time.perf_counter() - start)


def rmsle(price: np.ndarray, predicted: np.ndarray) -> float:
    """Root mean squared logarithmic error (log1p), the headline metric."""
    return float(np.sqrt(np.mean((np.log1p(price) - np.log1p(predicted)) ** 2)))


def sample_latents(rows: int, seed: int) -> pd.DataFrame:
    """Every row's latent factors, `mu` (by part and in total), noise and price; no text, no photos.

    Row i depends only on (seed, i), so the first n rows of a bigger dataset are the n-row dataset.
    """
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    draws = np.stack([_row_draws(seed, i) for i in range(rows)])
    frame = _factors(draws, seed)
    parts = _mu_parts(frame)
    frame = pd.concat([frame, parts], axis=1)
    frame["mu"] = BASE_LOG_PRICE + parts.sum(axis=1)
    frame["eps"] = NOISE_SIGMA * draws[:, -1]
    frame["price"] = np.round(np.exp(frame["mu"] + frame["eps"]), 2)
    return frame


def _row_draws(seed: int, index: int) -> np.ndarray:
    """Eleven uniforms (one per factor, see `_factors`) and a standard normal for the noise."""
    rng = np.random.default_rng([seed, index, 0])
    return np.append(rng.random(11), rng.standard_normal())


def _factors(draws: np.ndarray, seed: int) -> pd.DataFrame:
    """Turn each row's uniforms into its factors: column k of `draws` decides one factor."""
    rows = len(draws)
    unseen = draws[:, 0] < SHARE_UNSEEN
    known = _pick([share for _, share in _brand_shares()], draws[:, 1])
    category = _pick_name(CATEGORIES, draws[:, 3])
    frame = pd.DataFrame(
        {
            "id": [f"L{i + 1:06d}" for i in range(rows)],
            "brand": [unseen_label(i, seed, rows) if unseen[i] else BRANDS[k][0]
                      for i, k in enumerate(known)],
            "tier": np.where(unseen, "independent", [BRANDS[k][1] for k in known]),
            "brand_effect": np.where(unseen, 0.0, [BRANDS[k][2] for k in known]),
            # u^1.6 favours recent years but keeps a vintage tail (a quarter are 20+ years old)
            "age": np.floor(draws[:, 2] ** 1.6 * (OLDEST_AGE + 1)).astype(int),
            "category": category,
            "material": _materials(category, draws[:, 4]),
            "condition": _pick_name(CONDITIONS, draws[:, 5]),
            "pattern": _pick_name(PATTERNS, draws[:, 6]),
            "colourway": _pick_name(COLOURWAYS, draws[:, 7]),
            "damage": _pick([d.share for d in DAMAGE.values()], draws[:, 8]),
            "has_photo": draws[:, 9] >= SHARE_NO_PHOTO,
            "has_text": draws[:, 10] >= SHARE_NO_TEXT,
            "unseen_brand": unseen,
        }
    )  # fmt: skip
    frame.insert(4, "year", CURRENT_YEAR - frame["age"])
    return frame


def _pick(weights: list[float], uniforms: np.ndarray) -> np.ndarray:
    """Indices drawn with probability proportional to `weights` (inverse of the cumulative sum)."""
    cumulative = np.cumsum(weights) / np.sum(weights)
    picked: np.ndarray = np.minimum(np.searchsorted(cumulative, uniforms), len(weights) - 1)
    return picked


def _pick_name(table: Mapping[str, Any], uniforms: np.ndarray) -> np.ndarray:
    """Keys of a table whose entries have a `share`, drawn by share."""
    names: np.ndarray = np.array(list(table))[_pick([e.share for e in table.values()], uniforms)]
    return names


def _brand_shares() -> list[tuple[str, float]]:
    """Each tier's share split over its brands, the first-listed brands being the most popular."""
    shares = []
    for tier_name, tier in TIERS.items():
        names = [name for name, brand_tier, _ in BRANDS if brand_tier == tier_name]
        weights = [1 / math.sqrt(1 + rank) for rank in range(len(names))]
        shares += [(n, tier.share * w / sum(weights)) for n, w in zip(names, weights, strict=True)]
    order = {name: k for k, (name, _, _) in enumerate(BRANDS)}
    return sorted(shares, key=lambda pair: order[pair[0]])


def _materials(category: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Material drawn from the category's own mix: no cashmere jeans, no silk sneakers."""
    out = np.empty(len(category), dtype=object)
    for name, entry in CATEGORIES.items():
        rows = category == name
        mix = entry.materials
        out[rows] = np.array(list(mix))[_pick(list(mix.values()), uniforms[rows])]
    return out.astype(str)


LABEL_PREFIXES = ("Atelier", "Studio", "Label", "Workshop", "Casa", "Collective", "Loft", "Haus")
LABEL_SYLLABLES = ("ka", "lo", "mi", "ra", "ve", "no", "ti", "sa", "du", "re", "vo", "li", "ne",
                   "ba", "zo", "fi", "ma", "ro", "el", "an", "is", "or", "ul", "en")  # fmt: skip


def unseen_label(index: int, seed: int, rows: int) -> str:
    """A one-off label name for row `index`, shared with no other row and no known brand.

    An affine map modulo the number of possible names is a bijection on row indices, so the names
    of one dataset never collide; the prefix word keeps them apart from the known brands.
    """
    digits = 3
    while len(LABEL_PREFIXES) * len(LABEL_SYLLABLES) ** digits < rows:
        digits += 1
    space = len(LABEL_PREFIXES) * len(LABEL_SYLLABLES) ** digits
    code = (index * 7919 + seed * 104729) % space  # 7919 is prime; space is 2^a * 3^b
    prefix, code = LABEL_PREFIXES[code % len(LABEL_PREFIXES)], code // len(LABEL_PREFIXES)
    word = ""
    for _ in range(digits):
        word += LABEL_SYLLABLES[code % len(LABEL_SYLLABLES)]
        code //= len(LABEL_SYLLABLES)
    return f"{prefix} {word.capitalize()}"


def _mu_parts(frame: pd.DataFrame) -> pd.DataFrame:
    """The terms of `mu`, grouped by the input that carries them (see FORMULA)."""
    photo, text = frame["has_photo"].to_numpy(), frame["has_text"].to_numpy()
    w = _lookup(frame["tier"], TIERS, "weight")
    age = frame["age"].to_numpy() / OLDEST_AGE
    damage = _shown(frame["damage"], DAMAGE, "effect", photo)
    signature = _shown(frame["pattern"], PATTERNS, "signature", photo)
    quality = _shown(frame["condition"], CONDITIONS, "quality", text) - _mean(CONDITIONS, "quality")
    nwt_share = CONDITIONS["new with tags"].share
    new_with_tags = np.where(text, frame["condition"] == "new with tags", nwt_share)
    parts = {
        "mu_brand_year": _lookup(frame["tier"], TIERS, "effect")
        + frame["brand_effect"].to_numpy()
        + _lookup(frame["tier"], TIERS, "vintage") * age,
        "mu_category": _shown(frame["category"], CATEGORIES, "effect", photo | text),
        "mu_text": _material_shown(frame, text, photo)
        + _shown(frame["condition"], CONDITIONS, "effect", text),
        "mu_photo": _shown(frame["pattern"], PATTERNS, "effect", photo)
        + _shown(frame["colourway"], COLOURWAYS, "effect", photo)
        - DAMAGE_BASE * damage,
        "mu_cross": QUALITY_LUXURY * quality * w
        + NWT_LUXURY * new_with_tags * w
        - DAMAGE_LUXURY * damage * w
        + SIGNATURE_LUXURY * signature * (w - 0.5),
    }
    return pd.DataFrame(parts, index=frame.index)


def _lookup(column: pd.Series, table: Mapping[Any, Any], field: str) -> np.ndarray:
    return column.map(lambda key: getattr(table[key], field)).to_numpy(dtype=float)


def _mean(table: Mapping[Any, Any], field: str) -> float:
    """Population mean of one field of a table, weighted by each entry's share."""
    entries = list(table.values())
    total = sum(e.share for e in entries)
    return float(sum(getattr(e, field) * e.share for e in entries) / total)


def _shown(
    column: pd.Series, table: Mapping[Any, Any], field: str, visible: np.ndarray
) -> np.ndarray:
    """A factor's effect where the listing shows it, else its population expectation.

    A buyer cannot price what they cannot see, so neither does the market: this keeps the noise
    floor honest (no model can recover a factor the listing hides).
    """
    return np.where(visible, _lookup(column, table, field), _mean(table, field))


def _material_shown(frame: pd.DataFrame, text: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """Material effect; without a description the photo still shows the category."""
    by_category = {
        name: sum(MATERIALS[m] * f for m, f in c.materials.items()) / sum(c.materials.values())
        for name, c in CATEGORIES.items()
    }
    overall = sum(by_category[name] * c.share for name, c in CATEGORIES.items())
    guess = np.where(photo, frame["category"].map(by_category).to_numpy(dtype=float), overall)
    return np.where(text, frame["material"].map(MATERIALS).to_numpy(dtype=float), guess)


# --- the dataset folder ---


def _prepare_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValueError(f"{folder}: not an empty folder; synthetic data goes into a new folder")
    folder.mkdir(parents=True, exist_ok=True)


def _listings(latents: pd.DataFrame, seed: int, language: str) -> pd.DataFrame:
    """The columns a model sees. Also marks in `latents` which descriptions carry slips."""
    texts, slips = descriptions(latents, seed, language, SHARE_TYPO)
    latents["typo"] = slips
    return pd.DataFrame(
        {
            "id": latents["id"],
            "brand": latents["brand"],
            "year": latents["year"],
            "description": texts,
            "photo": np.where(latents["has_photo"], "photos/" + latents["id"] + ".jpg", ""),
            "price": latents["price"],
        }
    )


def _write_photos(
    folder: Path, latents: pd.DataFrame, seed: int, size: int, workers: int | None
) -> int:
    """Draw every listed photo, in worker processes when there is more than one chunk."""
    shown = latents[latents["has_photo"]]
    columns = [shown[c].tolist() for c in ("id", "category", "pattern", "colourway", "damage")]
    jobs: list[PhotoJob] = list(zip(shown.index.tolist(), *columns, strict=True))
    chunks = [jobs[k : k + PHOTO_CHUNK] for k in range(0, len(jobs), PHOTO_CHUNK)]
    processes = min(workers or os.cpu_count() or 1, len(chunks))
    if processes <= 1:
        return sum(write_photo_chunk(folder, seed, size, chunk) for chunk in chunks)
    # spawn, not fork: the caller may hold threads (TensorFlow, a server) that fork would break
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(write_photo_chunk, folder, seed, size, c) for c in chunks]
        return sum(future.result() for future in futures)


def _readme(info: Mapping[str, Any]) -> str:
    """The dataset's README: what it is, how each price was made, and the best possible score."""
    tiers = [(n, f"{t.effect:+.2f}", f"{t.weight:.2f}", f"{t.vintage:+.2f}", f"{t.share:.0%}")
             for n, t in TIERS.items()]  # fmt: skip
    brands = [(n, t, f"{b:+.2f}") for n, t, b in BRANDS]
    materials = [(n, f"{e:+.2f}") for n, e in MATERIALS.items()]
    conditions = [(n, f"{c.effect:+.2f}", f"{c.quality:.2f}", f"{c.share:.0%}")
                  for n, c in CONDITIONS.items()]  # fmt: skip
    patterns = [(n, f"{p.effect:+.2f}", f"{p.signature:+.2f}", f"{p.share:.0%}")
                for n, p in PATTERNS.items()]  # fmt: skip
    colours = [(n, f"{c.effect:+.2f}") for n, c in COLOURWAYS.items()]
    damage = [(str(k), f"{d.effect:.2f}", f"{d.share:.0%}") for k, d in DAMAGE.items()]
    categories = [(n, f"{c.effect:+.2f}", f"{c.share:.0%}") for n, c in CATEGORIES.items()]
    rows, size, seed = info["rows"], info["photo_size"], info["seed"]
    text = writer(info["language"])
    return f"""# Synthetic used-clothing listings

{rows} second-hand clothing listings with {size} px photos, seed {seed}, descriptions in
{text.name}. Made by `training/synth.py`
({GENERATOR}) as Appraiser's sample data and test data: each input (brand, year, description,
photo) carries price signal that no other input carries, some effects only appear when inputs
are seen together, and the best achievable error is known.

## Files

- `listings.csv`: `id, brand, year, description, photo, price`, what a model reads.
- `schema.yaml`: the feature declaration (brand: category, year: integer, description: text,
  photo: image, target price).
- `photos/<id>.jpg`: one photo per listing that has one (~{SHARE_NO_PHOTO:.0%} have none).
- `latent.csv`: the hidden factors of every row and `mu`, split into `mu_brand_year`,
  `mu_category`, `mu_text`, `mu_photo`, `mu_cross` (mu = b0 + their sum), and the noise `eps`.
  A model must never read it; it is there to check what a model learned.
- `dataset.json`: generator, rows, seed, language, photo size, noise sigma, noise floor, formula.

## How a price is made

Each listing has a brand (of a price tier), an age, a garment category, a material, a condition,
a pattern, a colourway and a damage level, all independent except that the material depends on
the category. Where each factor shows:

- brand tier, brand offset and age: only in `brand` and `year`;
- material and condition: only in `description` (it never mentions colour, pattern or damage);
- pattern, colourway and damage (stains, holes, tears): only in the photo;
- category: in the description and in the photo's silhouette.

In symbols, with v = age / 30 and w the tier's luxury weight:

    log(price) = mu + eps,   eps ~ N(0, sigma^2),   sigma = {NOISE_SIGMA}
    mu = b0 + T[tier] + B[brand] + V[tier] * v                 (brand and year)
            + C[category]                                       (text or photo)
            + M[material] + K[condition]                        (text)
            + P[pattern] + L[colourway] - d0 * D[damage]        (photo)
            + kq * (q[condition] - E[q]) * w                    (text x brand)
            + kn * [condition is new with tags] * w             (text x brand)
            - d1 * D[damage] * w                                (photo x brand)
            + ks * S[pattern] * (w - 1/2)                       (photo x brand)

with b0 = log(38), d0 = {DAMAGE_BASE}, d1 = {DAMAGE_LUXURY}, kq = {QUALITY_LUXURY},
kn = {NWT_LUXURY}, ks = {SIGNATURE_LUXURY}.

In words: luxury items gain value with age while budget items lose it; condition, and
new-with-tags most of all, matters more the more upmarket the brand; damage costs a luxury
item far more than a budget one; bold "house" patterns (checks, stripes) lift luxury brands and
cheapen budget ones. The cross terms cannot be written as a sum of one function per input, so a
late average of per-input models cannot express them.

The market prices only what a listing shows: when a listing has no photo, the photo factors
enter `mu` at their population expected values; when the description is empty, material (its
expectation given the category seen in the photo) and condition do; when neither shows the
category, it enters at its expectation too. About {SHARE_UNSEEN:.0%} of listings come from one-off
labels seen nowhere else in the data; they all price as tier "independent", which a model can
learn through its out-of-vocabulary brand slot. About {SHARE_NO_TEXT:.0%} of descriptions are
empty and {SHARE_TYPO:.0%} of the rest carry a slip (see Descriptions).

## Descriptions in {text.name}

{fill(text.readme, 99)}

The same seed gives the same prices, brands, years, photos and `latent.csv` in every language
({", ".join(LANGUAGES)}): only `description` differs, and it carries the same category, material
and condition whatever its language.

## Best achievable score

Given everything a listing shows, log(price) is normal with mean `mu` and standard deviation
sigma = {NOISE_SIGMA}, so no model can beat predicting exp(mu). On this dataset

    noise_floor_rmsle = sqrt(mean((log1p(price) - log1p(exp(mu)))^2)) = {info["noise_floor_rmsle"]}

over all rows (prices rounded to cents), with std(mu) = {info["mu_std"]}. A model that reaches
close to it has used every input; one that sits far above it has missed something.

## Effect tables (log price)

{_table(("tier", "T", "w", "V over 30 years", "share"), tiers)}

{_table(("brand", "tier", "B"), brands)}

{_table(("category", "C", "share"), categories)}

{_table(("material", "M"), materials)}

{_table(("condition", "K", "q", "share"), conditions)}

{_table(("pattern", "P", "S", "share"), patterns)}

{_table(("colourway", "L"), colours)}

{_table(("damage level", "D", "share"), damage)}
"""


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
