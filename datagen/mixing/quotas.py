"""How much of each source: quotas from `rows`, `tokens`, `weight` (of `total_rows`,
`total_tokens`, or, with neither, the largest mixture no weighted source runs out for), the
eval split's share per source, and the synthetic-fraction guardrail."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datagen.errors import UserError


@dataclass
class Quota:
    unit: str  # "rows" | "tokens"
    amount: int


def largest_remainder(total: int, shares: list[float]) -> list[int]:
    """Split `total` into integers proportional to `shares`, summing to `total` exactly."""
    s = np.asarray(shares, dtype=float)
    if total <= 0 or s.sum() <= 0:
        return [0] * len(shares)
    exact = total * s / s.sum()
    base = np.floor(exact).astype(int)
    rest = total - base.sum()
    base[np.argsort(-(exact - base), kind="stable")[:rest]] += 1
    return base.tolist()


def quotas(spec, pools: list[dict]) -> list[Quota]:
    """`pools[i]`: {"rows": N, "tokens": T or None} available to source i's train split."""
    out: list[Quota | None] = [None] * len(spec.sources)
    fixed_rows = fixed_tokens = 0.0
    for i, (s, p) in enumerate(zip(spec.sources, pools, strict=True)):
        mean = p["tokens"] / p["rows"] if p.get("tokens") and p["rows"] else 0.0
        if s.rows is not None:
            out[i] = Quota("rows", s.rows)
            fixed_rows, fixed_tokens = fixed_rows + s.rows, fixed_tokens + s.rows * mean
        elif s.tokens is not None:
            out[i] = Quota("tokens", s.tokens)
            fixed_rows, fixed_tokens = fixed_rows + (s.tokens / mean if mean else 0), fixed_tokens + s.tokens
        elif s.weight is None:
            out[i] = Quota("rows", p["rows"])
            fixed_rows, fixed_tokens = fixed_rows + p["rows"], fixed_tokens + (p.get("tokens") or 0)
    weighted = [i for i, s in enumerate(spec.sources) if s.weight is not None]
    if weighted:
        w = [spec.sources[i].weight for i in weighted]
        if spec.total_tokens:
            left = spec.total_tokens - fixed_tokens
            unit = "tokens"
        elif spec.total_rows:
            left = spec.total_rows - fixed_rows
            unit = "rows"
        else:  # the largest mixture in which no weighted source needs more rows than it has
            share = np.asarray(w) / sum(w)
            left = min(pools[i]["rows"] / sh for i, sh in zip(weighted, share, strict=True))
            unit = "rows"
        if left <= 0:
            taken = int(fixed_tokens if unit == "tokens" else fixed_rows)
            raise UserError(f"total_{unit}: the sources without a weight already take {taken} {unit}; "
                            "nothing is left for the weighted ones (raise the total or lower their rows/tokens)")
        for i, n in zip(weighted, largest_remainder(int(left), w), strict=True):
            out[i] = Quota(unit, n)
    return out  # type: ignore[return-value]


def check_feasible(spec, quota: list[Quota], pools: list[dict], names: list[str]) -> None:
    if spec.replace:
        return
    for i, (q, p) in enumerate(zip(quota, pools, strict=True)):
        have = p["rows"] if q.unit == "rows" else (p.get("tokens") or 0)
        if q.amount > have:
            raise UserError(
                f"sources.{i} ({names[i]}): needs {q.amount} {q.unit} but {have} remain after filters, normalisation, "
                "dedup and the eval split; lower its rows/tokens/weight or the total, or set `replace: true`"
            )


def eval_rows(spec, quota: list[Quota], pools: list[dict]) -> list[int]:
    """Rows of each source held out for eval: about `fraction` of its train rows, or `rows`
    in all split like the train rows."""
    if spec.eval is None:
        return [0] * len(quota)
    est = []
    for q, p in zip(quota, pools, strict=True):
        mean = p["tokens"] / p["rows"] if p.get("tokens") and p["rows"] else 1.0
        est.append(q.amount if q.unit == "rows" else q.amount / mean)
    if spec.eval.rows is not None:
        return largest_remainder(spec.eval.rows, est)
    return [int(round(spec.eval.fraction * e)) for e in est]


def synthetic_share(train_rows: list[int], train_tokens: list[int | None], synthetic: list[bool], basis: str) -> float:
    vals = train_rows if basis == "rows" else [t or 0 for t in train_tokens]
    total = sum(vals)
    return sum(v for v, s in zip(vals, synthetic, strict=True) if s) / total if total else 0.0


def cap_synthetic(train_rows: list[int], train_tokens: list[int | None], synthetic: list[bool], cap) -> list[float]:
    """Per source, the fraction of its sample to keep so that synthetic data is `max_fraction`."""
    vals = train_rows if cap.basis == "rows" else [t or 0 for t in train_tokens]
    syn = sum(v for v, s in zip(vals, synthetic, strict=True) if s)
    real = sum(vals) - syn
    if syn == 0 or syn / (syn + real) <= cap.max_fraction:
        return [1.0] * len(vals)
    if cap.max_fraction >= 1:
        return [1.0] * len(vals)
    allowed = cap.max_fraction / (1 - cap.max_fraction) * real
    keep = allowed / syn
    return [keep if s else 1.0 for s in synthetic]
