"""Is a similar pair really the same request? Cheap checks that veto a near-duplicate pair
whose texts differ where it matters, however alike their embeddings:

- numbers and signs: both texts hold numbers (number words read as digits) and their numbers
  with the operators between them differ (`2x + 3 = 7` vs `2x - 3 = 7`, 12 vs 15 apples);
- negation: one text negates (not, no, never, without, except, n't) and the other does not;
- names: each text names something (a capitalised word past a sentence start) that the other
  never mentions (Austria vs Australia, Paris vs Lyon);
- opposites: the texts use different words of one contrast set (monthly / yearly, ascending /
  descending, shortest / longest, advantages / disadvantages, ...);
- a small substitution: the texts share most of their content words and each has one or two
  the other lacks (`reverses an array` / `reverses a string`, `why` / `when`): a request
  written the same way with one thing swapped asks for something else, where a paraphrase
  rewords more than that (content words compared by their first 4 letters).

`veto(texts, left, right)` returns a boolean per pair. Vectorised over the texts' features
(polars); the per-pair comparison is set arithmetic on small sets.

What it does not do: understand paraphrase; a pair it passes still needs the similarity.
"""

from __future__ import annotations

import re

import numpy as np

NEGATIONS = {"not", "no", "never", "without", "except", "none", "nor", "cannot", "neither"}
CONTRASTS = [
    {"daily", "weekly", "monthly", "yearly", "annually", "annual", "quarterly", "hourly"},
    {"ascending", "descending"}, {"increasing", "decreasing"}, {"increase", "decrease"},
    {"shortest", "longest"}, {"smallest", "largest", "biggest"}, {"minimum", "maximum"}, {"min", "max"},
    {"lowest", "highest"}, {"first", "last"}, {"top", "bottom"}, {"before", "after"}, {"above", "below"},
    {"advantages", "disadvantages"}, {"pros", "cons"}, {"benefits", "drawbacks", "risks"},
    {"positive", "negative"}, {"even", "odd"}, {"add", "subtract", "multiply", "divide"},
    {"encode", "decode"}, {"encrypt", "decrypt"}, {"compress", "decompress"}, {"celsius", "fahrenheit", "kelvin"},
    {"buy", "sell"}, {"import", "export"}, {"uppercase", "lowercase"}, {"upper", "lower"}, {"left", "right"},
    {"north", "south", "east", "west"}, {"hot", "cold"}, {"formal", "informal", "casual"},
    {"beginner", "beginners", "intermediate", "advanced", "expert", "experts"}, {"children", "kids", "adults"},
    {"why", "how"}, {"true", "false"}, {"rows", "columns"}, {"sum", "product", "difference", "average", "mean", "median"},
    {"vowels", "consonants"}, {"remove", "add"}, {"json", "csv", "xml", "yaml"}, {"python", "javascript", "java", "rust", "go", "sql", "bash", "c++"},
    {"english", "french", "spanish", "german", "italian", "japanese", "chinese", "portuguese"},
    {"cat", "cats", "dog", "dogs"}, {"tea", "coffee"}, {"summer", "winter", "spring", "autumn", "fall"},
]
QUESTION = {"who", "what", "when", "where", "why", "how", "which"}
STOP = {"the", "and", "for", "you", "your", "can", "could", "would", "please", "that", "this", "with", "from", "into", "are", "was",
        "were", "have", "has", "had", "does", "did", "doe", "will", "just", "some", "any", "about", "need", "want", "help", "me", "my",
        "write", "give", "tell", "show", "explain", "make", "get", "i'm", "hey", "hello", "thanks", "thank", "there", "what", "how",
        "which", "who", "when", "where", "why", "its", "it's", "them", "they", "their", "our", "but", "all", "one", "out", "way"}
_CONTRAST_OF = {w: k for k, group in enumerate(CONTRASTS) for w in group}
_SIGNATURE = re.compile(r"(?<![A-Za-z_\d.])\d+(?:\.\d+)?|(?<=[\d\s)])[-+*/^=<>](?=\s*[\d(a-zA-Z])")
_NAME = re.compile(r"(?<![.!?:]\s)(?<!^)(?<![.!?:\n]\s\s)\b([A-Z][a-z]{2,})\b")


def _features(text: str):
    from text_to_num import alpha2digit

    t = alpha2digit(text or "", "en")
    words = set(re.findall(r"[a-z0-9+]+", t.lower()))
    negated = bool(words & NEGATIONS) or "n't" in t.lower()
    names = {m.lower() for m in _NAME.findall(t)} - {"i", "please", "can", "could", "would", "write", "explain", "what", "how", "hey", "hi"}
    contrasts = {}
    for w in words & _CONTRAST_OF.keys():
        contrasts.setdefault(_CONTRAST_OF[w], set()).add(w)
    content = {w[:4] for w in words if (len(w) >= 3 or w.isdigit()) and w not in STOP} | ({w for w in words if w in QUESTION})
    return tuple(_SIGNATURE.findall(t)), negated, names, words, contrasts, content


def _swapped(a: set, b: set) -> bool:
    only_a, only_b = a - b, b - a
    return 0 < len(only_a) <= 2 and 0 < len(only_b) <= 2 and len(a & b) >= 2 * max(len(only_a), len(only_b))


def veto(texts: list[str], left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Per pair (texts[left[k]], texts[right[k]]): True when the two differ where it matters."""
    feats: dict[int, tuple] = {}
    out = np.zeros(len(left), bool)
    for k, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        fa = feats.get(a) or feats.setdefault(a, _features(texts[a]))
        fb = feats.get(b) or feats.setdefault(b, _features(texts[b]))
        (sa, na, ea, wa, ca, ka), (sb, nb, eb, wb, cb, kb) = fa, fb
        numbers_a, numbers_b = [x for x in sa if x[0].isdigit()], [x for x in sb if x[0].isdigit()]
        out[k] = (
            (bool(numbers_a) and bool(numbers_b) and sa != sb)
            or na != nb
            or (bool(ea - wb) and bool(eb - wa))
            or any(g in cb and ca[g] != cb[g] for g in ca)
            or _swapped(ka, kb)
        )
    return out
