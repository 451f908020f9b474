"""Does a model read the brand? The same clothing listing priced under a brand of each tier.

For the synthetic clothing world (`training.synth`), whose tiers move log price by known
amounts: a luxury brand's listing should sell for several times a budget brand's identical one.
`appraise tiers` (run by `make demo`) prints it through the registered model's pyfunc path.
"""

from __future__ import annotations

import math

import mlflow
import pandas as pd

from models.store import configure_tracking
from training.synth import BRANDS, CURRENT_YEAR, OLDEST_AGE, TIERS

YEAR = 2020
DESCRIPTION = "Wool coat, size M, excellent condition, worn a few times"
SHOWN = ("budget", "mid", "premium", "luxury")


def typical_brands() -> dict[str, str]:
    """Each tier's brand whose own offset is smallest: the tier's effect, and little else."""
    brands: dict[str, str] = {}
    for tier in SHOWN:
        members = [(abs(offset), name) for name, brand_tier, offset in BRANDS if brand_tier == tier]
        brands[tier] = min(members)[1]
    return brands


def tier_prices(model_uri: str) -> pd.DataFrame:
    """One row per tier: brand, the model's price, and the generator's own ratio to budget."""
    brands = typical_brands()
    rows = pd.DataFrame(
        {"brand": list(brands.values()), "year": YEAR, "description": DESCRIPTION, "photo": ""}
    )
    priced = mlflow.pyfunc.load_model(model_uri).predict(rows)
    age = (CURRENT_YEAR - YEAR) / OLDEST_AGE

    def truth(tier: str) -> float:  # the tier's effect plus its ageing, as the generator has it
        return TIERS[tier].effect + TIERS[tier].vintage * age

    return pd.DataFrame(
        {
            "tier": list(brands),
            "brand": list(brands.values()),
            "price": priced["price"].to_numpy(),
            "true_ratio": [math.exp(truth(t) - truth("budget")) for t in brands],
        }
    )


def report(model_uri: str) -> str:
    """The tier table as text: each tier's price, its ratio to budget, and the generator's."""
    configure_tracking()
    table = tier_prices(model_uri)
    budget = float(table["price"].iloc[0])  # SHOWN starts with the budget tier
    lines = [f'The same listing ({YEAR}, "{DESCRIPTION}", no photo) by brand tier:']
    labels = (table["tier"] + " (" + table["brand"] + "):").tolist()
    width = max(map(len, labels))
    for label, price, truth in zip(labels, table["price"], table["true_ratio"], strict=True):
        lines.append(
            f"  {label:<{width}} {price:8.2f} = {price / budget:.1f}x budget "
            f"(the generator's own: {truth:.1f}x)"
        )
    return "\n".join(lines)
