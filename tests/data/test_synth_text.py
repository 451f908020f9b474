"""Descriptions in every language: the same listings and prices, text that carries the factors."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from appraise import app
from training import synth_text_ja, synth_text_ko
from training.data_cli import Language
from training.synth import sample_latents, write_synthetic_dataset
from training.synth_text import LANGUAGES, WRITERS

pytestmark = pytest.mark.data
HANGUL = re.compile(r"[\uac00-\ud7a3]")
KANA_OR_KANJI = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u4e00-\u9fff]")
# sha256 of the 300 descriptions joined by "\n", of listings.csv and of latent.csv, for
# write_synthetic_dataset(folder, rows=300, seed=3, photo_size=16, workers=1), computed on main
# at eebd231 (before descriptions had a language) with this file's `_english_digests`.
ENGLISH_DIGESTS = (
    "1a7a29e11a220e2189e80cb31862c6844ddf7b28a8515709188ccb42c9594ceb",
    "6df57857d08158506c1407518ad3af198fe2e60752ca99db4207c8fac4f22de6",
    "2315ed04a6b49b992a85aabc64f28de72f3b6c6ac574c96e8ae09af818dc73ab",
)


def _read(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "listings.csv", dtype={"description": str, "photo": str},
                       keep_default_na=False)  # fmt: skip


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same 60 listings (seed 4, 16 px photos) with descriptions in each language."""
    root = tmp_path_factory.mktemp("languages")
    for language in LANGUAGES:
        write_synthetic_dataset(root / language, rows=60, seed=4, photo_size=16,
                                language=language, workers=1)  # fmt: skip
    return {language: root / language for language in LANGUAGES}


def _english_digests(folder: Path) -> tuple[str, str, str]:
    descriptions = "\n".join(_read(folder)["description"]).encode()
    files = [(folder / name).read_bytes() for name in ("listings.csv", "latent.csv")]
    digests = [hashlib.sha256(data).hexdigest() for data in (descriptions, *files)]
    return digests[0], digests[1], digests[2]


def test_english_output_is_byte_for_byte_that_of_the_first_generator(tmp_path: Path) -> None:
    write_synthetic_dataset(tmp_path / "en", rows=300, seed=3, photo_size=16, workers=1)
    assert _english_digests(tmp_path / "en") == ENGLISH_DIGESTS


def test_languages_share_everything_but_the_descriptions(datasets: dict[str, Path]) -> None:
    listings = {language: _read(folder) for language, folder in datasets.items()}
    english = listings["en"]
    for language in ("ko", "ja"):
        other = listings[language]
        columns = ["id", "brand", "year", "photo", "price"]
        pd.testing.assert_frame_equal(other[columns], english[columns])
        latent = (datasets[language] / "latent.csv").read_bytes()
        assert latent == (datasets["en"] / "latent.csv").read_bytes()  # typo marks included
        for photo in english.loc[english["photo"] != "", "photo"]:
            assert (datasets[language] / photo).read_bytes() == (
                datasets["en"] / photo
            ).read_bytes()
        written = english["description"] != ""
        assert ((other["description"] != "") == written).all()  # the same rows have no text
        assert (other["description"][written] != english["description"][written]).all()
        info = json.loads((datasets[language] / "dataset.json").read_text())
        english_info = json.loads((datasets["en"] / "dataset.json").read_text())
        assert info.pop("language") == language and english_info.pop("language") == "en"
        assert info == english_info  # same noise floor, seed, formula


def test_each_language_is_written_in_its_own_script(datasets: dict[str, Path]) -> None:
    korean = [t for t in _read(datasets["ko"])["description"] if t]
    japanese = [t for t in _read(datasets["ja"])["description"] if t]
    assert len(korean) == len(japanese) > 50
    assert all(HANGUL.search(t) for t in korean)
    assert all(KANA_OR_KANJI.search(t) and not HANGUL.search(t) for t in japanese)
    assert not [t for t in japanese if " " in t]  # no ASCII spaces between Japanese words
    assert sum(" " in t for t in korean) > 0.8 * len(korean)  # Korean keeps (most) spaces


def _normal(text: str, language: str) -> str:
    """What a phrase must match in: NFKC (ＵＫ１０ is UK10); Korean without spaces; English lower."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace(" ", "") if language == "ko" else text.lower()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_latent_value_has_its_own_phrases_and_the_text_carries_it(language: str) -> None:
    write = WRITERS[language]
    for factor, table in write.phrases.items():
        normal = [{_normal(p, language) for p in phrases} for phrases in table.values()]
        assert sum(map(len, normal)) == len(set().union(*normal)), f"{factor}: a shared phrase"
    latent = sample_latents(1500, seed=11)
    for i, row in enumerate(latent.itertuples(index=False)):
        facts = (str(row.category), str(row.material), str(row.condition))
        text = write.describe(*facts, np.random.default_rng(i))
        found = _normal(text, language)
        assert "{" not in text and "  " not in text, text
        for factor, table in write.phrases.items():
            value = getattr(row, factor)
            shown = {v for v, phrases in table.items()
                     if any(_normal(p, language) in found for p in phrases)}  # fmt: skip
            assert shown == {value}, f"{factor} {value}: {text}"


def _texts(language: str, rows: int = 600) -> list[str]:
    latent = sample_latents(rows, seed=5)
    write = WRITERS[language].describe
    return [write(str(r.category), str(r.material), str(r.condition), np.random.default_rng(i))
            for i, r in enumerate(latent.itertuples(index=False))]  # fmt: skip


def test_korean_words_change_form_as_sellers_write_them() -> None:
    topic, obj = synth_text_ko.PARTICLES["topic"], synth_text_ko.PARTICLES["object"]
    assert synth_text_ko.with_particle("코트", topic) == "코트는"
    assert synth_text_ko.with_particle("자켓", topic) == "자켓은"
    assert synth_text_ko.with_particle("코트", obj) == "코트를"
    assert synth_text_ko.with_particle("청바지", synth_text_ko.PARTICLES["copula"]) == "청바지예요"
    text = " ".join(_texts("ko"))
    for form in ("코트", "코트를", "니트는", "니트를", "상태 좋아요", "상태좋아요", "상태 좋음",
                 "습니다", "어요"):  # fmt: skip
        assert form in text, form


def test_japanese_mixes_scripts_and_widths() -> None:
    texts = _texts("ja")
    full_width = [t for t in texts if re.search(r"[\uff10-\uff19\uff21-\uff3a]", t)]
    ascii_digits = [t for t in texts if re.search(r"[0-9A-Z]", t)]
    assert 0.15 * len(texts) < len(full_width) < 0.85 * len(texts)
    assert len(ascii_digits) > 0.3 * len(texts)
    text = "".join(texts)
    for form in ("コート", "カシミヤ", "新品", "美品", "目立った傷や汚れなし", "です", "ます"):
        assert form in text, form
    assert unicodedata.normalize("NFKC", "ＵＫ１０ １００％") == "UK10 100%"


def test_korean_slips() -> None:
    assert len(synth_text_ko.INITIAL_KEYS) == 19 and len(synth_text_ko.MEDIAL_KEYS) == 21
    assert len(synth_text_ko.FINAL_KEYS) == 28
    rng = np.random.default_rng(0)
    garbled = [synth_text_ko.garble(t, rng) for t in _texts("ko", 200)]
    assert sum(g != t for g, t in zip(garbled, _texts("ko", 200), strict=True)) > 170
    joined = " ".join(garbled)
    assert re.search(r"[a-zA-Z]{4,}", joined)  # a word typed in English mode
    assert any(" " not in g for g in garbled)  # spacing dropped
    assert synth_text_ko.typed_in_english_mode("코트 팝니다") == "zhxm vkqslek"


def test_japanese_slips() -> None:
    assert unicodedata.normalize("NFKC", "".join(synth_text_ja.HALF_WIDTH[c] for c in "ジャケット")
                                 ) == "ジャケット"  # fmt: skip
    assert "".join(synth_text_ja.HALF_WIDTH[c] for c in "コート") == "ｺｰﾄ"
    rng = np.random.default_rng(0)
    clean = _texts("ja", 200)
    garbled = [synth_text_ja.garble(t, rng) for t in clean]
    assert sum(g != t for g, t in zip(garbled, clean, strict=True)) > 150
    assert any(re.search(r"[\uff66-\uff9f]", g) for g in garbled)  # half-width katakana
    assert not [g for g in garbled if " " in g or HANGUL.search(g)]


def test_readme_says_how_the_text_is_made(datasets: dict[str, Path]) -> None:
    readme = {language: (folder / "README.md").read_text() for language, folder in datasets.items()}
    assert "descriptions in\nEnglish" in readme["en"] and "English templates" in readme["en"]
    assert "## Descriptions in Korean" in readme["ko"] and "코트는" in readme["ko"]
    assert "## Descriptions in Japanese" in readme["ja"] and "NFKC" in readme["ja"]


def test_synth_command_writes_the_language_asked_for(tmp_path: Path) -> None:
    assert [language.value for language in Language] == list(LANGUAGES)
    args = ["data", "synth", str(tmp_path / "ko"), "--rows", "8", "--photo-size", "16"]
    result = CliRunner().invoke(app, [*args, "--language", "ko"])
    assert result.exit_code == 0, result.output
    assert HANGUL.search("".join(_read(tmp_path / "ko")["description"]))
    refused = CliRunner().invoke(
        app, [*args[:2], str(tmp_path / "fr"), *args[3:], "--language", "fr"]
    )
    assert refused.exit_code != 0 and not (tmp_path / "fr").exists()


def test_an_unknown_language_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"language: 'fr' is not one of en, ko, ja"):
        write_synthetic_dataset(tmp_path / "fr", rows=5, seed=0, photo_size=16, language="fr")
    assert not (tmp_path / "fr").exists()
