"""Text normalised inside the model: the same text in any width or composition is the same
text, spaceless scripts split into characters, English as it was."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from models.text_normal import TOKEN_PATTERN, NormaliseText, normalise, normalised_texts

pytestmark = pytest.mark.model

# the same description as a seller's keyboard or a copy may give it
SAME_TEXT = [
    ("ＵＫ１０ カシミヤ１００％のコートです", "UK10 カシミヤ100%のコートです"),  # full / half width
    ("ｶﾞｳﾝとﾌﾞﾗｳｽ", "ガウンとブラウス"),  # half-width katakana, voiced marks apart
    (unicodedata.normalize("NFD", "코트는 새 상품"), "코트는 새 상품"),  # jamo / syllables
    (unicodedata.normalize("NFD", "Café Crème"), "Café Crème"),  # combining accents
]


def _through_layer(texts: list[str]) -> list[str]:
    out = NormaliseText()(np.asarray(texts, dtype=object)).numpy()
    return [t.decode("utf-8") for t in out]


@pytest.mark.parametrize(("variant", "text"), SAME_TEXT)
def test_forms_of_one_text_normalise_alike(variant: str, text: str) -> None:
    assert variant != text
    assert _through_layer([variant]) == _through_layer([text])
    assert normalise(variant).split() == normalise(text).split()


def test_spaceless_scripts_become_one_token_per_character() -> None:
    [japanese, korean] = _through_layer(["美品のコート。", "코트는"])
    assert japanese.split() == ["美", "品", "の", "コ", "ー", "ト"]
    assert korean.split() == ["코", "트", "는"]


def test_english_is_only_lower_cased() -> None:
    text = "Wool Coat, UK10; barely worn (no stains)!"
    assert _through_layer([text]) == [text.lower()]


def test_layer_and_python_agree_on_tokens() -> None:
    texts = ["【美品】ＳＩＬＫ シャツ★", "가죽 자켓을 팝니다.", "Linen shirt — good", ""]
    assert [t.split() for t in _through_layer(texts)] == [normalise(t).split() for t in texts]
    assert normalised_texts(texts, batch=3) == _through_layer(texts)


def test_empty_batch() -> None:
    assert _through_layer([]) == []


def test_baseline_tokens_keep_single_spaceless_characters_and_english_words() -> None:
    vectorizer = TfidfVectorizer(preprocessor=normalise, token_pattern=TOKEN_PATTERN)
    vectorizer.fit(["美品のコート", "wool coat a"])
    vocabulary = set(vectorizer.get_feature_names_out())
    assert {"美", "品", "の", "コ", "wool", "coat"} <= vocabulary
    assert "a" not in vocabulary  # scikit-learn's default: English words of two letters or more
