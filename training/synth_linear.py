"""A synthetic dataset whose log price is exactly linear in its tabular columns.

The check the wide path exists for: on such data no model can beat the linear one by much, and
the joint model must not lose to it. Listings have a region (category), a number of rooms
(integer) and an area (positive number, entering as its log); log price is a linear function of
those plus Gaussian noise, so the noise floor is known, as for the clothing generator.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from models.schema import Feature, FeatureType, Schema

NOISE_SIGMA = 0.2
REGIONS = {"north": 0.4, "south": -0.3, "east": 0.1, "west": 0.0, "centre": 0.8, "coast": 0.55}
ROOM_EFFECT, AREA_ELASTICITY, BASE = 0.08, 0.9, 5.0


def linear_schema() -> Schema:
    """Region, rooms and area → price."""
    return Schema(
        features=(
            Feature(name="region", type=FeatureType.CATEGORY, max_chars=20),
            Feature(name="rooms", type=FeatureType.INTEGER, min=1, max=8),
            Feature(name="area", type=FeatureType.NUMBER, min=1, max=10_000),
        ),
        target="price",
    )


def write_linear_dataset(folder: Path, rows: int, seed: int) -> float:
    """Write schema, listings and dataset.json into a new `folder`; returns the noise floor."""
    rng = np.random.default_rng(seed)
    region = rng.choice(list(REGIONS), rows)
    rooms = rng.integers(1, 9, rows)
    area = np.round(np.exp(rng.normal(4.3, 0.5, rows)) * rooms / 3, 1).clip(1, 10_000)
    mu = BASE + np.array([REGIONS[r] for r in region]) + ROOM_EFFECT * rooms
    mu = mu + AREA_ELASTICITY * np.log(area)
    price = np.round(np.exp(mu + rng.normal(0, NOISE_SIGMA, rows)), 2)
    folder.mkdir(parents=True)
    linear_schema().save(folder)
    frame = pd.DataFrame(
        {"id": [f"R{i + 1:05d}" for i in range(rows)], "region": region, "rooms": rooms}
    )
    frame["area"], frame["price"] = area, price
    frame.to_csv(folder / "listings.csv", index=False, lineterminator="\n")
    floor = float(np.sqrt(np.mean((np.log1p(price) - np.log1p(np.exp(mu))) ** 2)))
    info = {"generator": "appraiser.synth_linear/1", "rows": rows, "seed": seed}
    info |= {"noise_sigma": NOISE_SIGMA, "noise_floor_rmsle": round(floor, 6)}
    (folder / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return floor
