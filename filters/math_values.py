"""A scalar final answer as an exact value: `value(text)` (sympy, decimals as rationals;
special numbers, mixed numbers, matrix notations such as `I_3`, `diag(2, 3)`, `[[1, 2], [3, 4]]`
and unevaluated powers/inverses; else math-verify's parse), and `same_value(a, b)`: exact
comparison (relative difference at 60 digits, so `1/2004!` != `1/2006!`), `i`/`j` as the
imaginary unit, math-verify's symbolic check for expressions with variables. Used by
filters/math_grade.py.
"""

from __future__ import annotations

import functools
import re
import threading
from fractions import Fraction

from filters.math_notation import special_number, split_top


def timeout() -> int | None:
    """math-verify's timeouts use signal.alarm, which works only in the main thread."""
    return 5 if threading.current_thread() is threading.main_thread() else None


@functools.lru_cache(maxsize=8192)
def value(text: str):
    """A scalar answer as an exact sympy expression (decimals as rationals), or None."""
    import sympy
    from math_verify import parse

    text = text.strip()
    special = special_number(text)
    if special is not None:
        return sympy.Rational(special.numerator, special.denominator)
    m = re.fullmatch(r"(-?\d+)(?:\s*(\\frac\{\d+\}\{\d+\})|\s+(\d+/\d+))", text)  # a mixed number, 2\frac{1}{2}, 2 1/2 (not 11/4)
    if m:
        whole = int(m.group(1))
        fr = Fraction(re.sub(r"\\frac\{(\d+)\}\{(\d+)\}", r"\1/\2", m.group(2) or m.group(3)))
        return sympy.Rational(whole) + (sympy.Rational(fr.numerator, fr.denominator) * (-1 if whole < 0 or m.group(1).startswith("-") else 1))
    power = re.fullmatch(r"(\\begin\{pmatrix\}.*\\end\{pmatrix\})\s*\^\s*\{?\s*(-?\d+)\s*\}?", text, re.DOTALL)
    if power:  # an unevaluated power or inverse, `\\begin{pmatrix}...\\end{pmatrix}^{-1}`
        m, k = value(power.group(1)), int(power.group(2))
        if not (isinstance(m, sympy.MatrixBase) and m.is_square) or (k < 0 and m.det() == 0):
            return None
        return m.inv() ** (-k) if k < 0 else m**k
    matrix = _matrix_notation(text)
    if matrix is not None:
        return matrix
    found = [x for x in parse(f"\\boxed{{{text}}}", parsing_timeout=timeout()) if not isinstance(x, str)]
    if not found:
        return None
    expr = found[0]
    if isinstance(expr, sympy.matrices.MatrixExpr):
        expr = expr.as_explicit()
    try:
        if isinstance(expr, sympy.Basic):
            expr = expr.replace(lambda e: isinstance(e, sympy.Float), lambda f: sympy.Rational(str(f)))
    except Exception:  # noqa: BLE001 - keep the parsed form
        pass
    return expr


def _matrix_notation(text: str):
    """`I_3`, `4I_2`, `\\operatorname{diag}(2, 3)`, `[[1, 2], [3, 4]]` as sympy matrices (None otherwise)."""
    import sympy

    eye = re.fullmatch(r"(-?\d*)\s*I_\{?(\d)\}?", text)
    if eye:
        return sympy.eye(int(eye.group(2))) * int(eye.group(1) if eye.group(1) not in ("", "-") else eye.group(1) + "1")
    diag = re.fullmatch(r"(?:\\operatorname\{diag\}|\\mathrm\{diag\}|\\text\{diag\}|diag)\s*\((.+)\)", text)
    if diag:
        entries = [value(x) for x in split_top(diag.group(1))]
        return None if any(e is None for e in entries) else sympy.diag(*entries)
    nested = re.fullmatch(r"\[\s*(\[.*\])\s*\]", text)
    if nested:
        rows = [[value(x) for x in split_top(r.strip()[1:-1])] for r in split_top(nested.group(1))]
        if rows and all(r for r in rows) and len({len(r) for r in rows}) == 1 and not any(x is None for r in rows for x in r):
            return sympy.Matrix(rows)
    return None


def same_value(a, b) -> bool:
    import sympy
    from math_verify import verify

    if a is None or b is None:
        return False
    if isinstance(a, sympy.MatrixBase) or isinstance(b, sympy.MatrixBase):
        if not (isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase)) or a.shape != b.shape:
            return False
        return all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr):
        names = [{x.name for x in e.free_symbols} for e in (a, b)]
        if all(n <= {"i"} or n == {"j"} for n in names) and any(names) and not (a.is_Symbol and b.is_Symbol):  # the imaginary unit, written `i` (or `j`, as engineers do)
            unit = {x: sympy.I for x in a.free_symbols | b.free_symbols}
            a, b = a.subs(unit), b.subs(unit)
    try:
        if isinstance(a, sympy.Basic) and isinstance(b, sympy.Basic) and not a.free_symbols and not b.free_symbols:
            d = (a - b).doit() if isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr) else None
            if d is not None and d.is_Number:
                return bool(d == 0)
            if isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr):
                da, db = sympy.N(a, 60), sympy.N(b, 60)
                scale = max(abs(da), abs(db))
                if scale == 0:
                    return True
                return bool(abs(sympy.N(a - b, 60)) <= scale * sympy.Rational(1, 10**40))
    except Exception:  # noqa: BLE001 - fall through to math-verify
        pass
    return bool(verify(a, b, timeout_seconds=timeout()))
