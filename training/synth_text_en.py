"""English descriptions: category, material and condition in varied words; never colour or damage.

The words and their order of random draws are those of the first generator, so an English dataset
is byte for byte what it always was for the same seed (docs/results.md depends on it).
"""

from __future__ import annotations

import numpy as np

from training.synth_words import Writer, one

CATEGORY_WORDS = {
    "coat": ("coat", "overcoat", "winter coat"), "jacket": ("jacket",), "dress": ("dress",),
    "sneakers": ("sneakers", "trainers"), "jeans": ("jeans",), "sweater": ("sweater", "jumper"),
    "skirt": ("skirt",), "shirt": ("shirt", "button-down shirt"),
}  # fmt: skip
MATERIAL_WORDS = {
    "cashmere": ("cashmere", "pure cashmere", "100% cashmere"), "silk": ("silk", "pure silk"),
    "leather": ("leather", "genuine leather", "full-grain leather"), "suede": ("suede",),
    "wool": ("wool", "pure wool", "merino wool"), "linen": ("linen", "pure linen"),
    "cotton": ("cotton", "organic cotton", "100% cotton"), "denim": ("denim", "raw denim"),
    "canvas": ("canvas",), "polyester": ("polyester", "poly"),
    "acrylic": ("acrylic", "acrylic knit"),
}  # fmt: skip
CONDITION_WORDS = {
    "new with tags": ("new with tags", "brand new with tags", "tags still attached, never worn"),
    "like new": ("like new", "as new, worn once", "like new, only worn twice"),
    "excellent": ("excellent condition", "excellent condition, barely worn",
                  "excellent used condition"),
    "good": ("good condition", "good used condition", "gently used, good condition"),
    "fair": ("fair condition", "fair condition, visible wear", "well loved, fair condition"),
    "worn": ("heavily worn", "well worn, priced to sell", "worn condition"),
}  # fmt: skip
SIZES = {
    "jeans": ("W28 L30", "W30 L32", "W32 L32", "W34 L34"),
    "sneakers": ("EU 38", "EU 41", "UK 8", "US 10"),
    "dress": ("UK 8", "UK 10", "EU 38", "S", "M"),
    "skirt": ("UK 10", "UK 12", "EU 36", "M"),
}
LETTER_SIZES = ("XS", "S", "M", "L", "XL")
ADJECTIVES = ("Lovely", "Classic", "Beautiful", "Stylish", "Great", "Gorgeous", "Timeless", "Nice")
EXTRAS = (
    "Smoke-free home.", "Pet-free home.", "Ships within two days.", "Fits true to size.",
    "Happy to combine postage.", "Open to offers.", "Measurements on request.",
    "From my own wardrobe.", "Freshly laundered.", "Great for everyday wear.",
)  # fmt: skip
TEMPLATES = (
    "{adj} {mat} {item}, {cond}. Size {size}.",
    "{Item} in {mat}. {Cond}. {extra}",
    "Selling my {mat} {item}: {cond}. {extra} Size {size}.",
    "{Cond}: {mat} {item}, size {size}. {extra}",
    "{Mat} {item} - {cond}. {extra} {extra2}",
    "{adj} {item}, {mat}. Condition: {cond}. Size {size}. {extra}",
    "{mat} {item}, {cond}",
    "{adj} {mat} {item} for sale. {Cond}. {extra} {extra2}",
)


def describe(category: str, material: str, condition: str, rng: np.random.Generator) -> str:
    """One free-text description: the wording varies, the three facts it carries do not."""
    words = {
        "adj": one(ADJECTIVES, rng),
        "mat": one(MATERIAL_WORDS[material], rng),
        "item": one(CATEGORY_WORDS[category], rng),
        "cond": one(CONDITION_WORDS[condition], rng),
        "size": one(SIZES.get(category, LETTER_SIZES), rng),
        "extra": one(EXTRAS, rng),
        "extra2": one(EXTRAS, rng),
    }
    words |= {key.capitalize(): value[:1].upper() + value[1:] for key, value in words.items()}
    text = one(TEMPLATES, rng).format(**words)
    return text[:1].upper() + text[1:]


def garble(text: str, rng: np.random.Generator) -> str:
    """One or two slips of the kind real listings have: "WOOL", "Wool", "wol", shouting."""
    for _ in range(int(rng.integers(1, 3))):
        words = text.split(" ")
        k = int(rng.integers(len(words)))
        word, slip = words[k], int(rng.integers(6))
        if slip == 0:
            return text.upper()
        if slip == 1:
            return text.lower()
        if slip == 2:
            words[k] = word.upper()
        elif slip == 3:
            words[k] = word.capitalize()
        elif len(word) >= 4:  # drop or swap inner letters: first and last stay, still readable
            j = int(rng.integers(1, len(word) - 2))
            swapped = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
            words[k] = word[:j] + word[j + 1 :] if slip == 4 else swapped
        text = " ".join(words)
    return text


README = (
    f"Each description fills one of {len(TEMPLATES)} English templates with a phrase for the"
    " category, one for the material and one for the condition (two to three wordings each),"
    " plus filler that carries no price signal: an adjective, a size, one or two remarks such"
    ' as "Smoke-free home.". A slip is one or two of: the whole text upper- or lower-cased,'
    " one word upper-cased or capitalised, one inner letter dropped or two swapped."
)
WRITER = Writer(
    "English",
    describe,
    garble,
    {"category": CATEGORY_WORDS, "material": MATERIAL_WORDS, "condition": CONDITION_WORDS},
    README,
)
