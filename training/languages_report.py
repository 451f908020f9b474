"""The clothing set in every language `appraise data synth` writes, as a section of
`docs/results.md`: the joint model and the text-only model, from the JSON lines of their runs.

Run as `python -m training.languages_report RESULTS` by `make results`, which leaves in RESULTS
a dataset `clothing-20k-<language>` per language (`clothing-20k` for English) and, for each, the
line `appraise train` printed: `<set>.json` for the joint model, `<set>-text.json` for
`--features description`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from training.report import noise_floor
from training.synth_text import LANGUAGES

ENGLISH = "en"


def dataset_name(language: str) -> str:
    """The folder `make results` writes the clothing set in `language` to."""
    return "clothing-20k" if language == ENGLISH else f"clothing-20k-{language}"


def section(results: Path) -> str:
    """The section: a row per language whose runs are in `results`, English first."""
    rows, english_text = [], None
    for language in LANGUAGES:
        name = dataset_name(language)
        joint, text = _metrics(results / f"{name}.json"), _metrics(results / f"{name}-text.json")
        if joint is None or text is None:
            continue
        english_text = english_text or (text["rmsle"] if language == ENGLISH else None)
        floor = noise_floor(results / name)
        ratio = f"{joint['rmsle'] / floor:.2f}x" if floor else "n/a"
        versus = f"{text['rmsle'] / english_text:.3f}" if english_text else "n/a"
        rows.append(
            f"| {language} | {joint['rmsle']:.4f} | {ratio} | {100 * joint['coverage']:.1f}% "
            f"| {text['rmsle']:.4f} | {versus} |"
        )
    return "\n".join([*_INTRO, *rows, ""])


def _metrics(path: Path) -> dict[str, float] | None:
    if not path.is_file():
        return None
    metrics: dict[str, float] = json.loads(path.read_text(encoding="utf-8"))["metrics"]
    return metrics


_INTRO = [
    "### clothing-20k in Korean and Japanese",
    "",
    "`appraise data synth DIR --rows 20000 --seed 7 --language ko` (or `ja`) writes the same "
    "listings, prices and photos as English, with descriptions a Korean or Japanese seller "
    "would write; every model is judged on the same test rows as English. The joint model is "
    "trained with `--no-compare` (for English it is the run above), the text-only one with "
    "`--features description`.",
    "",
    "| language | joint RMSLE | x noise floor | 80% range covers | text only RMSLE "
    "| text only / en |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
]


if __name__ == "__main__":
    sys.stdout.write(section(Path(sys.argv[1])))
