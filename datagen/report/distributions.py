"""The report's distributions, from the version's rows (datagen/report/rows.py) and, for a
generator's rounds, its stats in the manifest: prompt and completion lengths, pass rates per
prompt, rewards and scores, samples per prompt, DART difficulty buckets, SvS variant survival
per round and self-play reward spread per round.

Lengths are tokens where the rows carry the generator's counts (`meta.prompt_tokens`,
`meta.completion_tokens`), a mixture's `num_tokens` (its tokenizer, chat template included),
else whitespace-separated words, and say which. A "prompt" is a parent id with one prompt
text: the samples drawn for it share both.

What it does not do: tokenize text (no tokenizer is loaded for a report), or plot (plots.py).
"""

from __future__ import annotations

DART_BUDGETS = ("dart_uniform", "dart_prop2diff")
BUCKETS = [("0 (never solved)", 0.0, 0.0), ("(0, 0.25]", 0.0, 0.25), ("(0.25, 0.5]", 0.25, 0.5),
           ("(0.5, 0.75]", 0.5, 0.75), ("(0.75, 1)", 0.75, 1.0), ("1 (always solved)", 1.0, 1.0)]


def summary(values: list) -> dict:
    """count, mean, median, p90, min and max of numbers (None-free); empty: count 0 only."""
    import numpy as np

    v = np.asarray([x for x in values if x is not None], dtype=float)
    if not len(v):
        return {"count": 0}
    return {"count": int(len(v)), "mean": round(float(v.mean()), 3), "median": round(float(np.median(v)), 3),
            "p90": round(float(np.percentile(v, 90)), 3), "min": round(float(v.min()), 3), "max": round(float(v.max()), 3)}


def _split_values(rows, expr) -> dict:
    import polars as pl

    out = {}
    for split in ("train", "rejected"):
        vals = rows.filter(pl.col("split") == split).select(expr.alias("v")).get_column("v").drop_nulls().to_list()
        out["kept" if split == "train" else "rejected"] = vals
    return out


def lengths(rows) -> dict:
    """Prompt and completion lengths of kept and rejected rows: {unit, label, prompt, completion,
    row (a mixture's num_tokens), totals (token sums over all rows, when in tokens)}."""
    import polars as pl

    n = rows.height
    has_tokens = n and rows.select(pl.col("completion_tokens").is_not_null().mean()).item() >= 0.5
    if has_tokens:
        unit, label = "tokens", "tokens, as the generating model counted them (meta.prompt_tokens / meta.completion_tokens)"
        prompt, completion = pl.col("prompt_tokens"), pl.col("completion_tokens")
    else:
        unit, label = "words", "words (split on whitespace): these rows carry no token counts"
        prompt = pl.col("prompt").str.count_matches(r"\S+")
        completion = pl.col("response").str.count_matches(r"\S+")
    out = {"unit": unit, "label": label, "prompt": _split_values(rows, prompt), "completion": _split_values(rows, completion)}
    if has_tokens:
        out["totals"] = {"prompt": int(rows.get_column("prompt_tokens").sum() or 0),
                         "completion": int(rows.get_column("completion_tokens").sum() or 0)}
    if n and rows.get_column("num_tokens").is_not_null().any():
        out["row"] = _split_values(rows, pl.col("num_tokens"))
    for part in ("prompt", "completion", "row"):
        if part in out:
            out[f"{part}_summary"] = {k: summary(v) for k, v in out[part].items()}
    return out


def prompts(rows):
    """One row per prompt (key) that has a pass rate: its pass rate, samples drawn (rows with a
    sample index and a response), samples the generator kept, and rows the version kept."""
    import polars as pl

    samples = rows.filter(pl.col("pass_rate").is_not_null())
    if not samples.height:
        return samples.select(pl.col("key"), pl.col("pass_rate")).clear()
    gen_rejected = (pl.col("rejected_by") == pl.col("generator")).fill_null(False)
    is_sample = pl.col("sample_index").is_not_null() & pl.col("response").is_not_null()  # a response drawn for the prompt
    return samples.group_by("key").agg(
        pl.col("pass_rate").first(),
        pl.col("generator").first(),
        is_sample.sum().alias("samples"),
        (is_sample & ~gen_rejected).sum().alias("generator_kept"),
        (pl.col("split") == "train").sum().alias("version_kept"),
    ).sort("key")


def pass_rates(rows) -> dict:
    p = prompts(rows)
    rates = p.get_column("pass_rate").to_list()
    return {"prompts": len(rates), "values": rates, "summary": summary(rates),
            "never_solved": sum(r == 0 for r in rates), "always_solved": sum(r == 1 for r in rates)}


def samples_per_prompt(rows) -> dict:
    """Samples drawn and kept per prompt, for prompts whose rows are samples (sample index set)."""
    import polars as pl

    p = prompts(rows)
    if p.height:
        p = p.filter(pl.col("samples") > 0)
    drawn = p.get_column("samples").to_list() if p.height else []
    kept = p.get_column("version_kept").to_list() if p.height else []
    return {"prompts": len(drawn), "drawn": drawn, "kept": kept, "total_drawn": int(sum(drawn)), "total_kept": int(sum(kept)),
            "drawn_summary": summary(drawn), "kept_summary": summary(kept)}


def scores(rows) -> dict:
    """`meta.score` (the generator's verifier score or reward, a prompt's spread in self-play)
    and a verifier's `reward` column, of kept and rejected rows; parts with no values are left out."""
    import polars as pl

    out = {}
    for name in ("score", "reward"):
        vals = _split_values(rows, pl.col(name))
        if any(vals.values()):
            out[name] = {"values": vals, "summary": {k: summary(v) for k, v in vals.items()}}
    return out


def dart_buckets(rows, m: dict) -> dict | None:
    """For a DART budget (dart_uniform / dart_prop2diff): per pass-rate bucket, prompts, samples
    drawn and kept by the generator (total and per prompt). None without a DART stage."""
    import polars as pl

    specs = (m.get("recipe") or {}).get("stages") or []
    done = {s.get("index"): s.get("label") for s in m.get("stages") or []}
    stages = [(i, s) for i, s in enumerate(specs) if isinstance(s, dict) and s.get("budget") in DART_BUDGETS]
    if not stages:
        return None
    labels = [done.get(i) or s.get("name") or s.get("type") for i, s in stages]
    p = prompts(rows.filter(pl.col("generator").is_in(labels)))
    out = []
    for label, lo, hi in BUCKETS:
        r = pl.col("pass_rate")
        sel = (r == lo) if lo == hi else (r > lo) & ((r <= hi) if hi < 1 else (r < hi))
        b = p.filter(sel) if p.height else p
        n = b.height
        drawn = int(b.get_column("samples").sum()) if n else 0
        kept = int(b.get_column("generator_kept").sum()) if n else 0
        out.append({"bucket": label, "prompts": n, "drawn": drawn, "kept": kept,
                    "drawn_per_prompt": round(drawn / n, 2) if n else None, "kept_per_prompt": round(kept / n, 2) if n else None})
    return {"stages": labels, "budget": stages[0][1]["budget"], "k": stages[0][1].get("k"), "buckets": out}


def generator_rounds(m: dict, kind: str) -> list[dict]:
    """[{stage, rounds}] for the stages of type `kind` ("variational" or "self_play") whose
    generator stats have rounds."""
    return [{"stage": s.get("label"), "rounds": (s.get("generator") or {}).get("rounds") or [],
             "originals": (s.get("generator") or {}).get("originals"), "varied": (s.get("generator") or {}).get("varied")}
            for s in m.get("stages") or [] if s.get("type") == kind and (s.get("generator") or {}).get("rounds")]


def distributions(rows, m: dict) -> dict:
    return {
        "lengths": lengths(rows),
        "pass_rates": pass_rates(rows),
        "samples_per_prompt": samples_per_prompt(rows),
        "scores": scores(rows),
        "dart": dart_buckets(rows, m),
        "svs": generator_rounds(m, "variational"),
        "self_play": generator_rounds(m, "self_play"),
    }
