"""What the description writers of every language share: the phrase picker and a writer's shape.

A writer turns a listing's category, material and condition into seller's text. It draws only
from the `rng` it is given, which is the row's own text stream, so the language of the text never
moves a price, a photo or any other column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

# factor ("category", "material", "condition") -> latent value -> the phrases that name it
Phrases = Mapping[str, Mapping[str, tuple[str, ...]]]


class Writer(NamedTuple):
    """One language's descriptions: clean text, its slips, the phrases each factor uses."""

    name: str  # the language, in English: "Korean"
    describe: Callable[[str, str, str, np.random.Generator], str]
    garble: Callable[[str, np.random.Generator], str]
    phrases: Phrases
    readme: str  # a paragraph of the dataset README: how this language's text is made


def one(options: tuple[str, ...], rng: np.random.Generator) -> str:
    """One of `options`, uniformly; one integer draw from `rng`."""
    return options[int(rng.integers(len(options)))]


def replace_one(text: str, swaps: Mapping[str, str], rng: np.random.Generator) -> str:
    """The text with one of the `swaps` keys it contains replaced by its value; else unchanged."""
    found = tuple(key for key in swaps if key in text)
    if not found:
        return text
    key = one(found, rng)
    return text.replace(key, swaps[key])
