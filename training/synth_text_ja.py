"""Japanese descriptions, written the way メルカリ and ラクマ sellers write them.

The same three facts as in English (category, material, condition), with no spaces between words
and mixed scripts: katakana loanwords (コート, カシミヤ), kanji (新品, 美品, 綿), hiragana endings
(です, します), and ASCII or full-width forms of the same letters and digits (UK10, ＵＫ１０,
100%, １００％). Condition grades use the marketplace's own words (目立った傷や汚れなし). Slips are
the ones Japanese text has: half-width katakana, a dropped particle, a wrong kanji from the input
method (仕様感 for 使用感), a lost long-vowel mark, a loanword left in hiragana.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from training.synth_words import Writer, one, replace_one

CATEGORY_WORDS = {
    "coat": ("コート", "ロングコート", "チェスターコート"), "jacket": ("ジャケット", "ブルゾン"),
    "dress": ("ワンピース", "ドレス"), "sneakers": ("スニーカー", "ローカットスニーカー"),
    "jeans": ("ジーンズ", "ジーパン"), "sweater": ("セーター", "ニット"),
    "skirt": ("スカート", "フレアスカート"), "shirt": ("シャツ", "ボタンダウンシャツ", "ブラウス"),
}  # fmt: skip
MATERIAL_WORDS = {
    "cashmere": ("カシミヤ", "カシミヤ100%", "カシミア"), "silk": ("シルク", "シルク100%", "絹"),
    "leather": ("レザー", "本革", "牛革"), "suede": ("スエード", "スウェード"),
    "wool": ("ウール", "ウール100%", "メリノウール"), "linen": ("リネン", "麻", "リネン100%"),
    "cotton": ("コットン", "綿100%", "綿"), "denim": ("デニム", "リジッドデニム"),
    "canvas": ("キャンバス", "キャンバス地"), "polyester": ("ポリエステル", "ポリ"),
    "acrylic": ("アクリル", "アクリル100%"),
}  # fmt: skip
# メルカリ's grades and their everyday synonyms; no phrase of one grade lies inside another's
CONDITION_WORDS = {
    "new with tags": ("新品未使用", "タグ付き新品", "新品・タグ付き", "未使用タグ付き"),
    "like new": ("未使用に近い", "ほぼ新品", "一度着用のみ", "数回着用のみ"),
    "excellent": ("目立った傷や汚れなし", "美品", "綺麗な状態"),
    "good": ("良好", "普通の中古品", "使用感少なめ"),
    "fair": ("やや傷や汚れあり", "着用感あり", "それなりに使用感あり"),
    "worn": ("全体的に状態が悪い", "かなり着古した状態", "使用感が強い"),
}  # fmt: skip
SIZES = {
    "jeans": ("W28", "W30", "W32", "29インチ"),
    "sneakers": ("24.5cm", "26cm", "27.5cm", "US9"),
    "dress": ("M", "9号", "11号", "38", "UK10"),
    "skirt": ("S", "M", "9号", "UK10"),
}
LETTER_SIZES = ("S", "M", "L", "XL", "F")
ADJECTIVES = ("人気の", "定番の", "上品な", "おしゃれな", "シンプルな", "大人気の")
EXTRAS = (
    "即購入OKです。", "値下げ交渉可。", "ペット・喫煙者なし。", "自宅保管品です。",
    "素人採寸のため多少の誤差はご了承ください。", "他サイトでも出品中。", "送料込み。",
    "匿名配送です。", "クリーニング済み。", "コメントなし購入OK。",
    "神経質な方はご遠慮ください。", "ノークレームノーリターンでお願いします。",
)  # fmt: skip
# {desu} is the polite ending or nothing; the title-style template uses full-width spaces
TEMPLATES = (
    "{adj}{mat}の{item}です。{cond}{desu}。サイズ{size}。",
    "{mat}{item}を出品します。{cond}{desu}。{extra}",
    "{item}（{mat}）。【商品の状態】{cond}。{extra}{extra2}",
    "【{cond}】{mat}\u3000{item}\u3000{size}",
    "{mat}の{item}、サイズは{size}です。{cond}。{extra}",
    "{mat}素材の{item}になります。{cond}{desu}。{extra}",
    "{item}、{mat}、{size}。{cond}。{extra}",
    "{adj}{item}です。素材は{mat}。{cond}{desu}。{extra}{extra2}",
)
SHARE_FULL_WIDTH = 0.35  # phrases whose letters and digits are typed full-width (ＵＫ１０)
FULL_WIDTH_SHIFT = 0xFEE0  # "!".."~" -> "！".."～"


def describe(category: str, material: str, condition: str, rng: np.random.Generator) -> str:
    """One Japanese description carrying the category, the material and the condition."""
    words = {
        "item": one(CATEGORY_WORDS[category], rng),
        "mat": _width(one(MATERIAL_WORDS[material], rng), rng),
        "cond": one(CONDITION_WORDS[condition], rng),
        "desu": one(("です", ""), rng),
        "adj": one(ADJECTIVES, rng),
        "size": _width(one(SIZES.get(category, LETTER_SIZES), rng), rng),
        "extra": _width(one(EXTRAS, rng), rng),
        "extra2": _width(one(EXTRAS, rng), rng),
    }
    return one(TEMPLATES, rng).format(**words)


def _width(phrase: str, rng: np.random.Generator) -> str:
    """The phrase, about a third of the time with its ASCII letters and digits full-width."""
    if rng.random() >= SHARE_FULL_WIDTH:
        return phrase
    return "".join(chr(ord(c) + FULL_WIDTH_SHIFT) if "!" <= c <= "~" else c for c in phrase)


def _half_width_table() -> dict[str, str]:
    """Full-width katakana (and 。「」、・ー) -> half-width, voiced ones as two characters (ｶﾞ).

    Derived from Unicode's own compatibility mappings, so it is the inverse of NFKC.
    """
    table: dict[str, str] = {}
    for code in range(0xFF61, 0xFFA0):
        full = unicodedata.normalize("NFKC", chr(code))
        table.setdefault(full, chr(code))
    for code in range(0x30A1, 0x30FB):
        parts = unicodedata.normalize("NFD", chr(code))  # ガ -> カ and the combining ゛
        if len(parts) == 2 and parts[0] in table and parts[1] in table:
            table[chr(code)] = table[parts[0]] + table[parts[1]]
    return table


HALF_WIDTH = _half_width_table()
PARTICLES = "はをがの"  # not で or に: they begin です and になります
# homophones an input method offers first, a classic slip: 使用感 (しようかん) as 仕様感
WRONG_KANJI = {"使用": "仕様", "美品": "備品", "状態": "常態", "交渉": "高尚", "新品": "神品"}
KATAKANA_FIRST, KATAKANA_LAST, TO_HIRAGANA = 0x30A1, 0x30F6, -0x60


def garble(text: str, rng: np.random.Generator) -> str:
    """One or two Japanese slips: half-width kana, particle dropped, wrong kanji, lost ー."""
    for _ in range(int(rng.integers(1, 3))):
        slip = int(rng.integers(5))
        if slip == 0:
            text = "".join(HALF_WIDTH.get(c, c) for c in text)
        elif slip == 1:
            text = _drop_one(text, _particles(text), rng)
        elif slip == 2:
            text = replace_one(text, WRONG_KANJI, rng)
        elif slip == 3:
            text = _drop_one(text, [k for k, c in enumerate(text) if c in "ーッ"], rng)
        else:
            text = _hiragana_word(text, rng)
    return text


def _particles(text: str) -> list[int]:
    """Positions of particles right after a noun (kanji or katakana): コートを, 素材の."""
    return [
        k
        for k in range(1, len(text))
        if text[k] in PARTICLES and unicodedata.name(text[k - 1], "").startswith(("CJK", "KATA"))
    ]


def _drop_one(text: str, positions: list[int], rng: np.random.Generator) -> str:
    if not positions:
        return text
    k = positions[int(rng.integers(len(positions)))]
    return text[:k] + text[k + 1 :]


def _hiragana_word(text: str, rng: np.random.Generator) -> str:
    """One katakana word left in hiragana, as when the input method was not asked to convert."""
    starts = [
        k for k, c in enumerate(text) if _katakana(c) and (k == 0 or not _katakana(text[k - 1]))
    ]
    if not starts:
        return text
    k = end = starts[int(rng.integers(len(starts)))]
    while end < len(text) and (_katakana(text[end]) or text[end] == "ー"):
        end += 1
    word = "".join(chr(ord(c) + TO_HIRAGANA) if _katakana(c) else c for c in text[k:end])
    return text[:k] + word + text[end:]


def _katakana(char: str) -> bool:
    return KATAKANA_FIRST <= ord(char) <= KATAKANA_LAST


README = (
    f"Each description fills one of {len(TEMPLATES)} Japanese templates, written as"
    " second-hand sellers write (メルカリ style), with a phrase for the category, one for the"
    " material and one for the condition (two to four wordings each), plus filler that carries"
    " no price signal (an adjective, a size, remarks such as 即購入OKです). There are no"
    " spaces between words (one title-style template separates with full-width spaces), and"
    " scripts mix: katakana loanwords (コート, カシミヤ), kanji (新品, 美品, 綿), hiragana"
    " endings (です, になります). About a third of the material, size and remark phrases are"
    " typed full-width (ＵＫ１０, １００％), so NFKC normalisation is needed to see them as"
    " the same text. Condition grades use メルカリ's own words: 新品未使用, 未使用に近い,"
    " 目立った傷や汚れなし, 良好, やや傷や汚れあり, 全体的に状態が悪い; they name the seller's"
    " grade only and say nothing about the damage drawn in the photo, which is independent of"
    " it. A slip is one or two of: katakana in half-width (ｺｰﾄ), a particle dropped after a"
    " noun, an input-method homophone (仕様感 for 使用感, 備品 for 美品), a long-vowel or"
    " small-tsu mark lost (コト, ジャケト), a katakana word left in hiragana (こーと)."
)
WRITER = Writer(
    "Japanese",
    describe,
    garble,
    {"category": CATEGORY_WORDS, "material": MATERIAL_WORDS, "condition": CONDITION_WORDS},
    README,
)
