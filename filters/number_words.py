"""Numbers written as words, read as digits, so two texts that state the same quantities in
different spellings share their number sets ("three-fifths" / "3/5", "two-hour" / "2-hour",
"a dozen" / "12", "one quarter" / "1/4").

text2num's `alpha2digit` reads cardinals and ordinals ("forty-two" -> "42"); before it, this
module rewrites what it leaves alone: a number word joined to a noun by a hyphen, fractions
in words (one to nineteen or "a" before a denominator: "a third", "two-thirds", "three
quarters"), "dozen" and "four score". Like text2num, a lone small number word ("one of
them", "three") stays a word, and so does "half": both would add 1s and 2s to every text.

Text in French, Spanish, German, Italian or Portuguese (told apart by common words) has its
number words read by text2num's rules for that language, so a translation of an English
problem keeps the English item's numbers ("trois" -> 3).
"""

from __future__ import annotations

import re

UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
VALUE = {**{w: i for i, w in enumerate(UNITS)}, **TENS}
DENOMINATORS = {"third": 3, "quarter": 4, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                "eighth": 8, "ninth": 9, "tenth": 10, "twelfth": 12, "twentieth": 20, "hundredth": 100}

_WORD = "|".join(sorted(VALUE, key=len, reverse=True))
_DENOM = "|".join(sorted(DENOMINATORS, key=len, reverse=True))
# "two-hour", "five-day" (but not "twenty-five", which alpha2digit reads)
_HYPHENATED = re.compile(rf"(?<!-)\b({_WORD})-(?!(?:{_WORD}|{_DENOM}|first|second)\w*\b)(?=[a-z])", re.IGNORECASE)
# "three-fifths", "two thirds", "a quarter", "one half"
_UNIT = "|".join(sorted(UNITS[1:], key=len, reverse=True))
_FRACTION = re.compile(rf"(?<!-)\b({_UNIT}|an?)[\s-]+({_DENOM})s?\b", re.IGNORECASE)
_DOZEN = re.compile(rf"\b(?:({_WORD}|an?|\d+)\s+)?(dozen)s?\b|\b({_WORD}|\d+)\s+(score)\b", re.IGNORECASE)


LANGUAGES = {
    "en": {"the", "and", "of", "is", "are", "how", "many", "what", "with", "each", "has", "if"},
    "fr": {"le", "la", "les", "des", "est", "et", "une", "pour", "dans", "combien", "chaque", "il", "elle", "du"},
    "es": {"el", "los", "las", "es", "y", "una", "para", "cuántos", "cuántas", "cada", "del", "con", "tiene"},
    "de": {"der", "die", "das", "und", "ist", "ein", "eine", "mit", "für", "wie", "viele", "jeden", "hat"},
    "it": {"il", "gli", "che", "è", "una", "per", "quanti", "quante", "ogni", "della", "del", "ha", "sono"},
    "pt": {"os", "as", "é", "uma", "para", "quantos", "quantas", "cada", "do", "da", "tem", "não", "com"},
}


def language(text: str) -> str:
    """The language among LANGUAGES whose common words `text` uses most ("en" on a tie)."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    hits = {lang: sum(w in common for w in words) for lang, common in LANGUAGES.items()}
    best = max(hits, key=lambda lang: (hits[lang], lang == "en"))
    return best if hits[best] else "en"


def _value(word: str) -> int:
    w = word.lower()
    return 1 if w in ("a", "an") else int(w) if w.isdigit() else VALUE[w]


def _fraction(m: re.Match) -> str:
    return f"{_value(m.group(1))}/{DENOMINATORS[m.group(2).lower()]}"


def _dozen(m: re.Match) -> str:
    if m.group(4):  # "four score"
        return str(_value(m.group(3)) * 20)
    return str((_value(m.group(1)) if m.group(1) else 1) * 12)


def as_digits(text: str) -> str:
    """`text` with its number words as digits."""
    if not text:
        return text
    from text_to_num import alpha2digit

    lang = language(text)
    if lang != "en":
        return alpha2digit(text, lang)
    t = _FRACTION.sub(_fraction, text)
    t = _DOZEN.sub(_dozen, t)
    t = _HYPHENATED.sub(lambda m: f"{_value(m.group(1))}-", t)
    return alpha2digit(t, "en")
