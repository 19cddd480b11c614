"""The report's browsable sample: up to `KEPT` kept and `REJECTED` rejected rows, the rejected
ones taken round-robin over reasons so that every reason shows, ordered by prompt so that a
prompt's kept and rejected samples sit next to each other. Each row carries its texts (cut at
`MAX_CHARS`), lineage and verdicts; the page filters them by reason in the browser.

Rows are picked by a hash of their id, so the same version always shows the same sample.

What it does not do: escape anything (page.py escapes every text it writes).
"""

from __future__ import annotations

KEPT = 150
REJECTED = 150
MAX_CHARS = 1500


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_CHARS:
        return text
    return text[:MAX_CHARS] + f"… [{len(text) - MAX_CHARS} more characters]"


def pick(rows, kept: int = KEPT, rejected: int = REJECTED):
    """The sampled rows (a polars frame in display order)."""
    import polars as pl

    if not rows.height:
        return rows
    rows = rows.with_columns(pl.col("id").hash(seed=0).alias("_h"))
    good = rows.filter(pl.col("split") == "train").sort("_h").head(kept)
    bad = rows.filter(pl.col("split") == "rejected").sort(["category", "_h"])
    bad = bad.with_columns(pl.int_range(pl.len()).over("category").alias("_turn")).sort(["_turn", "category"]).head(rejected)
    return pl.concat([good, bad.drop("_turn")]).sort(["key", "split", "_h"], descending=[False, True, False]).drop("_h")


def sample(rows, kept: int = KEPT, rejected: int = REJECTED) -> dict:
    """{"rows": [dicts for the table], "shown": {category: rows shown}, "of": {kept, rejected},
    "by_reason": {category: rows in the version}}."""
    picked = pick(rows, kept, rejected)
    out = []
    for r in picked.iter_rows(named=True):
        lineage = {k: r[k] for k in ("parent_id", "generator", "model", "round", "sample_index", "source", "pass_rate", "score",
                                      "reward", "dup_of", "contamination") if r.get(k) is not None}
        out.append({
            "id": r["id"], "split": r["split"], "category": r["category"], "reason": r["reason"], "rejected_by": r["rejected_by"],
            "prompt": _cut(r["prompt"]), "response": _cut(r["response"]), "other": _cut(r["other"]), "answer": _cut(r["answer"]),
            "solution": _cut(r["solution"]) if r["response"] is None else None,
            "verdicts": r["verdicts"] or None, "lineage": lineage,
        })
    reasons = {}
    for r in out:
        reasons[r["category"]] = reasons.get(r["category"], 0) + 1
    counts = {"kept": int((rows.get_column("split") == "train").sum()) if rows.height else 0,
              "rejected": int((rows.get_column("split") == "rejected").sum()) if rows.height else 0}
    by_reason = {}
    if rows.height:
        by_reason = {k: int(v) for k, v in rows.group_by("category").len().iter_rows()}
    return {"rows": out, "shown": reasons, "of": counts, "by_reason": by_reason}
