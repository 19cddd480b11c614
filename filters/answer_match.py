"""Do two reference answers say the same thing? Vectorised over many (a, b) pairs.

Only short final answers are compared (one line, at most `MAX_LEN` characters: numbers,
expressions, choices); long or multi-line answers (code, proofs) are `None` - unknown. Pairs
are settled in polars where possible (normalised strings equal; both plain numbers), and only
the rest go to math-verify, each distinct pair once.

What it does not do: extract an answer from a model response (filters/verify.py does).
"""

from __future__ import annotations

import numpy as np

MAX_LEN = 80


def normalised(expr):
    """A polars expression: the answer with wrappers, spacing and formatting removed."""
    e = expr.str.strip_chars()
    e = e.str.replace(r"^\\boxed\{([\s\S]*)\}$", "$1")
    e = e.str.replace_all(r"\\left|\\right|\\!|\\,|\\;|\\ |\$|\s", "")
    e = e.str.replace_all(r"\\[dt]frac", r"\frac")
    e = e.str.replace_all(r"\^\{?\\circ\}?|°", "")
    e = e.str.replace_all(r"(\d),(\d{3})", "$1$2")
    e = e.str.replace(r"^(-?\d+)\.0+$", "$1")
    e = e.str.replace(r"^\\text\{([^{}]*)\}$", "$1")
    return e.str.strip_chars(".").str.to_lowercase()


def is_final(expr):
    """A polars expression: the answer is short and on one line (comparable)."""
    return expr.is_not_null() & (expr.str.len_chars() <= MAX_LEN) & ~expr.str.contains("\n") & (expr.str.strip_chars() != "")


def same_answers(a: list[str | None], b: list[str | None]) -> np.ndarray:
    """Per pair: 1.0 same, 0.0 different, NaN unknown (either not a short final answer)."""
    import polars as pl

    df = pl.DataFrame({"a": a, "b": b}, schema={"a": pl.String, "b": pl.String})
    df = df.with_columns(
        ok=is_final(pl.col("a")) & is_final(pl.col("b")), na=normalised(pl.col("a")), nb=normalised(pl.col("b"))
    ).with_columns(xa=pl.col("na").cast(pl.Float64, strict=False), xb=pl.col("nb").cast(pl.Float64, strict=False))
    numeric = pl.col("xa").is_not_null() & pl.col("xb").is_not_null()
    # relative: an absolute tolerance would make every tiny number (1.3e-27, 2.6e-27) equal
    close = (pl.col("xa") - pl.col("xb")).abs() <= 1e-6 * pl.max_horizontal(pl.col("xa").abs(), pl.col("xb").abs())
    # one side a plain number, the other no LaTeX and no letters: different, no sympy needed
    plain = pl.col("na").str.contains(r"^[-\d.]+$") | pl.col("nb").str.contains(r"^[-\d.]+$")
    symbolic = pl.col("na").str.contains(r"[\\a-z{}^/]") | pl.col("nb").str.contains(r"[\\a-z{}^/]")
    df = df.with_columns(
        v=pl.when(~pl.col("ok")).then(None)
        .when(pl.col("na") == pl.col("nb")).then(1.0)
        .when(numeric).then(close.cast(pl.Float64))
        .when(plain & ~symbolic).then(0.0)
        .otherwise(-1.0)  # math-verify decides
    )
    out = df.get_column("v").to_numpy().astype(float)
    todo = np.flatnonzero(out == -1.0)
    if len(todo):
        pairs = df[todo].select("a", "b").rows()
        decided = {p: _verify(*p) for p in dict.fromkeys(pairs)}
        out[todo] = [decided[p] for p in pairs]
    return out


def _verify(a: str, b: str) -> float:
    from math_verify import verify

    from filters.math_values import timeout
    from filters.verify import parse_gold

    try:
        ga, gb = parse_gold(a), parse_gold(b)
        return 1.0 if ga and gb and verify(ga, gb, timeout_seconds=timeout()) else 0.0
    except Exception:  # noqa: BLE001 - an unparseable answer is not a match
        return 0.0
