"""Build a mixture: read, select, normalise, count, dedup, hold out, sample, guard, publish.

`prepare(spec, store)` does everything up to the sample and returns a `Mixed` (train, eval
and rejected frames plus the composition); `build_mixture` publishes it as `NAME@vN`.
The same spec over the same source versions gives the same rows and the same version.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

from datagen.errors import UserError

KEEP = ["id", "source", "domain", "difficulty", "synthetic", "num_tokens", "answer", "meta"]


class SyntheticFractionWarning(UserWarning):
    pass


@dataclass
class Mixed:
    train: object
    eval: object
    rejected: object
    composition: list[dict]
    summary: dict
    fingerprint: str
    parents: list[str]
    tokenizer: dict | None = None
    token_check: dict | None = None
    warnings: list[str] = field(default_factory=list)


def _meta(df, label: str):
    """The rows' `meta` lineage struct: the source's own when it is datagen's, else a fresh one."""
    import polars as pl
    import pyarrow as pa

    from schemas.rows import META, empty_meta

    one = pl.from_arrow(pa.array([empty_meta(label)], type=META))
    if "meta" in df.columns and df.schema["meta"] == one.dtype:
        return pl.col("meta")
    return pl.lit(one).first()


def _ids(df, columns, label_hash):
    import polars as pl

    col = columns.id or ("id" if "id" in df.columns else None)
    return pl.col(col).cast(pl.String) if col else label_hash


def _unique_ids(expr):
    import polars as pl

    k = expr.cum_count().over(expr)
    return pl.when(k > 1).then(expr + "#" + k.cast(pl.String)).otherwise(expr)


def _source_frame(spec, i, src, tok, tpl, progress):
    """One source's rows, normalised, with labels, tokens and `_reason`."""
    import polars as pl

    from datagen.mixing.columns import label_expr, predicate_expr
    from datagen.mixing.normalise import OUTPUT_COLUMNS, normalise
    from datagen.mixing.tokens import count_tokens

    s = spec.sources[i]
    field = f"sources.{i}"
    raw = src.frame
    n_read = raw.height
    if s.where:
        cond = pl.all_horizontal([predicate_expr(raw.schema, p, f"{field}.where.{k}") for k, p in enumerate(s.where)])
        raw = raw.filter(cond)
    labels = raw.select(
        pl.int_range(pl.len()).alias("_i"),  # keeps the height when every label is a constant
        domain=label_expr(raw.schema, s.domain, f"{field}.domain"),
        difficulty=label_expr(raw.schema, s.difficulty, f"{field}.difficulty"),
        meta=_meta(raw, src.label),
    ).drop("_i")
    norm = normalise(raw, spec.format, s.columns, field, conversation_key=spec.dedup.key == "conversation")
    content_hash = norm.select(pl.col(OUTPUT_COLUMNS[spec.format][0]).hash(seed=0).cast(pl.String)).to_series()
    id_col = raw.select(_ids(raw, s.columns, pl.lit(None, dtype=pl.String))).to_series()
    id_col = id_col.fill_null(content_hash) if id_col.null_count() else id_col
    df = pl.concat([norm, labels], how="horizontal").with_columns(
        id=pl.lit(f"{src.name}:") + pl.Series(id_col), source=pl.lit(src.name), synthetic=pl.lit(src.synthetic), _src=pl.lit(i, dtype=pl.Int32)
    ).with_columns(id=_unique_ids(pl.col("id")))
    if spec.stratify:
        df = df.with_columns(_stratum=pl.col(spec.stratify))
    else:
        df = df.with_columns(_stratum=pl.lit(None, dtype=pl.String))
    if tok is not None:
        df = df.with_columns(num_tokens=count_tokens(df, spec.format, tok, tpl))
        if spec.max_tokens:
            too_long = pl.col("_reason").is_null() & (pl.col("num_tokens") > spec.max_tokens)
            df = df.with_columns(_reason=pl.when(too_long).then(pl.lit(f"longer than max_tokens ({spec.max_tokens})")).otherwise(pl.col("_reason")))
    else:
        df = df.with_columns(num_tokens=pl.lit(None, dtype=pl.UInt32))
    if progress:
        progress(f"{src.name}: {n_read} rows read, {df.height} selected")
    return df, {"rows_read": n_read, "selected": df.height}


def prepare(spec, store, progress=None) -> Mixed:
    import polars as pl

    from datagen.hashing import digest
    from datagen.mixing import quotas as Q
    from datagen.mixing.dedup import cross_source_duplicates
    from datagen.mixing.normalise import OUTPUT_COLUMNS
    from datagen.mixing.read import read_source
    from datagen.mixing.sampling import group_order, split_eval, take
    from datagen.mixing.tokens import calibrate, load_tokenizer, tokenizer_identity

    t0 = time.perf_counter()
    tok = tpl = None
    if spec.tokenizer:
        tok = load_tokenizer(spec.tokenizer)
        tpl = calibrate(tok)
    sources = [read_source(s, i, store) for i, s in enumerate(spec.sources)]
    names = [s.name for s in sources]
    dup_names = sorted({n for n in names if names.count(n) > 1})
    if dup_names:
        raise UserError(f"sources: two sources are both called {dup_names[0]!r}; give them distinct `name:`s")
    # Counts before sampling only when something decides by tokens; else only sampled rows are counted.
    early = tok is not None and bool(spec.total_tokens or spec.max_tokens or spec.synthetic.basis == "tokens"
                                     or any(s.tokens for s in spec.sources))
    frames, stats = [], []
    for i, src in enumerate(sources):
        df, st = _source_frame(spec, i, src, tok if early else None, tpl, progress)
        frames.append(df)
        stats.append(st)
        src.frame = None  # free the raw rows
    out_cols = OUTPUT_COLUMNS[spec.format]
    union = pl.concat(frames, how="vertical_relaxed")
    del frames
    bad = union.filter(pl.col("_reason").is_not_null())
    good = union.filter(pl.col("_reason").is_null())
    del union
    dups = cross_source_duplicates(good, spec.dedup)
    dup_rows = good.join(dups, on=["_src", "id"], how="inner")
    if dups.height:
        good = good.join(dups.select("_src", "id"), on=["_src", "id"], how="anti")
    rejected = _rejected(bad, dup_rows, names, out_cols)
    pools = [good.filter(pl.col("_src") == i) for i in range(len(sources))]
    del good
    ordered = [group_order(p, spec.seed * 1_000_003 + i, spec.stratify, spec.strata) for i, p in enumerate(pools)]
    del pools

    def tokens_of(frame) -> int | None:  # known before the final count only when counted early
        return int(frame.get_column("num_tokens").sum()) if early else None

    def pool_stats(frames):
        return [{"rows": f.height, "tokens": tokens_of(f)} for f in frames]

    first = Q.quotas(spec, pool_stats(ordered))
    n_eval = Q.eval_rows(spec, first, pool_stats(ordered))
    splits = [split_eval(f, e) for f, e in zip(ordered, n_eval, strict=True)]
    train_pools = [t for t, _ in splits]
    evals = [e for _, e in splits]
    del ordered
    pools_after = pool_stats(train_pools)
    quota = Q.quotas(spec, pools_after)
    Q.check_feasible(spec, quota, pools_after, names)
    samples = [take(p, q, spec.replace, spec.seed * 1_000_003 + i, spec.stratify, spec.strata) for i, (p, q) in enumerate(zip(train_pools, quota, strict=True))]
    messages = []
    synthetic = [s.synthetic for s in sources]
    rows = [s.height for s in samples]
    toks = [tokens_of(s) for s in samples]
    share = Q.synthetic_share(rows, toks, synthetic, spec.synthetic.basis)
    cap = spec.synthetic
    if share > cap.max_fraction:
        text = (f"synthetic data is {share:.1%} of the mixture by {cap.basis} (cap {cap.max_fraction:.0%}): "
                "models degrade when synthetic data passes roughly 20-30% of the mix")
        if cap.action == "error":
            raise UserError(f"synthetic.max_fraction: {text}; lower the synthetic sources, or set synthetic.action: warn|cap")
        if cap.action == "cap":
            keep = Q.cap_synthetic(rows, toks, synthetic, cap)
            samples = [s.head(int(s.height * k)) if k < 1 else s for s, k in zip(samples, keep, strict=True)]
            rows = [s.height for s in samples]
            toks = [tokens_of(s) for s in samples]
            text += f"; capped: synthetic sources shrunk to {Q.synthetic_share(rows, toks, synthetic, cap.basis):.1%}"
        else:
            warnings.warn(text, SyntheticFractionWarning, stacklevel=2)
        messages.append(text)
    token_check = None
    if tok is not None:
        from datagen.mixing.tokens import check_counts, count_tokens

        if not early:
            samples = [s.with_columns(num_tokens=count_tokens(s, spec.format, tok, tpl)) for s in samples]
            evals = [e.with_columns(num_tokens=count_tokens(e, spec.format, tok, tpl)) for e in evals]
        sample = next((x for x in samples if x.height), None)
        if sample is not None:
            token_check = check_counts(sample, spec.format, tok, sample.get_column("num_tokens"))
    train = _finish(pl.concat(samples, how="vertical_relaxed"), out_cols, spec.seed)
    eval_ = _finish(pl.concat(evals, how="vertical_relaxed"), out_cols, spec.seed)
    composition = _composition(spec, sources, stats, bad, dups, evals, samples, train_pools, quota, tok is not None)
    fingerprint = digest({
        "spec": spec.model_dump(mode="json"),
        "sources": [s.fingerprint for s in sources],
        "tokenizer": tokenizer_identity(tok) if tok is not None else None,
    })
    parents = sorted({p for s in sources for p in s.parents})
    summary = {
        "train_rows": train.height, "eval_rows": eval_.height, "rejected_rows": rejected.height,
        "train_tokens": int(train.get_column("num_tokens").sum()) if tok is not None else None,
        "synthetic_fraction": round(Q.synthetic_share(rows, toks, synthetic, cap.basis), 4),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    return Mixed(train, eval_, rejected, composition, summary, fingerprint, parents,
                 tokenizer_identity(tok) if tok is not None else None, token_check, messages)


def _finish(df, out_cols, seed: int):
    """Output columns in a fixed order, rows in a seeded random order (a shuffled mixture)."""
    import polars as pl

    return df.sort(pl.col("id").hash(seed=seed + 7), "id").select("id", *out_cols, *[c for c in KEEP if c != "id"])


def _rejected(bad, dup_rows, names, out_cols):
    """Rows that could not be normalised (or were too long), and cross-source duplicates."""
    import polars as pl

    cols = ["id", *out_cols, *[c for c in KEEP if c != "id"]]
    stage = pl.when(pl.col("_reason").str.starts_with("longer than")).then(pl.lit("max_tokens")).otherwise(pl.lit("normalise"))
    a = bad.select(*cols, rejected_by=stage, reason=pl.col("_reason"), dup_of=pl.lit(None, dtype=pl.String))
    src_name = pl.col("dup_src").replace_strict(dict(enumerate(names)), return_dtype=pl.String)
    b = dup_rows.select(*cols, rejected_by=pl.lit("dedup"), reason=pl.format("duplicate of a row in source {}", src_name), dup_of=pl.col("dup_of"))
    return pl.concat([a, b], how="vertical_relaxed")


def _composition(spec, sources, stats, bad, dups, evals, samples, pools, quota, counted: bool) -> list[dict]:
    import polars as pl

    out = []
    total_rows = sum(s.height for s in samples) or 1
    total_tokens = sum(int(s.get_column("num_tokens").sum()) for s in samples) if counted else None
    for i, src in enumerate(sources):
        s = spec.sources[i]
        smp = samples[i]
        rej = bad.filter(pl.col("_src") == i)
        tokens = int(smp.get_column("num_tokens").sum()) if counted else None
        reasons = dict(rej.group_by("_reason").len().sort("len", descending=True).iter_rows()) if rej.height else {}
        out.append({
            "name": src.name,
            "source": src.label,
            "fingerprint": src.fingerprint,
            "revision": src.revision,
            "parents": src.parents,
            "synthetic": src.synthetic,
            "synthetic_from": src.synthetic_from,
            "asked": {k: getattr(s, k) for k in ("weight", "rows", "tokens") if getattr(s, k) is not None} or {"rows": "all"},
            "quota": {"unit": quota[i].unit, "amount": quota[i].amount},
            "rows_read": stats[i]["rows_read"],
            "filtered_out": stats[i]["rows_read"] - stats[i]["selected"],
            "rejected": rej.height,
            "reject_reasons": reasons,
            "duplicates": int((dups.get_column("_src") == i).sum()) if dups.height else 0,
            "pool_rows": pools[i].height,
            "eval_rows": evals[i].height,
            "train_rows": smp.height,
            "distinct_rows": smp.get_column("id").str.replace(r"#\d+$", "").n_unique() if smp.height else 0,
            "train_tokens": tokens,
            "share_rows": round(smp.height / total_rows, 4),
            "share_tokens": round(tokens / total_tokens, 4) if counted and total_tokens else None,
            "domain": dict(smp.group_by("domain").len().drop_nulls("domain").iter_rows()) if smp.height else {},
            "difficulty": dict(smp.group_by("difficulty").len().drop_nulls("difficulty").iter_rows()) if smp.height else {},
        })
    return out
