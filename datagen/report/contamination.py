"""The report's contamination section: per decontamination stage, per benchmark and method the
manifest's counts, and each flagged row (its text from the version) next to the benchmark item
it matched (read from where the stage read the benchmark: a local path, an installed package, or
the Hub's cache).

A benchmark whose items cannot be read any more (moved, offline) still shows its counts; its
flagged rows show the item id and say why the text is missing. Benchmarks are read only when
they have flagged rows.

What it does not do: check anything again (filters/decontam.py did), or reach the network on
purpose (a Hub benchmark is read through `datasets`, which uses its cache).
"""

from __future__ import annotations

MAX_ROWS = 50


def _item_texts(name: str, source: str, item_ids: set[str]) -> tuple[dict[str, str], str | None]:
    """({item id: question}, why-not) for the flagged items of one benchmark."""
    from pathlib import Path

    try:
        if source and Path(source).exists():
            from filters.benchmarks import load_benchmark

            bench = load_benchmark(source)
        elif source.startswith("pkg:"):
            from filters.packaged_benchmarks import load_packaged

            found = load_packaged(name, partial_ok=True)
            if found is None:
                return {}, f"the package copy of {name} is not installed"
            bench = found[0]
        elif source.startswith("hf:"):
            from filters.benchmarks import load_benchmark

            bench = load_benchmark(name)
        else:
            return {}, f"{source or 'its source'} is not readable here"
    except Exception as e:  # noqa: BLE001 - offline, moved: the counts still stand
        return {}, f"{type(e).__name__}: {str(e)[:160]}"
    return {i: q for i, q in zip(bench.ids, bench.questions, strict=False) if i in item_ids}, None


def contamination(m: dict, rows) -> dict | None:
    """{stage label: {action, methods, rows_checked, flagged_rows, benchmarks: [...], methods_table,
    flagged: [{id, split, reason, text, benchmark, item_id, item, method, score, methods}], unavailable}};
    None when no decontamination stage ran."""
    import polars as pl

    reports = m.get("contamination") or {}
    if not reports:
        return None
    out = {}
    for label, r in reports.items():
        benches = r.get("benchmarks") or {}
        methods = list(dict.fromkeys([*(r.get("methods") or []), *(k for b in benches.values() for k in (b.get("by_method") or {}))]))
        table = [{"benchmark": name, "items": b.get("items"), "source": b.get("source"), "flagged_rows": b.get("flagged_rows", 0),
                  "items_matched": b.get("items_matched", 0), "by_method": {k: (b.get("by_method") or {}).get(k, 0) for k in methods}}
                 for name, b in benches.items()]
        flagged = (r.get("rows") or [])[:MAX_ROWS]
        ids = [f["id"] for f in flagged]
        found = {}
        if ids and rows.height:
            sel = rows.filter(pl.col("id").is_in(ids)).select("id", "split", "reason", pl.coalesce("prompt", "response").alias("text"))
            found = {row[0]: row for row in sel.iter_rows()}
        items, why = {}, {}
        for name in dict.fromkeys(f["benchmark"] for f in flagged):
            wanted = {f["item_id"] for f in flagged if f["benchmark"] == name}
            items[name], why[name] = _item_texts(name, str((benches.get(name) or {}).get("source") or ""), wanted)
        shown = []
        for f in flagged:
            row = found.get(f["id"])
            item = items.get(f["benchmark"], {}).get(f["item_id"])
            shown.append({**f, "split": row[1] if row else None, "reason": row[2] if row else None, "text": row[3] if row else None,
                          "item": item, "item_missing": None if item is not None else (why.get(f["benchmark"]) or "item id not in the benchmark")})
        out[label] = {
            "action": r.get("action"), "methods": methods, "rows_checked": r.get("rows_checked", 0),
            "flagged_rows": r.get("flagged_rows", 0), "benchmarks": table, "flagged": shown,
            "more_rows": max(0, len(r.get("rows") or []) - len(shown)), "unavailable": r.get("unavailable") or {},
        }
    return out
