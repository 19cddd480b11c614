"""How final answers are spelled: normalisation of LaTeX wrappers and spacing, numbers written
as words or in special notation (scientific, repeating decimals, thousands separators), units,
percent and currency. Used by filters/math_grade.py.

What it does not do: decide equality (math_grade) or find the answer in a response
(math_extract).
"""

from __future__ import annotations

import re
from fractions import Fraction


def last_boxed(text: str) -> str | None:
    """The content of the last `\\boxed{...}` or `\\fbox{...}` (nested braces allowed)."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth = 1
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j].strip() or None
    return None


_SPACES = re.compile(r"(?<!\\)\\[,;: ]|\\quad|\\qquad|~|\\displaystyle|\\left|\\right|\\big|\\Big")
_TEXT = re.compile(r"\\(?:text|textbf|mathrm|mbox|operatorname|mathbf)\s*\{([^{}]*)\}")


def clean(s: str) -> str:
    s = str(s).strip()
    while True:
        inner = last_boxed(s) if s.startswith(("\\boxed{", "\\fbox{")) and s.endswith("}") else None
        if inner is None:
            break
        s = inner
    s = s.replace("−", "-").replace("–", "-").replace("≥", "\\ge ").replace("≤", "\\le ").replace("∞", "\\infty").replace("π", "\\pi")
    s = re.sub(r"\\text\{\s*([€£¥])\s*\}", r"\1", s)
    s = s.replace("\\$", "").replace("$", "")
    s = re.sub(r"(?<!\\)\\!", "", s)
    s = _SPACES.sub(" ", s)
    s = _cis(_unicode_math(s))
    s = re.sub(r"\\(?:[dtc]frac|nicefrac)", r"\\frac", s)
    s = re.sub(r"\\(?:underline|texttt|mathtt|boldsymbol)\s*\{((?:[^{}]|\{[^{}]*\})*)\}", r"\1", s)
    s = re.sub(r"\\mathrm\{([0-9A-Z])\}", r"\1", s)  # `6\mathrm{B}_{16}`: a digit set upright
    s = s.replace("‰", "/10\\%")
    s = re.sub("[ⒶⒷⒸⒹⒺ]", lambda m: "(" + "ABCDE"["ⒶⒷⒸⒹⒺ".index(m.group(0))] + ")", s)
    s = re.sub(r"\\(ge|le)qslant(?![a-z])", r"\\\1 ", s)
    s = re.sub(r"(?:\^\s*\{?\\circ\}?|°)\s*(?:\\text\{\s*([CF])\s*\}|([CF])\b)", lambda m: "\\text{ " + {"C": "celsius", "F": "fahrenheit"}[m.group(1) or m.group(2)] + "}", s)
    s = re.sub(r"^(\d+)\s*(?:\\text\{\s*)?dollars?\s*(?:and)?\s*\}?\s*(\d{1,2})\s*(?:\\text\{\s*)?cents?\s*\}?$", lambda m: f"{m.group(1)}.{int(m.group(2)):02d}", s)
    s = re.sub(r"^\]\s*([^\[\],]+),\s*([^\[\],]+)\s*([\[\]])$", lambda m: f"({m.group(1)}, {m.group(2)}" + (")" if m.group(3) == "[" else "]"), s)  # ]2, +\infty[
    s = re.sub(r"^\[\s*([^\[\],]+),\s*([^\[\],]+)\s*\[$", r"[\1, \2)", s)
    s = re.sub(r"^[a-z]\s*\\in\s*(\\\{.*\\\})$", r"\1", s)  # x \in \{2, -3\}: the set
    s = re.sub(r"\\ne(?![a-z])", r"\\neq ", s)
    s = re.sub(r"\\geq?(?![a-z])", r"\\ge ", s)
    s = re.sub(r"\\leq?(?![a-z])", r"\\le ", s)
    s = s.replace(">=", "\\ge ").replace("<=", "\\le ").replace("\\gt", ">").replace("\\lt", "<")
    s = _degrees(s)
    s = re.sub(r"\^\s*\{?\\circ\}?|°|\\circ", "", s)
    s = re.sub(r"^(-?\d{1,3}(?:\.\d{3}){2,})$", lambda m: m.group(1).replace(".", ""), s)  # 4.500.000
    s = re.sub(r"^(-?\d{1,3}(?:\.\d{3})+),(\d+)$", lambda m: m.group(1).replace(".", "") + "." + m.group(2), s)  # 1.234,5
    s = re.sub(r"^(-?\d{1,3}(?: \d{3})+)$", lambda m: m.group(1).replace(" ", ""), s)  # 1 000 000
    s = re.sub(r"^(-?\d{1,3}(?: \d{3})+),(\d+)$", lambda m: m.group(1).replace(" ", "") + "." + m.group(2), s)  # 1 234 567,89
    s = re.sub(r"^(-?\d{1,2}(?:,\d{2})+,\d{3})$", lambda m: m.group(1).replace(",", ""), s)  # Indian grouping 1,23,45,678
    s = re.sub(r"^([\[(])\s*([^;,\[\]()]+);\s*([^;,\[\]()]+)\s*([\])])$", r"\1\2, \3\4", s)  # (-1; 5)
    s = re.sub(r"^\\mathbb\{R\}_\{?\\ge\s*0\}?$|^\\mathbb\{R\}_\{?\+\}?\s*\\cup\s*\\\{0\\\}$", r"[0, \\infty)", s)
    s = re.sub(r"^\\mathbb\{R\}(?:_\{?>\s*0\}?|\^\{?\+\}?|_\{?\+\}?)$", r"(0, \\infty)", s)
    s = re.sub(r"^(?:\\text\{\s*)?(?:dne|does not exist|undefined|no limit)\s*\}?$", "DNE", s, flags=re.IGNORECASE)
    s = _roman(s)
    s = re.sub(r"\{,\}(?=\d{3}(?!\d))", "", s)  # 12{,}345: a thousands separator
    s = re.sub(r"(?<=\d)\{,\}(?=\d)", ".", s)  # 3{,}5: a decimal comma
    s = re.sub(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])", lambda m: m.group(0).replace(",", ""), s)  # 3,600; not 1,2
    s = s.replace("\\langle", "(").replace("\\rangle", ")")
    s = re.sub(r"[\[(]?\s*\\begin\{array\}\{[^{}]*\}([\s\S]*?)\\end\{array\}\s*[\])]?", r"\\begin{pmatrix}\1\\end{pmatrix}", s)
    s = re.sub(r"\\begin\{[bB]?matrix\}", r"\\begin{pmatrix}", s)  # not vmatrix: a determinant
    s = re.sub(r"\\end\{[bB]?matrix\}", r"\\end{pmatrix}", s)
    s = re.sub(r"\\text\{\s*(infinity|inf)\s*\}|\b(?<!\\)(infinity|inf)\b", r"\\infty", s)
    s = re.sub(r"^(?:\\mathbb\{R\}|\\R|\\text\{\s*all real numbers\s*\}|all real numbers)$", r"(-\\infty,\\infty)", s)
    s = re.sub(r"^(?:\\varnothing|\\emptyset|\\\{\s*\\\}|\\text\{\s*no solutions?\s*\}|no solutions?)$", r"\\emptyset", s)
    s = re.sub(r"^\*\*(.+)\*\*$", r"\1", s)  # markdown bold
    s = re.sub(r"^(\d+)\s*\^?\{?\\?(?:text\{)?(?:st|nd|rd|th)\}?\}?$", r"\1", s)  # an ordinal, 2nd
    s = re.sub(r"^0b([01]+)$", r"\1_2", s)
    s = re.sub(r"^0o([0-7]+)$", r"\1_8", s)
    s = re.sub(r"^([0-9A-Z]+)\s*(?:\\text\{\s*)?\(?\s*(?:in\s+)?base\s*\}?[\s-]*(\d+)\s*\)?\}?$", r"\1_{\2}", s)  # `53 (base 7)`
    s = re.sub(r"^\{([0-9A-Z]+)\}_", r"\1_", s)  # `{10201}_{3}`
    s = re.sub(r"_\{?\\(?:text|mathrm)\{\s*(hex|oct|bin|dec)\s*\}\}?$", lambda m: "_{" + {"hex": "16", "oct": "8", "bin": "2", "dec": "10"}[m.group(1)] + "}", s)
    s = re.sub(r"^\\\{\s*[a-z]\s*(?:\\in\s*\\mathbb\{R\}\s*)?(?:\\mid|\||:)\s*(.+)\\\}$", r"\1", s)  # set-builder `\{x \mid -2 \le x < 5\}`
    s = re.sub(r"^[a-z]\s*\\notin\s*(.+)$", r"\\mathbb{R} \\setminus \1", s)  # x \notin (0, 4)
    s = re.sub(r"^0x([0-9a-fA-F]+)$", lambda m: m.group(1).upper() + "_16", s)
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:\s*(?:\\text\{\s*)?(thousand|million|billion|trillion)\}?|(k|\\text\{k\}))", s)
    if m:  # `2.5k` (lower case, attached: `300 K` is kelvin)
        s = str(Fraction(m.group(1)) * 10 ** {"thousand": 3, "million": 6, "billion": 9, "trillion": 12}.get(m.group(2), 3))
    s = re.sub(r"\s+", " ", s).strip().rstrip(".").strip()
    return s


_VULGAR = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5), "⅗": (3, 5), "⅘": (4, 5),
           "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8)}


_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _roman(s: str) -> str:
    """A whole answer in Roman numerals of two or more letters (`\\text{MMXXIV}` -> 2024; a lone
    letter stays a letter: a choice, a matrix, a variable)."""
    m = re.fullmatch(r"(?:\\text\{\s*)?([MDCLXVI]{2,})\s*\}?", s)
    if not m:
        return s
    digits = [_ROMAN[c] for c in m.group(1)]
    value = sum(-d if i + 1 < len(digits) and d < digits[i + 1] else d for i, d in enumerate(digits))
    canon = ""
    left = value
    for n, r in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        canon, left = canon + r * (left // n), left % n
    return str(value) if canon == m.group(1) else s  # only well-formed numerals


def _unicode_math(s: str) -> str:
    """Unicode glyphs as LaTeX: `4½` -> `4\\frac{1}{2}` (a mixed number), `√8` -> `\\sqrt{8}`, `×` -> `\\times`."""
    s = re.sub("[" + "".join(_VULGAR) + "]", lambda m: "\\frac{%d}{%d}" % _VULGAR[m.group(0)], s)
    s = re.sub(r"√\s*(\d+(?:\.\d+)?|[a-zA-Z]|\([^()]*\)|\{[^{}]*\})", lambda m: "\\sqrt{" + m.group(1).strip("(){}") + "}", s)
    return superscripts(s).replace("×", "\\times ").replace("·", "\\cdot ")


def superscripts(s: str) -> str:
    """Unicode superscripts as a LaTeX exponent: `10⁻⁷` -> `10^{-7}`."""
    return re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+", lambda m: "^{" + m.group(0).translate(_SUPERSCRIPT) + "}", s)


_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


_CIS = re.compile(r"(?:\\operatorname\{cis\}|\\(?:text|mathrm)\{\s*cis\s*\}|(?<![a-zA-Z\\])cis)\s*")
_ARG = re.compile(r"(?:\\[dt]?frac\{[^{}]*\}\{[^{}]*\}|\([^()]*\)|\{[^{}]*\}|[\w\\.]+)(?:\s*\^\s*\{?\\circ\}?|\s*°)?")


def _cis(s: str) -> str:
    """`r \\operatorname{cis} \\theta` -> `r(\\cos(\\theta) + i\\sin(\\theta))`."""
    m = _CIS.search(s)
    if not m:
        return s
    arg = _ARG.match(s, m.end())
    if not arg:
        return s
    a = arg.group(0)
    a = a[1:-1] if a[:1] in "({" and a[-1:] in ")}" else a
    return s[: m.start()] + f"(\\cos({a}) + i\\sin({a}))" + _cis(s[arg.end():])


_DEG = r"(?:\^\s*\{?\\circ\}?|°)"
_DMS = re.compile(r"(\d+)\s*" + _DEG + r"\s*(\d+(?:\.\d+)?)\s*(?:'|′|\^\s*\{?\\prime\}?)")
_TRIG_DEG = re.compile(r"\\(sin|cos|tan|sec|csc|cot)\s*\(?\s*(-?\d+(?:\.\d+)?)\s*" + _DEG + r"\s*\)?")


def _degrees(s: str) -> str:
    """Angles in degrees before the degree sign is dropped: `30°30′` -> `\\frac{1830}{60}` (degrees),
    `\\cos 45^\\circ` -> `\\cos(\\frac{45\\pi}{180})` (a trig function reads radians)."""
    s = _DMS.sub(lambda m: f"\\frac{{{Fraction(m.group(1)) * 60 + Fraction(m.group(2))}}}{{60}}°", s)
    return _TRIG_DEG.sub(lambda m: f"\\{m.group(1)}(\\frac{{{m.group(2)}\\pi}}{{180}})", s)


# -- structure -------------------------------------------------------------------------------


def split_top(s: str, seps=(",",)) -> list[str]:
    """Split at separators outside brackets."""
    out, depth, cur, i = [], 0, "", 0
    while i < len(s):
        c = s[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if depth == 0 and any(s.startswith(sep, i) for sep in seps):
            sep = next(sep for sep in seps if s.startswith(sep, i))
            out.append(cur)
            cur, i = "", i + len(sep)
            continue
        cur += c
        i += 1
    out.append(cur)
    return [p.strip() for p in out]


def _enclosed(s: str, left: str, right: str) -> bool:
    """`s` is one bracketed group: `(a, b)` but not `(a)+(b)`."""
    if not (s.startswith(left) and s.endswith(right)):
        return False
    depth = 0
    for i, c in enumerate(s):
        depth += 1 if c in "([{" else -1 if c in ")]}" else 0
        if depth == 0 and i < len(s) - 1:
            return False
    return True



# -- numbers written as words or in special notation ---------------------------------------

_ORDINALS = {"half": 2, "halve": 2, "third": 3, "quarter": 4, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
             "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "hundredth": 100, "thousandth": 1000}
_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def words_to_number(s: str) -> str:
    """Number words to digits (`twelve thousand` -> `12000`, `one half` -> `1/2`, `two and a
    half` -> `5/2`, `minus three` -> `-3`); other text unchanged."""
    t = s.strip().lower().replace("-", " ") if re.fullmatch(r"[a-z\s\-]+", s.strip().lower()) else s
    if t is s:
        return s
    t = re.sub(r"\s+", " ", t).strip()
    if t in ("a", "an"):
        return s
    t = re.sub(r"^an? (hundred|thousand|million|billion|trillion|dozen)\b", r"one \1", t)
    if t in ("a gross", "one gross"):
        return "144"
    year = re.fullmatch(r"(ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty) (\w+(?: \w+)?)", t)
    if year and _int_words(year.group(2)) is not None and 10 <= _int_words(year.group(2)) <= 99:  # "nineteen ninety nine"
        return str(_int_words(year.group(1)) * 100 + _int_words(year.group(2)))
    neg = t.startswith(("minus ", "negative "))
    if neg:
        t = t.split(" ", 1)[1]
    whole = Fraction(0)
    m = re.fullmatch(r"(.+?) and (a|an|one|two|three|four|five|six|seven|eight|nine) (halve|half|third|quarter|fourth|fifth|sixth|seventh|eighth|ninth|tenth)s?", t)
    if m:
        t, frac = m.group(1), Fraction(_SMALL[m.group(2)], _ORDINALS[m.group(3)])
        n = _int_words(t)
        if n is None:
            return s
        whole = n + frac
    else:
        m = re.fullmatch(r"(\w+) (\w+?)s?", t)
        if m and m.group(2) in _ORDINALS and (m.group(1) in _SMALL or _int_words(m.group(1)) is not None):
            num = _SMALL.get(m.group(1)) or _int_words(m.group(1))
            whole = Fraction(num, _ORDINALS[m.group(2)])
        else:
            n = _int_words(t)
            if n is None:
                return s
            whole = Fraction(n)
    whole = -whole if neg else whole
    return str(whole.numerator) if whole.denominator == 1 else f"{whole.numerator}/{whole.denominator}"


def _int_words(t: str) -> int | None:
    big = re.fullmatch(r"(.+) (trillion|billion)", t)  # beyond what text2num reads
    if big:
        head = _int_words(big.group(1))
        return None if head is None else head * 10 ** {"billion": 9, "trillion": 12}[big.group(2)]
    try:
        from text_to_num import text2num

        return int(text2num(t, "en"))
    except Exception:  # noqa: BLE001 - not a number in words
        return _SMALL.get(t)


_SCI = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(?:[eE]\s*([+-]?\d+)|(?:\\times|\\cdot|\*|x|×)\s*10\s*\^\s*\{?\s*([+-]?\d+)\s*\}?)$")
_REPEAT = re.compile(r"^(-?)(\d*)\.(\d*)(?:\\overline\{(\d+)\}|\\overline(\d)|\((\d+)\)|\\dot\{(\d)\})$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def special_number(s: str) -> Fraction | None:
    """Exact value of a plain, separated, scientific or repeating-decimal number; else None."""
    t = s.replace(" ", "") if not re.search(r"[a-zA-Z]{2}", s) else s
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    if re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)", t):
        return Fraction(t)
    m = _SCI.match(t)
    if m:
        return Fraction(m.group(1)) * Fraction(10) ** int(m.group(2) or m.group(3))
    m = re.fullmatch(r"(-?\d*\.\d*?)(\d+?)\2+(?:\\ldots|\\dots|\.\.\.|…)", t)  # 0.7777..., 0.1666\ldots
    if m:
        t = f"{m.group(1)}\\overline{{{m.group(2)}}}"
    t = re.sub(r"\\dot\{(\d)\}(\d*)\\dot\{(\d)\}", r"\\overline{\1\2\3}", t)
    t = re.sub(r"\\bar\{(\d+)\}|\\bar(\d)", lambda m: "\\overline{" + (m.group(1) or m.group(2)) + "}", t)  # 0.\dot{1}\dot{8}: dots over the repetend's ends
    m = _REPEAT.match(t)
    if m:
        sign, ip, fixed = m.group(1), m.group(2) or "0", m.group(3)
        rep = next(g for g in m.groups()[3:] if g)
        value = Fraction(int(ip)) + (Fraction(int(fixed), 10 ** len(fixed)) if fixed else 0)
        value += Fraction(int(rep), (10 ** len(rep) - 1) * 10 ** len(fixed))
        return -value if sign else value
    return None


# -- units, percent, currency ---------------------------------------------------------------

_UNIT_ALIASES = {
    "cm": "centimeter", "centimetre": "centimeter", "mm": "millimeter", "millimetre": "millimeter", "m": "meter", "metre": "meter",
    "km": "kilometer", "kilometre": "kilometer", "in": "inch", "inche": "inch", "ft": "foot", "feet": "foot", "yd": "yard",
    "mi": "mile", "hr": "hour", "hrs": "hour", "h": "hour", "min": "minute", "s": "second", "sec": "second", "g": "gram", "kg": "kilogram",
    "mg": "milligram", "lb": "pound", "oz": "ounce", "l": "liter", "litre": "liter", "ml": "milliliter", "millilitre": "milliliter",
    "deg": "degree", "°": "degree", "mph": "mile/hour", "kph": "kilometer/hour", "km/h": "kilometer/hour", "sq": "square",
    "dollar": "", "usd": "", "cent": "cent", "unit": "", "\\$": "", "euro": "", "eur": "", "pound sterling": "",
    "n": "newton", "c": "coulomb", "k": "kelvin", "mole": "mol", "yen": "", "pound": "pound", "\\omega": "ohm", "j": "joule", "w": "watt", "v": "volt", "a": "ampere", "pa": "pascal", "hz": "hertz",
}
_UNIT = re.compile(r"^(?P<v>.*?[\d}a-zA-Z)])\s*(?:(?P<o>\\Omega)|\\(?:text|mathrm|mbox)\s*\{\s*(?P<t>[^{}]+?)\s*\}(?P<p>\^\{?\d\}?)?|(?P<w>[a-zA-Z]+(?:(?:\.\s*|\s+)[a-zA-Z]+){0,3}\.?\s*(?:\^\{?\d\}?|²|³)?))$")
_FUNCS = {"sin", "cos", "tan", "log", "ln", "sqrt", "pi", "infty", "frac", "or", "and", "i", "e", "cdot", "times", "exp"}


def unit_of(s: str) -> tuple[str, str | None]:
    """(value, unit): a trailing unit split off (`5\\text{ cm}` -> `5`, `centimeter`); no unit: None."""
    m = _UNIT.match(s)
    if not m:
        return s, None
    v, raw = m.group("v").strip(), (m.group("o") or m.group("t") or m.group("w") or "").strip() + (m.group("p") or "")
    if m.group("w") and re.search(r"\\[a-zA-Z]*$", m.group("v")):
        return s, None  # `\\tan^2\\theta`: the letters are a command's name, not a unit
    word = raw.lower().rstrip(".")
    if not v or not re.search(r"\d", v) or re.search(r"[a-zA-Z]", re.sub(r"\\[a-zA-Z]+", "", v)):
        return s, None  # "2x", "3\\pi": not a number with a unit
    si = m.group("w") and m.group("w").strip() in ("C", "N", "J", "W", "V", "A", "K") and re.search(r"\s\S$", s)  # `3 C`, not `2A`
    if m.group("w") and not si and (word in _FUNCS or len(word) == 1 and word not in ("m", "h", "s", "g", "l")):
        return s, None
    return v, normal_unit(word)


def normal_unit(word: str) -> str | None:
    parts = []
    power = re.search(r"(\^\{?(\d)\}?|²|³)$", word)
    base = word[: power.start()].strip() if power else word
    base = re.sub(r"\s+per\s+", "/", base)
    for w in re.split(r"\s+|(?=/)|(?<=/)", base):
        if not w:
            continue
        if w not in _UNIT_ALIASES and w.endswith("s") and not w.endswith("ss") and (len(w) > 3 or w[:-1] in _UNIT_ALIASES):
            w = w[:-1]  # plural
        parts.append(_UNIT_ALIASES.get(w, w))
    unit = " ".join(p for p in parts if p).replace(" / ", "/")
    if power:
        unit = f"{unit}^{power.group(2) or {'²': 2, '³': 3}[power.group(1)]}"
    if unit.startswith("square "):
        unit = unit[len("square "):] + "^2"
    if unit.startswith("cubic "):
        unit = unit[len("cubic "):] + "^3"
    return None if unit in ("", "^2", "^3", "square", "cubic") else unit  # "square units": no unit


def strip_marks(s: str) -> tuple[str, bool | None]:
    """(value, percent): currency signs and words, `\\%`/`percent` removed; percent is True
    for a percentage, None for an amount of money, else False."""
    pct = bool(re.search(r"\\?%|\bpercent\b|\bper cent\b", s))
    if re.search(r"^(?:US)?\$|^[€£¥]|\\euro|\\pounds|\\yen|\bdollars?\b|\bUSD\b", s.strip()):
        pct = None
    s = re.sub(r"\\?%|\bpercent\b|\bper cent\b", "", s)
    s = re.sub(r"^(?:US)?\$|^[€£¥]|\\euro|\\pounds|\\yen|\bdollars?\b|\bUSD\b", "", s.strip()).strip()
    return s, pct
