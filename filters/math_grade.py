"""Is a final answer equal to the reference? math-verify, plus the conventions it misses.

`grade(gold, pred) -> bool` compares two final answers (strings, not whole responses) the way
a careful competition grader does:

- the answer's *shape* first: a multiple-choice letter; an interval, union or inequality (as a
  set: `[8,\\infty)` = `x \\ge 8`); an ordered tuple `(2,-3)` (order matters); an unordered
  list of answers (`2, -3` = `-3, 2`, `\\pm 5` = `x=5 or x=-5`, `\\{1,2,3\\}`); else a scalar;
- a scalar's spelling: number words (`five`, `one half`, `two and a half`), thousands
  separators (`1,000`, `12{,}345`; but `1,2` is a list), scientific notation in its spellings
  (`1.5e-3`, `1.5*10^-3`, `1.5\\times10^{-3}`), repeating decimals (`0.\\overline{3}`,
  `0.1(6)`), percent and currency signs, a trailing unit (dropping a unit is fine, a different
  unit is not), a variable on the left (`x = 5`), a base subscript (`1011_2`);
- values compared **exactly**: decimals become exact rationals and constants are compared by
  relative difference at 60 digits, so `1/3` != `0.3333333` and `1/2004!` != `1/2006!` (a float
  tolerance equates them); expressions with variables go to math-verify's symbolic check.

Spellings are read by filters/math_notation.py, values compared by filters/math_values.py, kinds
that never compare equal (money vs percent, two currencies, degrees vs radians, an equation vs a
value) told by filters/math_kinds.py; `extract_answer` (filters/math_extract.py) finds the final
answer of an unboxed response.

What it does not do: decide whether a decimal approximation was acceptable for the problem
(an approximation of an irrational answer is wrong here), or grade proofs.
"""

from __future__ import annotations

import functools
import re

from filters.math_kinds import different_equations, different_kinds
from filters.math_notation import _TEXT, _enclosed, clean, split_top, strip_marks, unit_of, words_to_number
from filters.math_values import same_value, timeout, value

GRADER_VERSION = "5"

# -- shapes -----------------------------------------------------------------------------------

_CHOICE = re.compile(r"^[(\[]?([A-Ea-e])[)\]]?$")
_LETTERED = re.compile(r"(?:\\textbf\{|\\text\{)?\s*\([A-E]\)\s*\}?\s*([\w\\$-].*)")  # a value after the letter, not a brace
_CHOICE_PRED = re.compile(r"^(?:\\text\{)?(?:(?:the\s+)?(?:option|choice|answer)(?:\s+is)?\s*:?\s*)?\(?([A-E])\)?(?:\}|\s*[:.)]?\s+\S.*|[:.)])?$", re.IGNORECASE)


_LHS = re.compile(r"^(?:\\(?:text|mathrm)\{[a-zA-Z ]+\}|[a-zA-Z](?:_\{?\w+\}?)?(?:\^\{?-1\}?)?(?:\(\s*(?:[a-zA-Z]|-?\d+(?:\.\d+)?)\s*\))?|[A-Z]\^\{?(?:-?\d|T)\}?(?:\([a-zA-Z]\))?|\(\s*[a-zA-Z](?:\s*,\s*[a-zA-Z])+\s*\))\s*=\s*(?!.*=)")
_REL = re.compile(r"\\ge|\\le|<|>|\\in\b|\\cup|\\neq")


@functools.lru_cache(maxsize=8192)
def shape(s: str):
    """A parsed answer: ('choice', L) | ('set', sympy set) | ('tuple', [...]) | ('bag', [...]) | ('scalar', text, unit, pct)."""
    s = _LHS.sub("", clean(s))
    whole = _TEXT.fullmatch(s)
    s = whole.group(1).strip() if whole else s
    if _CHOICE.match(s.strip("{} ")):
        return ("choice", _CHOICE.match(s.strip("{} ")).group(1).upper())
    if re.fullmatch(r"[a-zA-Z\s\-]+", s):
        s = words_to_number(s)
    s = re.sub(r"\\text\{\s*(or|and)\s*\}", r" \1 ", s)
    if s.startswith("\\{") and s.endswith("\\}") and _enclosed(s[1:-2] + "}", "{", "}"):  # `\{1, 2, 2\}`: a set
        items = [x for p in split_top(s[2:-2]) if p for x in _flat(shape(p))]
        return ("bag", [x for j, x in enumerate(items) if not any(same(x, y) for y in items[:j])])
    if re.fullmatch(r"\[\s*\[.*\]\s*\]", s):  # `[[1, 2], [3, 4]]`: a matrix by rows
        return ("scalar", s, None, False)
    assigned = _assignments(s)
    if assigned is not None:
        return ("tuple", [shape(v) for _, v in assigned], "()")
    parts = split_top(s, (" or ", " and ", ";", "\\text{ or }", ","))
    if len(parts) > 1 and not (_enclosed(s, "(", ")") or _enclosed(s, "[", "]") or _enclosed(s, "[", ")") or _enclosed(s, "(", "]")):
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", s.replace(" ", "")) and " " not in s:
            return ("scalar", *_scalar_parts(s))
        items = [shape(p) for p in parts if p]
        if all(i[0] == "set" for i in items) and " and " not in s:
            if " or " not in s and all(_REL.search(p) for p in parts if p):  # `x \ge 3, x \ne 5`: conditions, all of them
                import sympy

                return ("set", sympy.Intersection(*[i[1] for i in items]))
            return ("set", _union([i[1] for i in items]))
        return ("bag", [x for i in items for x in (i[1] if i[0] == "bag" else [i])])
    if s.count("\\pm") == 1:  # `\pm 5`, `3 \pm \sqrt{2}`: both values
        v = re.sub(r"^[a-zA-Z]\s*=\s*", "", s)
        plus, minus = (re.sub(r"^\s*\\pm\s*", "", v.replace("\\pm", op)) if v.strip().startswith("\\pm") and op == "+" else v.replace("\\pm", op) for op in "+-")
        return ("bag", [("scalar", *_scalar_parts(plus)), ("scalar", *_scalar_parts(minus))])
    mixed = s[:1] + s[-1:] in ("(]", "[)") and _enclosed(s, s[0], s[-1])
    if _REL.search(s) or "\\setminus" in s or mixed or ("\\infty" in s and (s[:1] in "([" and s[-1:] in ")]")):
        found = _as_set(s)
        if found is not None:
            return ("set", found)
    for left, right in (("(", ")"), ("[", "]"), ("\\langle", "\\rangle")):
        if _enclosed(s, left[0], right[-1]) and len(split_top(s[len(left):-len(right)])) > 1:
            return ("tuple", [shape(p) for p in split_top(s[len(left):-len(right)])], left + right)
    for left, right in (("\\{", "\\}"), ("{", "}")):
        if s.startswith(left) and s.endswith(right) and len(split_top(s[len(left):-len(right)])) > 1:
            return ("bag", [shape(p) for p in split_top(s[len(left):-len(right)])])
    return ("scalar", *_scalar_parts(s))


def _flat(x) -> list:
    return x[1] if x[0] == "bag" else [x]


def _assignments(s: str) -> list[tuple[str, str]] | None:
    """`x=4, y=-1` -> [(x, 4), (y, -1)], ordered by variable name (a pair written as assignments)."""
    parts = split_top(s, (",", ";", " and "))
    found = [re.fullmatch(r"([a-zA-Z])\s*=\s*([^=]+)", p) for p in parts]
    if len(parts) < 2 or not all(found) or len({m.group(1) for m in found}) != len(found):
        return None
    return sorted((m.group(1), m.group(2)) for m in found)


def _scalar_parts(s: str):
    s = _LHS.sub("", s.strip())
    s, pct = strip_marks(s)
    base = re.fullmatch(r"\(?([0-9A-Za-z]+)\)?_\{?(\d+)\}?", re.sub(r"\\overline\{(\w+)\}|(?<=\w) (?=\w)", lambda m: m.group(1) or "", s.strip()))
    if base and _numeral(base.group(1), int(base.group(2))):  # a numeral in another base: its digits, the base as its unit
        return base.group(1).upper(), f"base {base.group(2)}", pct
    clock = re.fullmatch(r"(\d{1,2}):(\d{2})\s*(?:\\text\{\s*)?([AaPp]\.?[Mm]\.?)?\}?", s.strip())
    if clock:  # a time of day: 2:30 PM = 14:30 (not a ratio to reduce)
        h, mnt, half = int(clock.group(1)), clock.group(2), (clock.group(3) or "").lower().replace(".", "")
        h = h % 12 + (12 if half == "pm" else 0) if half else h
        return f"{h}:{mnt}", "clock", pct
    ratio = re.fullmatch(r"(\d+)\s*:\s*(\d+)", s.strip())
    if ratio:
        return f"{ratio.group(1)}/{ratio.group(2)}", "ratio", pct
    s, unit = unit_of(s)
    s = _TEXT.sub(lambda m: m.group(1), s)
    return words_to_number(s), unit, pct


def _numeral(digits: str, base: int) -> bool:
    """`1011` in base 2, `BEE` in base 16 (upper case when it has no decimal digit), not `x_2`."""
    if not 2 <= base <= 36 or not (re.search(r"\d", digits) or digits.isupper()):
        return False
    try:
        int(digits, base)
    except ValueError:
        return False
    return True


def _union(sets):
    import sympy

    return sympy.Union(*sets)


def _as_set(s: str):
    """An interval, union or inequality as a sympy set (None when it is not one)."""
    import sympy

    s = re.sub(r"^[a-zA-Z]\s*\\in\s*", "", s)
    s = re.sub(r"\\mathbb\{R\}|\\R\b", "(-\\\\infty,\\\\infty)", s)
    if s.count("\\setminus") == 1:  # `\mathbb{R} \setminus \{1\}`
        whole, removed = (x.strip() for x in s.split("\\setminus"))
        base, points = _as_set(whole), re.fullmatch(r"\\\{(.+)\\\}", removed)
        values = [value(v) for v in split_top(points.group(1))] if points else []
        cut = (None if None in values else sympy.FiniteSet(*values)) if points else _as_set(removed)
        if base is None or cut is None:
            return None
        return sympy.Complement(base, cut)
    pieces = split_top(s, ("\\cup", " U "))
    out = []
    for p in pieces:
        p = p.strip()
        m = re.fullmatch(r"([\[(])\s*(.+?)\s*,\s*(.+?)\s*([\])])", p)
        if m:
            lo, hi = _endpoint(m.group(2)), _endpoint(m.group(3))
            if lo is None or hi is None:
                return None
            out.append(sympy.Interval(lo, hi, m.group(1) == "(", m.group(4) == ")"))
            continue
        rel = _relation(p)
        if rel is None:
            return None
        out.append(rel)
    return sympy.Union(*out)


def _endpoint(t: str):
    import sympy

    t = t.strip()
    if t in ("\\infty", "+\\infty", "infty", "oo"):
        return sympy.oo
    if t in ("-\\infty", "-infty", "-oo"):
        return -sympy.oo
    return value(t)


_RELATIONS = {"\\ge": "Ge", "\\le": "Le", ">": "Gt", "<": "Lt", "\\neq": "Ne"}


def _relation(p: str):
    """`x \\ge 8`, `8 \\le x`, `3 < x \\le 5`, `|x| \\le 4`, `x \\neq 0`: the real solution set
    of one variable (None when it is not such a relation)."""
    import sympy

    tokens = re.split(r"(\\ge|\\le|\\neq|<|>)", p)
    if len(tokens) not in (3, 5):
        return None
    terms = [value(t.strip()) for t in tokens[::2]]
    if any(not isinstance(t, sympy.Expr) for t in terms):
        return None
    free = set().union(*(t.free_symbols for t in terms))
    if len(free) != 1:
        return None
    x = sympy.Symbol("x", real=True)
    terms = [t.subs(next(iter(free)), x) for t in terms]
    rels = [getattr(sympy, _RELATIONS[op])(a, b) for a, op, b in zip(terms, tokens[1::2], terms[1:], strict=False)]
    if any(isinstance(r, sympy.logic.boolalg.BooleanAtom) for r in rels):
        return None
    return sympy.Intersection(*(r.as_set() for r in rels))


def same_scalar(g, p) -> bool:
    (_, gt, gu, gpct), (_, pt, pu, ppct) = g, p
    if {gu, pu} == {"clock"}:  # times of day: equal as written (`2:30` is not `1:15`)
        return gt == pt
    if {gu, pu} == {"clock", "ratio"}:  # `3:12` beside the ratio `1:4` is a ratio too
        gt, pt, gu, pu = gt.replace(":", "/"), pt.replace(":", "/"), "ratio", "ratio"
    if gu and pu and gu != pu:
        return False
    if gu and gu == pu and gu.startswith("base "):  # numerals: by their value in that base (`1A` is not `A1`)
        return int(gt, int(gu[5:])) == int(pt, int(gu[5:]))
    if None in (gpct, ppct) and True in (gpct, ppct):  # \$25 is not 25\%
        return False
    if gt.strip().lower() == pt.strip().lower():
        return True
    gv, pv = value(gt), value(pt)
    if same_value(gv, pv):
        return True
    if gpct != ppct and gv is not None and pv is not None:  # 40\% vs 0.4
        import sympy

        try:
            return same_value(gv / 100, pv) if gpct is True else same_value(gv, pv / 100) if ppct is True else False
        except (TypeError, sympy.SympifyError):
            return False
    return False


def same(g, p) -> bool:
    """Two shapes are the same answer."""
    import sympy

    kg, kp = g[0], p[0]
    if kg == "choice" or kp == "choice":
        if kg == kp:
            return g[1] == p[1]
        other = p if kg == "choice" else g
        m = _CHOICE_PRED.match(other[1]) if other[0] == "scalar" else None
        hedged = m and re.search(r"\bor\b[^A-Za-z]*(?:\w+\s+)*?\(?[A-E]\)?(?:\W|$)|\([A-E]\)", other[1][m.end(1) + 1 :])  # "E (or possibly D)"
        return bool(m) and not hedged and m.group(1).upper() == (g[1] if kg == "choice" else p[1])
    if kg == "bag" and kp != "bag":
        return len(g[1]) == 1 and same(g[1][0], p)
    if kp == "bag" and kg != "bag":
        return len(p[1]) == 1 and same(g, p[1][0])
    if kg == "bag":
        return _matched(g[1], p[1])
    if "set" in (kg, kp):
        sg, sp = _to_set(g), _to_set(p)
        if sg is None or sp is None:
            return False
        try:
            return bool(sympy.simplify(sympy.Eq(sg, sp))) if sg != sp else True
        except Exception:  # noqa: BLE001
            return sg == sp
    if {kg, kp} == {"tuple", "scalar"}:  # a vector written as a tuple and as a column/row matrix
        t, m = (g, p) if kg == "tuple" else (p, g)
        v = value(m[1])
        import sympy as sp

        return isinstance(v, sp.MatrixBase) and 1 in v.shape and len(v) == len(t[1]) and all(
            i[0] == "scalar" and same_value(value(i[1]), x) for i, x in zip(t[1], v, strict=True)
        )
    if kg == "tuple" and kp == "tuple":
        if {g[2], p[2]} == {"()", "[]"}:  # `(0, 1)` and `[0, 1]`: open and closed, or a point and an interval
            return False
        return len(g[1]) == len(p[1]) and all(same(a, b) for a, b in zip(g[1], p[1], strict=True))
    if kg == "scalar" and kp == "scalar":
        return same_scalar(g, p)
    return False


def _to_set(x):
    import sympy

    if x[0] == "set":
        return x[1]
    if x[0] == "tuple" and len(x[1]) == 2 and x[2] in ("()", "[]") and all(i[0] == "scalar" for i in x[1]):
        lo, hi = (_endpoint(i[1]) for i in x[1])
        if lo is None or hi is None:
            return None
        return sympy.Interval(lo, hi, x[2] == "()", x[2] == "()")
    if x[0] == "scalar":
        v = value(x[1])
        return sympy.FiniteSet(v) if v is not None else None
    return None


def _matched(a: list, b: list) -> bool:
    """Unordered lists: a one-to-one matching of equal items."""
    if len(a) != len(b):
        return False
    left = list(b)
    for x in a:
        hit = next((j for j, y in enumerate(left) if same(x, y)), None)
        if hit is None:
            return False
        left.pop(hit)
    return True


def same_equation(a: str, b: str) -> bool:
    """`2x + 3y = 6` and `y = -\\frac{2}{3}x + 2`: the same equation, rearranged or scaled."""
    import sympy

    sides = [[value(x.strip()) for x in e.split("=")] for e in (a, b)]
    if any(v is None or not isinstance(v, sympy.Expr) for pair in sides for v in pair):
        return False
    ea, eb = (sympy.expand(lhs - rhs) for lhs, rhs in sides)
    if not ea.free_symbols or not eb.free_symbols or eb == 0:
        return False
    ratio = sympy.simplify(ea / eb)
    if ratio.is_number and ratio != 0:
        return True
    return _same_solved(sides[0], sides[1])


def _same_solved(a, b) -> bool:
    """`y = 2^x` and `x = \\log_2 y`: each written as a lone variable, and each equation solved
    for the other's variable gives exactly the other's right side, one solution each way (so
    `y = x^2` is not `x = \\sqrt{y}`: solved for x it has two)."""
    import sympy

    def gives(eq, var, expected) -> bool:
        try:
            solved = sympy.solve(sympy.Eq(*eq), var)
            return len(solved) == 1 and sympy.simplify(sympy.expand_log(solved[0] - expected, force=True)) == 0
        except Exception:  # noqa: BLE001 - sympy cannot solve it: not the same by this test
            return False

    lone = [isinstance(lhs, sympy.Symbol) and lhs not in rhs.free_symbols for lhs, rhs in (a, b)]
    return all(lone) and gives(b, a[0], a[1]) and gives(a, b[0], b[1])


def grade(gold: str, pred: str) -> bool:
    """Whether the final answer `pred` equals the reference `gold`."""
    if different_kinds(gold, pred):
        return False
    g, p = clean(gold), clean(pred)
    lettered = _LETTERED.fullmatch(g)  # `\textbf{(D) } 17`: the choice's letter, or its value alone
    if lettered and not _CHOICE.match(p.strip("{} ")) and not _LETTERED.fullmatch(p):
        return grade(lettered.group(1), pred)
    if g == p and g:
        return True
    if different_equations(g, p):
        return False
    try:
        if g.count("=") == 1 and p.count("=") == 1 and same_equation(g, p):
            return True
        return same(shape(g), shape(p))
    except Exception:  # noqa: BLE001 - an answer the shapes cannot read: math-verify alone decides
        from math_verify import parse, verify

        gp, pp = parse(f"\\boxed{{{g}}}", parsing_timeout=timeout()), parse(f"\\boxed{{{p}}}", parsing_timeout=timeout())
        return bool(gp and pp and verify(gp, pp, timeout_seconds=timeout()))
