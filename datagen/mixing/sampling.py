"""Seeded sampling of one source's pool: a stratified random order of its prompt groups, the
eval split taken as whole groups from the end of that order (so no eval prompt has a
response in train), and the train sample from the rest — without replacement a prefix of
an order that goes round the prompts (one response per prompt before any second one), with
replacement seeded draws; in rows, or in tokens up to a budget.

Stratified order: group g in stratum s with rank r among the stratum's groups (random) gets
the key (r + u) / (share_s * G), so every prefix holds each stratum at its share (`strata`
targets, or its share of the pool) until the stratum runs out; labels without a target go last.
"""

from __future__ import annotations

import numpy as np

U64 = float(2**64)


def group_order(df, seed: int, stratum: str | None, strata: dict | None):
    """`df` (columns `_key`, `_stratum`) with `_g` (group number in random stratified order)
    and `_r` (the row's rank within its group, random)."""
    import polars as pl

    u = (pl.col("_key").fill_null("").hash(seed=seed).cast(pl.Float64) / U64).alias("_u")
    groups = df.lazy().group_by("_key").agg(_stratum=pl.col("_stratum").first()).with_columns(u)
    if stratum:
        n_groups = groups.select(pl.len()).collect().item()
        rank = pl.col("_u").rank("ordinal").over("_stratum").cast(pl.Float64) - 1
        if strata:
            total = sum(strata.values())
            share = pl.col("_stratum").replace_strict({k: v / total for k, v in strata.items()}, default=0.0, return_dtype=pl.Float64)
        else:
            share = pl.len().over("_stratum").cast(pl.Float64) / n_groups
        key = pl.when(share > 0).then((rank + pl.col("_u")) / (share * n_groups)).otherwise(pl.lit(float("inf")) )
        groups = groups.with_columns(_k=key, _tie=pl.col("_u"))
    else:
        groups = groups.with_columns(_k=pl.col("_u"), _tie=pl.col("_u"))
    groups = groups.sort("_k", "_tie").with_columns(_g=pl.int_range(pl.len(), dtype=pl.UInt32)).select("_key", "_g")
    row_u = pl.col("id").hash(seed=seed + 1)
    out = df.lazy().join(groups, on="_key", how="left").with_columns(_r=row_u.rank("ordinal").over("_g").cast(pl.UInt32) - 1)
    return out.collect()


def split_eval(df, n_eval: int):
    """(train pool, eval rows): eval takes whole groups from the end of the group order."""
    import polars as pl

    if n_eval <= 0:
        return df, df.head(0)
    sizes = df.group_by("_g").agg(n=pl.len()).sort("_g", descending=True)
    before = sizes.get_column("n").cum_sum() - sizes.get_column("n")
    chosen = sizes.filter(before < n_eval).get_column("_g")
    is_eval = pl.col("_g").is_in(chosen.implode())
    return df.filter(~is_eval), df.filter(is_eval).sort("_g", "_r")


def take(pool, quota, replace: bool, seed: int, stratum: str | None, strata: dict | None):
    """The train sample of one source: `quota` rows or tokens from `pool`."""
    import polars as pl

    if pool.height == 0 or quota.amount <= 0:
        return pool.head(0)
    if not replace:
        ordered = pool.sort("_r", "_g")  # round-robin over prompts, groups in stratified random order
        if quota.unit == "rows":
            return ordered.head(quota.amount)
        return ordered.filter(pl.col("num_tokens").cum_sum() <= quota.amount)
    rng = np.random.default_rng(seed)
    idx = _draws(pool, quota, rng, stratum, strata)
    out = pool[idx]
    copy = pl.col("id").cum_count().over("id")
    return out.with_columns(id=pl.when(copy > 1).then(pl.col("id") + "#" + copy.cast(pl.String)).otherwise(pl.col("id")))


def _draws(pool, quota, rng, stratum: str | None, strata: dict | None) -> np.ndarray:
    """Row indices drawn with replacement (by stratum share when stratified) until the quota."""
    labels = pool.get_column("_stratum").fill_null("").to_numpy() if stratum else np.zeros(pool.height, dtype=object)
    names, inverse = np.unique(labels.astype(str), return_inverse=True)
    members = [np.flatnonzero(inverse == k) for k in range(len(names))]
    if strata:
        share = np.array([strata.get(n, 0.0) for n in names], dtype=float)
        if share.sum() == 0:
            share = np.array([len(m) for m in members], dtype=float)
    else:
        share = np.array([len(m) for m in members], dtype=float)
    share = share / share.sum()
    tokens = pool.get_column("num_tokens").to_numpy() if quota.unit == "tokens" else None
    mean = float(tokens.mean()) if tokens is not None and len(tokens) else 1.0
    want = quota.amount if quota.unit == "rows" else int(quota.amount / max(mean, 1.0) * 1.2) + 16
    picked: list[np.ndarray] = []
    total = 0
    while True:
        which = rng.choice(len(names), size=want, p=share)
        pos = rng.random(want)
        idx = np.empty(want, dtype=np.int64)
        for k, m in enumerate(members):
            sel = which == k
            idx[sel] = m[(pos[sel] * len(m)).astype(np.int64)] if len(m) else 0
        if quota.unit == "rows":
            return idx
        picked.append(idx)
        cum = total + np.cumsum(tokens[idx])
        if cum[-1] >= quota.amount:
            picked[-1] = idx[cum <= quota.amount]
            return np.concatenate(picked)
        total = int(cum[-1])
