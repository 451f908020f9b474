"""Descriptions in the dataset's language, one writer per language (`WRITERS`).

Each row's text comes from its own random stream, apart from the streams of its factors and its
photo, so the language changes the descriptions and nothing else. Whether a description carries a
slip is the English draw in every language, so `latent.csv` is the same for all of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training import synth_text_en, synth_text_ja, synth_text_ko
from training.synth_words import Writer

WRITERS: dict[str, Writer] = {
    "en": synth_text_en.WRITER,
    "ko": synth_text_ko.WRITER,
    "ja": synth_text_ja.WRITER,
}
LANGUAGES = tuple(WRITERS)


def writer(language: str) -> Writer:
    """The writer of `language`; a ValueError names the languages there are."""
    if language not in WRITERS:
        raise ValueError(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
    return WRITERS[language]


def descriptions(
    latents: pd.DataFrame, seed: int, language: str, share_typo: float
) -> tuple[list[str], list[bool]]:
    """Every row's description ("" where the listing has none) and whether it carries a slip.

    The English text and the slip draw come first from stream (seed, row, 2), exactly as they
    always have, so English output never changes; another language then writes from its own
    stream (seed, row, 3).
    """
    write = writer(language)
    texts, slips = [], []
    for i, row in enumerate(latents.itertuples(index=False)):
        facts = (str(row.category), str(row.material), str(row.condition))
        rng = np.random.default_rng([seed, i, 2])
        text = synth_text_en.describe(*facts, rng)
        slip = bool(row.has_text) and bool(rng.random() < share_typo)
        if language != "en":
            rng = np.random.default_rng([seed, i, 3])
            text = write.describe(*facts, rng)
        texts.append("" if not row.has_text else write.garble(text, rng) if slip else text)
        slips.append(slip)
    return texts, slips
