"""Descriptions in other languages and scripts, and one text in full and half width, for the
tests that send them through every path of the service and the batch scorer."""

from __future__ import annotations

DESCRIPTIONS = {
    "ko": "코트는 거의 새 상품입니다. 캐시미어 100%",
    "ja": "美品のカシミヤコートです。目立った傷や汚れなし",
    "th": "เสื้อโค้ทแคชเมียร์ สภาพดีมาก",  # a script no test model has seen
}
_FULL_WIDTH_SHIFT = 0xFEE0  # from ASCII "!".."~" to U+FF01..U+FF5E, their full-width forms


def widths(text: str) -> dict[str, str]:
    """`text` (English the model knows) with a Japanese phrase, typed half width and full width:
    full-width letters and digits, half-width katakana. A model must price both alike."""
    full = "".join(chr(ord(c) + _FULL_WIDTH_SHIFT) if "!" <= c <= "~" else c for c in text)
    return {"half": f"{text} カシミヤのコート", "full": f"{full} ｶｼﾐﾔのｺｰﾄ"}
