"""What decontamination reports: the per-method verdicts combined into one match per row, the
`contamination` column, and the report (per benchmark counts, every flagged row).

What it does not do: decide matches (filters/decontam.py does)."""

from __future__ import annotations

import numpy as np

ORDER = ("ngram", "answer", "numbers", "examples", "embedding", "skeleton", "judge")  # which method a row is reported by first


def combine(fired: dict, item: dict, score: dict):
    """(flagged, method, item index, score) per row: the first method in ORDER that fired."""
    n = len(next(iter(fired.values())))
    flagged = np.zeros(n, bool)
    method = np.full(n, None, dtype=object)
    win_item = np.full(n, -1, np.int64)
    win_score = np.full(n, np.nan)
    for m in reversed(ORDER):
        sel = fired[m]
        flagged |= sel
        method[sel], win_item[sel], win_score[sel] = m, item[m][sel], score[m][sel]
    return flagged, method, win_item, win_score


def contamination_column(flagged, method, win_item, win_score, bench, ids):
    """A polars struct Series (benchmark, item_id, method, score); null for clean rows."""
    import polars as pl

    names = np.append(np.asarray(bench, dtype=object), None)  # index -1 (no match) reads None
    items = np.append(np.asarray(ids, dtype=object), None)
    frame = pl.DataFrame(
        {
            "benchmark": names[np.where(flagged, win_item, -1)].tolist(),
            "item_id": items[np.where(flagged, win_item, -1)].tolist(),
            "method": method.tolist(),
            "score": np.where(flagged, win_score, np.nan),
        },
        schema={"benchmark": pl.String, "item_id": pl.String, "method": pl.String, "score": pl.Float64},
    )
    return frame.select(pl.when(pl.col("method").is_not_null()).then(pl.struct(pl.all())).alias("contamination")).to_series()


def flagged_rows(row_ids, flagged, method, win_item, win_score, bench, ids, fired, score) -> list[dict]:
    return [
        {
            "id": row_ids[j],
            "benchmark": bench[win_item[j]],
            "item_id": ids[win_item[j]],
            "method": method[j],
            "score": round(float(win_score[j]), 4),
            "methods": {m: round(float(score[m][j]), 4) for m in ORDER if fired[m][j]},
        }
        for j in np.flatnonzero(flagged)
    ]


def merge(reports: list[dict]) -> dict:
    """One report from the reports of the shards a run checked separately."""
    from collections import Counter

    if len(reports) == 1:
        return reports[0]
    first = reports[0]
    rows = [r for rep in reports for r in rep["rows"]]
    items = Counter(b for b, _ in {(r["benchmark"], r["item_id"]) for r in rows})
    per = {}
    for name, b in first["benchmarks"].items():
        by_method = Counter()
        for rep in reports:
            by_method.update(rep["benchmarks"][name]["by_method"])
        per[name] = {**b, "flagged_rows": sum(rep["benchmarks"][name]["flagged_rows"] for rep in reports),
                     "items_matched": items[name], "by_method": dict(by_method)}
    out = {**first, "benchmarks": per, "rows": rows}
    for k in ("rows_checked", "flagged_rows", "non_english_rows"):
        out[k] = sum(rep[k] for rep in reports)
    return out


def summary(
    spec, benchmarks, unavailable: dict, records: list[dict], rows_checked: int, non_english: int, judge: dict | None, skipped: dict | None = None
) -> dict:
    from collections import Counter

    rows = Counter(r["benchmark"] for r in records)
    items = Counter(b for b, _ in {(r["benchmark"], r["item_id"]) for r in records})
    methods = Counter((r["benchmark"], m) for r in records for m in r["methods"])
    per = {
        b.name: {"source": b.source, "items": len(b), "flagged_rows": rows[b.name], "items_matched": items[b.name],
                 "by_method": {m: c for (name, m), c in methods.items() if name == b.name}}
        for b in benchmarks
    }
    out = {
        "methods": [m for m in spec.methods if m not in (skipped or {})],
        "skipped_methods": skipped or {},
        "rows_checked": rows_checked,
        "flagged_rows": len(records),
        "action": spec.action,
        "non_english_rows": non_english,
        "multilingual_model": spec.multilingual_model,
        "benchmarks": per,
        "unavailable": unavailable,
        "rows": records,
    }
    if judge:
        out["judge"] = judge
    return out
