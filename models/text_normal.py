"""Text made comparable across scripts before it is split into tokens, inside the model.

Splitting on spaces suits English, not Japanese or Chinese (no spaces at all) nor Korean (a
particle joins its word: 코트는, 코트를). So every character of a script written without spaces
between its morphemes becomes a token of its own, and the text branch's convolutions and the wide
path's word pairs learn the character n-grams from there; other scripts keep their words. Before
that, NFKC folds the forms a keyboard offers for the same text (ＵＫ１０ and UK10, ｶﾞ and ガ),
letters are lower-cased and punctuation and symbols beyond ASCII become spaces (ASCII ones the
vectorizer strips, as it always has, so English text is tokenised exactly as before).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

import keras
import tensorflow as tf

from models.layers import PACKAGE

# Scripts written without spaces between words or morphemes: Thai, Lao, Myanmar, Hangul jamo,
# Khmer, kana, compatibility jamo, CJK ideographs (and their extensions), Hangul syllables.
SPACELESS = (
    (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1100, 0x11FF), (0x1780, 0x17FF),
    (0x3040, 0x30FF), (0x3130, 0x318F), (0x31F0, 0x31FF), (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0x20000, 0x3134F),
)  # fmt: skip
_RE2_SPACELESS = "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in SPACELESS) + "]"
_RE2_WIDE_MARKS = r"[^\P{P}\x00-\x7f]|[^\P{S}\x00-\x7f]"  # punctuation, symbols beyond ASCII
_SPACELESS = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in SPACELESS) + "]")
# scikit-learn's default token (two word characters or more), or one spaceless character
TOKEN_PATTERN = r"(?u)\b\w\w+\b|" + _SPACELESS.pattern
_BMP = 0x10000
_COMPOSE_PASSES = 2  # a Hangul syllable from jamo composes twice: L+V, then LV+T


def normalise(text: str) -> str:
    """In Python, what `NormaliseText` does in the model (for encoders outside it)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if _wide_mark(c) else c for c in text)
    return _SPACELESS.sub(r" \g<0> ", text)


def _wide_mark(char: str) -> bool:
    return ord(char) > 0x7F and unicodedata.category(char)[0] in "PS"


@cache
def _folds() -> tuple[list[str], list[str]]:
    """Each character of the Basic Multilingual Plane whose NFKC form differs, and that form."""
    keys, values = [], []
    for code in range(_BMP):
        char = chr(code)
        if unicodedata.category(char) == "Cs":  # surrogates are not characters
            continue
        folded = unicodedata.normalize("NFKC", char)
        if folded != char:
            keys.append(char)
            values.append(folded)
    return keys, values


@cache
def _compositions() -> tuple[list[str], list[str]]:
    """Two characters and the one NFC composes them into (カ+゛, e+◌́, 가+ᆨ): what per-character
    folding leaves apart, as a half-width ｶﾞ becomes カ and a combining mark."""
    keys, values = [], []
    for code in range(_BMP):
        char = chr(code)
        parts = unicodedata.normalize("NFD", char)
        if len(parts) < 2 or unicodedata.normalize("NFC", char) != char:
            continue
        pair = unicodedata.normalize("NFC", parts[:-1]) + parts[-1]
        if len(pair) == 2 and unicodedata.normalize("NFC", pair) == char:
            keys.append(pair)
            values.append(char)
    return keys, values


def _table(entries: tuple[list[str], list[str]]) -> tf.lookup.StaticHashTable:
    keys, values = entries
    initializer = tf.lookup.KeyValueTensorInitializer(
        tf.constant(keys, dtype=tf.string), tf.constant(values, dtype=tf.string)
    )
    return tf.lookup.StaticHashTable(initializer, default_value="")


@keras.saving.register_keras_serializable(package=PACKAGE)
class NormaliseText(keras.layers.Layer):
    """Strings in, strings out: NFKC, lower case, wide punctuation as spaces, and a space on
    each side of every character of a spaceless script (`SPACELESS`).

    NFKC is applied character by character and then composes pairs, which covers every fold a
    keyboard or a copy makes (full and half width, compatibility forms, decomposed accents and
    Hangul); it differs from full NFKC only for several combining marks on one character.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.folds = _table(_folds())
        self.compositions = _table(_compositions())

    def call(self, texts: Any) -> Any:
        texts = self._fold(tf.convert_to_tensor(texts))
        for _ in range(_COMPOSE_PASSES):
            texts = self._compose(texts)
        texts = tf.strings.lower(texts, encoding="utf-8")
        texts = tf.strings.regex_replace(texts, _RE2_WIDE_MARKS, " ")
        return tf.strings.strip(tf.strings.regex_replace(texts, _RE2_SPACELESS, r" \0 "))

    def _fold(self, texts: tf.Tensor) -> tf.Tensor:
        chars = tf.strings.unicode_split(texts, "UTF-8", errors="replace")
        flat = chars.flat_values
        folded = self.folds.lookup(flat)
        joined = chars.with_flat_values(tf.where(folded == "", flat, folded))
        return tf.strings.reduce_join(joined, axis=-1)

    def _compose(self, texts: tf.Tensor) -> tf.Tensor:
        # A space closes every text so that no pair spans two texts (a space composes with
        # nothing); `call` strips it again.
        chars = tf.strings.unicode_split(texts + " ", "UTF-8", errors="replace")
        flat = chars.flat_values
        following = tf.concat([flat[1:], [" "]], axis=0)[: tf.size(flat)]
        composed = self.compositions.lookup(flat + following)
        starts = composed != ""
        taken = tf.pad(starts, [[1, 0]])[:-1]  # the second character of a composed pair
        kept = tf.where(taken, "", tf.where(starts, composed, flat))
        return tf.strings.reduce_join(chars.with_flat_values(kept), axis=-1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


def normalised_texts(texts: list[str], batch: int = 4096) -> list[str]:
    """`texts` through `NormaliseText`, a batch at a time (what the vocabularies adapt on)."""
    layer = NormaliseText()
    out: list[str] = []
    for start in range(0, len(texts), batch):
        chunk = tf.constant(texts[start : start + batch], dtype=tf.string)
        out.extend(t.decode("utf-8") for t in layer(chunk).numpy().tolist())
    return out
