"""ASCII for fixed-width files (spec/PARTNER-FILES.md, "Fixed-width"): one byte per character, printable only.

Each character becomes its ASCII form: itself when ASCII, else its Unicode compatibility decomposition (NFKD)
without the accents ("Ż" -> "Z"), else a letter from a small table for the letters NFKD leaves whole ("Ł" ->
"L", "ß" -> "ss"), else `?`. Characters that must never reach a line become a space (controls such as CR, LF,
TAB, NUL, and every line or paragraph separator: U+2028, U+2029) or nothing (invisible format characters such
as a zero-width joiner or a soft hyphen, and accents on their own).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import lru_cache

NO_ASCII_FORM = "?"

_LETTERS: Mapping[str, str] = {
    "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss", "ẞ": "SS", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe",
    "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "TH", "þ": "th", "Ħ": "H", "ħ": "h", "ı": "i", "ȷ": "j",
    "Ŀ": "L", "ŀ": "l", "Ŧ": "T", "ŧ": "t", "Ɨ": "I", "ɨ": "i", "Ƀ": "B", "ƀ": "b", "Ŋ": "N", "ŋ": "n",
    "ĸ": "q", "ſ": "s",
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "⁄": "/", "·": ".",
}
_SPACE_CATEGORIES = frozenset({"Cc", "Zs", "Zl", "Zp"})  # controls and separators: never inside a line
_DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Mc", "Me"})  # invisible format characters and lone accents


@lru_cache(maxsize=4096)
def ascii_form(char: str) -> str:
    """One character's ASCII form: printable ASCII only, usually one character, at most a few ("ﬃ" -> "ffi")."""
    if " " <= char <= "~":
        return char
    category = unicodedata.category(char)
    if category in _SPACE_CATEGORIES:
        return " "
    if category in _DROPPED_CATEGORIES:
        return ""
    if char in _LETTERS:
        return _LETTERS[char]
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.category(c).startswith("M"))
    if bare and all(" " <= c <= "~" for c in bare):
        return bare
    return NO_ASCII_FORM


def to_ascii(text: str) -> str:
    """The text in printable ASCII ("Łukasz" -> "Lukasz", "王小明" -> "???")."""
    if text.isascii() and text.isprintable():  # most cells: nothing to do, and no loop over the characters
        return text
    return "".join(ascii_form(char) for char in text)


def to_ascii_within(text: str, width: int) -> str:
    """`to_ascii(text)`, or, when that is longer than `width`, one ASCII character for each character ("ß" ->
    "s"), so that a text of at most `width` characters always fits `width` bytes."""
    full = to_ascii(text)
    if len(full) <= width:
        return full
    return "".join(ascii_form(char)[:1] for char in text)
