"""What kind of quantity a final answer is, read from its raw text before normalisation drops
the marks: money (and which currency), a percentage, an angle in degrees or radians; and, on
cleaned answers, an equation rather than a value. `different_kinds` / `different_equations`
say when two answers cannot be equal whatever their numbers (\\$25 vs 25\\%, €24 vs \\$24,
60° vs 60 rad, `12` vs `2x = 12`). Used by filters/math_grade.py.
"""

from __future__ import annotations

import re

_CURRENCIES = {"$": r"\\\$|^\s*\$\s*\d|\bdollars?\b|\busd\b", "€": r"€|\\euro|\beuros?\b|\beur\b",
               "£": r"£|\\pounds|\bpounds? sterling\b|\bgbp\b", "¥": r"¥|\\yen|\byen\b|\bjpy\b"}


def _currency(raw: str) -> str | None:
    found = [c for c, pattern in _CURRENCIES.items() if re.search(pattern, raw, re.IGNORECASE)]
    return found[0] if len(found) == 1 else None


def _angle(raw: str) -> str | None:
    if re.search(r"\d\s*(?:\^\s*\{?\\circ\}?|°|\\text\{\s*deg|\s*deg(?:rees?)?\b)", raw):
        return "degree"
    if re.search(r"\d\s*(?:\\text\{\s*)?rad(?:ians?)?\b", raw):
        return "radian"
    return None


def _percent(raw: str) -> bool:
    return bool(re.search(r"%|\bper ?cent\b", raw))



def _money(raw: str) -> bool:
    return any(re.search(pattern, raw, re.IGNORECASE) for pattern in _CURRENCIES.values())


def different_kinds(gold: str, pred: str) -> bool:
    """Raw answers of kinds that never compare equal: money and a percentage, two currencies,
    degrees and radians."""
    if _money(gold) and _percent(pred) or _money(pred) and _percent(gold):
        return True
    if None not in (cg := _currency(gold), cp := _currency(pred)) and cg != cp:
        return True
    return {_angle(gold), _angle(pred)} == {"degree", "radian"}


def different_equations(g: str, p: str) -> bool:
    """On cleaned answers: an equation against a value (`12` is not `2x = 12`, but `f(3) = 12`
    and `x = 4 or x = -1` are values), or one constant assigned to two variables (`y = 3` is
    not `x = 3`, but `y = 2^x` is `x = \\log_2 y`)."""
    eq = [bool(re.fullmatch(r"[^=,;]*\d[^=,;]*[a-zA-Z][^=,;()]*=[^=,;]+|[^=,;()]*[a-zA-Z][^=,;()]*\d[^=,;()]*=[^=,;]+", x))
          and not re.search(r"\bor\b|\band\b", x) for x in (re.sub(r"\\[a-zA-Z]+|_\{?\w+\}?", "", y) for y in (g, p))]
    if eq[0] != eq[1] and not re.search(r"[a-zA-Z]", re.sub(r"\\[a-zA-Z]+", "", g if not eq[0] else p)):
        return True
    lg, lp = (re.match(r"^([a-zA-Z])\s*=(?!.*=)", x) for x in (g, p))
    constant = not re.search(r"[a-zA-Z]", re.sub(r"\\[a-zA-Z]+", "", g[lg.end():] + p[lp.end():])) if lg and lp else False
    return bool(constant and lg.group(1) != lp.group(1) and "," not in g + p)
