"""Korean descriptions, written the way 당근마켓 and 번개장터 sellers write them.

The same three facts as in English (category, material, condition), in words whose form changes:
nouns take particles chosen by their last syllable (코트는, 자켓은, 코트를), verbs end formally or
casually (입었습니다, 입었어요, 상태 좋음), and spacing is loose (울 코트, 울코트). Slips are the
ones Korean text has: no spaces at all, a dropped final consonant, spelling as spoken (조아요),
and a word typed with the keyboard left in English mode (zhxm for 코트).
"""

from __future__ import annotations

import numpy as np

from training.synth_words import Writer, one, replace_one

CATEGORY_WORDS = {
    "coat": ("코트", "롱코트", "오버코트"), "jacket": ("자켓", "재킷"),
    "dress": ("원피스", "드레스"), "sneakers": ("스니커즈", "운동화"),
    "jeans": ("청바지", "일자 청바지"), "sweater": ("니트", "스웨터", "니트 스웨터"),
    "skirt": ("스커트", "치마"), "shirt": ("셔츠", "남방", "버튼다운 셔츠"),
}  # fmt: skip
MATERIAL_WORDS = {
    "cashmere": ("캐시미어", "캐시미어 100%", "순캐시미어"),
    "silk": ("실크", "실크 100%", "정실크"),
    "leather": ("가죽", "천연가죽", "소가죽", "리얼레더"), "suede": ("스웨이드", "스에이드"),
    "wool": ("울", "울 100%", "메리노울", "모직"), "linen": ("린넨", "린넨 100%", "리넨"),
    "cotton": ("면", "면 100%", "순면", "코튼"), "denim": ("데님", "생지 데님"),
    "canvas": ("캔버스", "캔버스 원단"), "polyester": ("폴리에스터", "폴리", "폴리 100%"),
    "acrylic": ("아크릴", "아크릴 혼방"),
}  # fmt: skip
# formal and casual endings of the same grade; no phrase of one grade lies inside another's
CONDITION_WORDS = {
    "new with tags": ("택 있는 새상품", "새상품 (택 있음)", "미착용 새상품이에요",
                      "택도 안 뗀 새상품입니다"),
    "like new": ("거의 새거에요", "거의 새것입니다", "한 번 입었어요", "한두 번 착용했습니다",
                 "S급이에요"),
    "excellent": ("상태 아주 좋아요", "상태 매우 좋음", "사용감 거의 없어요", "사용감 거의 없음",
                  "A급입니다"),
    "good": ("상태 좋아요", "상태 좋음", "상태 좋습니다", "사용감 조금 있어요",
             "사용감 약간 있음"),
    "fair": ("사용감 있어요", "사용감 있습니다", "입은 티가 좀 나요", "B급이에요"),
    "worn": ("사용감 많아요", "사용감 많음", "오래 입었어요", "많이 입어서 싸게 내놔요"),
}  # fmt: skip
SIZES = {
    "jeans": ("28인치", "30인치", "허리 32", "34"),
    "sneakers": ("240", "250mm", "265", "270mm"),
    "dress": ("55", "66", "S", "M", "프리사이즈"),
    "skirt": ("55", "66", "M", "프리사이즈"),
}
LETTER_SIZES = ("S", "M", "L", "XL", "95", "100", "105")
ADJECTIVES = ("예쁜", "깔끔한", "클래식한", "고급스러운", "데일리로 입기 좋은", "인기 많은")
EXTRAS = (
    "직거래 선호합니다.", "택배 거래도 가능해요.", "반값택배 가능", "네고 가능해요.",
    "쿨거래 시 네고 조금 해드려요.", "비흡연 가정이에요.", "반려동물 없는 집이에요.",
    "정사이즈예요.", "실측은 문의 주세요.", "세탁 완료했어요.", "교환은 어려워요.",
    "역 근처 직거래 가능",
)  # fmt: skip
# {item_topic} and friends are the item with the particle its last syllable takes
TEMPLATES = (
    "{mat} {item} 팝니다. {cond}. 사이즈 {size}.",
    "{item_topic} {mat} 소재예요. {cond}. {extra}",
    "{adj} {mat} {item_object} 판매합니다. {cond}. {extra} {extra2}",
    "{mat}{item} {size} {cond}",
    "{cond}! {mat} {item_copula}. {extra}",
    "[{size}] {mat} {item} / {cond} / {extra}",
    "{mat} 소재 {item}, {cond}. {size} 사이즈. {extra}",
    "{adj} {item_object} 정리합니다. 소재는 {mat}, {cond}. {extra}",
)
# (after a final consonant, after a vowel)
PARTICLES = {"topic": ("은", "는"), "object": ("을", "를"), "copula": ("이에요", "예요")}
SHARE_UNSPACED = 0.25  # phrases written without their inner spaces (상태좋아요, 메리노울)

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
FINALS = 28  # a syllable is 0xAC00 + (initial * 21 + medial) * 28 + final


def describe(category: str, material: str, condition: str, rng: np.random.Generator) -> str:
    """One Korean description carrying the category, the material and the condition."""
    item = _spacing(one(CATEGORY_WORDS[category], rng), rng)
    words = {
        "item": item,
        "mat": _spacing(one(MATERIAL_WORDS[material], rng), rng),
        "cond": _spacing(one(CONDITION_WORDS[condition], rng), rng),
        "adj": one(ADJECTIVES, rng),
        "size": one(SIZES.get(category, LETTER_SIZES), rng),
        "extra": one(EXTRAS, rng),
        "extra2": one(EXTRAS, rng),
    }
    words |= {f"item_{role}": with_particle(item, pair) for role, pair in PARTICLES.items()}
    return one(TEMPLATES, rng).format(**words)


def with_particle(word: str, pair: tuple[str, str]) -> str:
    """`word` and the form of a particle its last syllable takes: 코트는 but 자켓은."""
    return word + (pair[0] if _final_consonant(word[-1]) else pair[1])


def _final_consonant(char: str) -> bool:
    code = ord(char)
    return HANGUL_FIRST <= code <= HANGUL_LAST and (code - HANGUL_FIRST) % FINALS != 0


def _spacing(phrase: str, rng: np.random.Generator) -> str:
    """The phrase, a quarter of the time with its inner spaces left out, as sellers type."""
    return phrase.replace(" ", "") if rng.random() < SHARE_UNSPACED else phrase


# spelled as spoken, or with the easier final consonant
SPOKEN = {"좋아요": "조아요", "있어요": "이써요", "없어요": "업써요", "입었어요": "입엇어요",
          "했어요": "햇어요", "합니다": "함니다", "있습니다": "잇습니다"}  # fmt: skip
# the 2-set (dubeolsik) keyboard: jamo index -> the Latin keys typed in English mode
INITIAL_KEYS = tuple("rRseEfaqQtTdwWczxvg")
MEDIAL_KEYS = ("k", "o", "i", "O", "j", "p", "u", "P", "h", "hk", "ho", "hl", "y", "n", "nj", "np",
               "nl", "b", "m", "ml", "l")  # fmt: skip
FINAL_KEYS = ("", "r", "R", "rt", "s", "sw", "sg", "e", "f", "fr", "fa", "fq", "ft", "fx", "fv",
              "fg", "a", "q", "qt", "t", "T", "d", "w", "c", "z", "x", "v", "g")  # fmt: skip


def garble(text: str, rng: np.random.Generator) -> str:
    """One or two Korean slips: spaces gone, a final consonant dropped, spoken spelling, 한/영."""
    for _ in range(int(rng.integers(1, 3))):
        slip = int(rng.integers(4))
        if slip == 0:
            text = text.replace(" ", "")
        elif slip == 1:
            text = _drop_final(text, rng)
        elif slip == 2:
            text = replace_one(text, SPOKEN, rng)
        else:
            words = text.split(" ")
            hangul = [k for k, word in enumerate(words) if any(map(_is_hangul, word))]
            if hangul:
                k = hangul[int(rng.integers(len(hangul)))]
                words[k] = typed_in_english_mode(words[k])
            text = " ".join(words)
    return text


def _drop_final(text: str, rng: np.random.Generator) -> str:
    """The text with one syllable's final consonant left off (입었어요 -> 이었어요)."""
    closed = [k for k, char in enumerate(text) if _final_consonant(char)]
    if not closed:
        return text
    k = closed[int(rng.integers(len(closed)))]
    code = ord(text[k]) - HANGUL_FIRST
    return text[:k] + chr(HANGUL_FIRST + code - code % FINALS) + text[k + 1 :]


def _is_hangul(char: str) -> bool:
    return HANGUL_FIRST <= ord(char) <= HANGUL_LAST


def typed_in_english_mode(word: str) -> str:
    """What typing `word` on a 2-set keyboard left in English mode gives: 코트 -> zhxm."""
    return "".join(map(_keys, word))


def _keys(char: str) -> str:
    """The keys that type a Hangul syllable on a 2-set keyboard; other characters as they are."""
    if not _is_hangul(char):
        return char
    code = ord(char) - HANGUL_FIRST
    initial, rest = divmod(code, 21 * FINALS)
    medial, final = divmod(rest, FINALS)
    return INITIAL_KEYS[initial] + MEDIAL_KEYS[medial] + FINAL_KEYS[final]


README = (
    f"Each description fills one of {len(TEMPLATES)} Korean templates, written as second-hand"
    " sellers write (당근마켓 style), with a phrase for the category, one for the material and"
    " one for the condition (two to five wordings each, formal and casual endings: 상태"
    " 좋습니다, 상태 좋아요, 상태 좋음), plus filler that carries no price signal (an"
    " adjective, a size, remarks such as 직거래 선호합니다). The item takes the particle its"
    " last syllable needs (코트는, 자켓은, 코트를), and a quarter of the phrases lose their"
    " inner spaces (상태좋아요, 메리노울). Condition grades follow the usual words: 택 있는"
    " 새상품, 거의 새거에요 or S급, 상태 아주 좋아요 or A급, 상태 좋음, 사용감 있어요 or B급,"
    " 사용감 많아요. A slip is one or two of: all spaces dropped, one final consonant dropped"
    " (입었어요 -> 이었어요), a spoken spelling (조아요, 이써요), one word typed with the"
    " keyboard in English mode (코트 -> zhxm)."
)
WRITER = Writer(
    "Korean",
    describe,
    garble,
    {"category": CATEGORY_WORDS, "material": MATERIAL_WORDS, "condition": CONDITION_WORDS},
    README,
)
