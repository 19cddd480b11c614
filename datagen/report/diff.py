"""`datagen diff A B`: what changed between two versions — recipe keys (flattened to dotted
paths), counts per split and per stage (stages matched by label), reject reasons, the
distributions side by side, and rows added and removed by id (kept rows; also rows that moved
between kept and rejected). As text tables (`diff_lines`) or the report's page layout
(`diff_html`). Both versions are read from one store.

What it does not do: compare row contents under one id (an id hashes its parent, stage and
sample index, so an unchanged id with a changed text means a changed model or sampling,
which the recipe keys show).
"""

from __future__ import annotations

import json

EXAMPLES = 5
SKIP_KEYS = ("command",)  # the recipe's recorded command line changes with every path


def flatten(value, prefix: str = "") -> dict:
    """Nested dicts and lists as {dotted.path: scalar or JSON text}."""
    out = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}{k}."))
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = json.dumps(value) if isinstance(value, list) else value
    return out


def recipe_changes(ma: dict, mb: dict) -> list[tuple[str, object, object]]:
    a, b = flatten(ma.get("recipe") or {}), flatten(mb.get("recipe") or {})
    keys = [k for k in dict.fromkeys([*a, *b]) if k.split(".")[-1] not in SKIP_KEYS]
    return [(k, a.get(k, "(absent)"), b.get(k, "(absent)")) for k in keys if a.get(k, "(absent)") != b.get(k, "(absent)")]


def stage_changes(ma: dict, mb: dict) -> list[dict]:
    """Per stage label (B's order, then stages only A has): rows in, kept, rejected and reasons on each side."""
    a = {s.get("label"): s for s in ma.get("stages") or []}
    b = {s.get("label"): s for s in mb.get("stages") or []}
    out = []
    for label in dict.fromkeys([*b, *a]):
        sa, sb = a.get(label), b.get(label)
        row = {"stage": label}
        for side, s in (("a", sa), ("b", sb)):
            row[side] = None if s is None else {k: s.get(k, 0) for k in ("rows_in", "kept", "rejected")} | {"reasons": s.get("reasons") or {}}
        out.append(row)
    return out


def side_summary(rows, m: dict) -> dict:
    """The distribution numbers compared side by side, for one version."""
    from datagen.diversity import distinct_n
    from datagen.report.distributions import lengths, pass_rates, scores
    from datagen.report.diversity import kept_texts

    ln = lengths(rows)
    pr = pass_rates(rows)
    sc = scores(rows)
    _, texts = kept_texts(rows)
    out = {"length unit": ln["unit"]}
    for part in ("prompt", "completion"):
        s = ln[f"{part}_summary"]["kept"]
        out[f"kept {part} length, mean"] = s.get("mean")
        out[f"kept {part} length, median"] = s.get("median")
    out["prompts with a pass rate"] = pr["prompts"]
    out["pass rate per prompt, mean"] = pr["summary"].get("mean")
    for name, s in sc.items():
        out[f"kept {name}, mean"] = s["summary"]["kept"].get("mean")
    out["distinct-2 of kept texts"] = round(distinct_n(texts, 2), 4) if texts else None
    return {"numbers": out, "lengths": ln, "pass_rates": pr["values"]}


def row_changes(rows_a, rows_b) -> dict:
    """Kept rows added and removed by id, rows that moved between kept and rejected, with examples."""
    import polars as pl

    def ids(rows, split):
        return set(rows.filter(pl.col("split") == split).get_column("id").to_list()) if rows.height else set()

    ka, kb, ra, rb = ids(rows_a, "train"), ids(rows_b, "train"), ids(rows_a, "rejected"), ids(rows_b, "rejected")
    added, removed = sorted(kb - ka), sorted(ka - kb)

    def examples(rows, chosen):
        if not chosen or not rows.height:
            return []
        sel = rows.filter(pl.col("id").is_in(chosen[:EXAMPLES]) & (pl.col("split") == "train"))
        return [{"id": i, "text": t} for i, t in sel.select("id", pl.coalesce("prompt", "response")).sort("id").iter_rows()]

    return {"kept_a": len(ka), "kept_b": len(kb), "common": len(ka & kb), "added": len(added), "removed": len(removed),
            "kept_to_rejected": len(ka & rb), "rejected_to_kept": len(ra & kb),
            "added_examples": examples(rows_b, added), "removed_examples": examples(rows_a, removed)}


def diff_versions(store, ref_a: str, ref_b: str) -> dict:
    from datagen.report.rows import load_rows

    ra, rb = store.resolve(ref_a), store.resolve(ref_b)
    ma, mb = store.manifest(ra), store.manifest(rb)
    rows_a, rows_b = load_rows(store.path(ra)), load_rows(store.path(rb))
    counts = {s: ((ma.get("counts") or {}).get(s), (mb.get("counts") or {}).get(s)) for s in ("train", "test", "rejected")}
    reasons = {k: ((ma.get("reject_reasons") or {}).get(k, 0), (mb.get("reject_reasons") or {}).get(k, 0))
               for k in sorted({*(ma.get("reject_reasons") or {}), *(mb.get("reject_reasons") or {})})}
    tokens = {k: ((ma.get("tokens") or {}).get(k, 0), (mb.get("tokens") or {}).get(k, 0)) for k in ("prompt", "completion")}
    return {
        "a": str(ra), "b": str(rb), "fingerprints": (ma.get("fingerprint"), mb.get("fingerprint")),
        "recipe": recipe_changes(ma, mb),
        "counts": {k: v for k, v in counts.items() if v != (None, None)},
        "tokens": tokens,
        "stages": stage_changes(ma, mb),
        "reasons": reasons,
        "distributions": (side_summary(rows_a, ma), side_summary(rows_b, mb)),
        "rows": row_changes(rows_a, rows_b),
    }


def _delta(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        d = b - a
        return f"{d:+,}" if isinstance(d, int) else f"{d:+.4g}"
    return "" if a == b else "changed"


def _short(v, limit: int = 60) -> str:
    text = "-" if v is None else str(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tables(d: dict) -> dict[str, tuple[list[str], list[list]]]:
    """The diff as named tables (header, rows): what both the text and the HTML show."""
    a, b = d["a"], d["b"]
    out = {}
    out["Recipe"] = (["key", a, b], [[k, _short("null" if x is None else x), _short("null" if y is None else y)] for k, x, y in d["recipe"]])
    out["Counts"] = (["", a, b, "change"], [[k, x, y, _delta(x, y)] for k, (x, y) in d["counts"].items()]
                     + [[f"{k} tokens", x, y, _delta(x, y)] for k, (x, y) in d["tokens"].items()])
    rows = []
    for s in d["stages"]:
        for field in ("rows_in", "kept", "rejected"):
            x = None if s["a"] is None else s["a"][field]
            y = None if s["b"] is None else s["b"][field]
            rows.append([s["stage"], field, x, y, _delta(x, y)])
    out["Stages"] = (["stage", "count", a, b, "change"], rows)
    out["Reject reasons"] = (["reason", a, b, "change"], [[k, x, y, _delta(x, y)] for k, (x, y) in d["reasons"].items()])
    na, nb = (side["numbers"] for side in d["distributions"])
    out["Distributions"] = (["", a, b, "change"], [[k, na.get(k), nb.get(k), _delta(na.get(k), nb.get(k))] for k in dict.fromkeys([*na, *nb])])
    r = d["rows"]
    out["Rows (kept, by id)"] = (["", "rows"], [[f"kept in {a}", r["kept_a"]], [f"kept in {b}", r["kept_b"]], ["in both", r["common"]],
                                               [f"added (kept in {b} only)", r["added"]], [f"removed (kept in {a} only)", r["removed"]],
                                               ["kept, then rejected", r["kept_to_rejected"]], ["rejected, then kept", r["rejected_to_kept"]]])
    return out


def diff_lines(d: dict) -> list[str]:
    """`datagen diff` on stdout: one aligned text table per part."""
    from datagen.card import text_table

    lines = [f"{d['a']} -> {d['b']}  (fingerprints {d['fingerprints'][0]} -> {d['fingerprints'][1]})"]
    for title, (header, rows) in tables(d).items():
        lines += ["", f"{title}:"]
        lines += text_table(header, rows) if rows else ["  (no change)" if title == "Recipe" else "  -"]
    for side, key in (("added", "added_examples"), ("removed", "removed_examples")):
        for ex in d["rows"][key]:
            lines.append(f"  {side}: {ex['id']}  {_short(' '.join(str(ex['text']).split()), 90)}")
    return lines


def diff_html(d: dict) -> str:
    """The diff in the report's page layout, with the distributions drawn side by side."""
    from datagen.report import plots
    from datagen.report.page import esc, figure, note, render_page, table, text_block

    a, b = d["a"], d["b"]
    parts = []
    for title, (header, rows) in tables(d).items():
        numeric = {i for i in range(1, len(header)) if title not in ("Recipe",)}
        inner = table(header, rows, numeric=numeric) if rows else note("No change." if title == "Recipe" else "Nothing to compare.")
        if title == "Distributions":
            la, lb = (side["lengths"] for side in d["distributions"])
            colors = {a: plots.A_COLOR, b: plots.B_COLOR}
            grid = []
            for part in ("prompt", "completion"):
                unit = la["unit"] if la["unit"] == lb["unit"] else "mixed units"
                grid.append(figure(plots.histogram({a: la[part]["kept"], b: lb[part]["kept"]}, f"kept {part} length ({unit})",
                                                   f"diff-len-{part}", colors=colors), f"Kept {part} lengths, {a} vs {b}."))
            pa, pb = (side["pass_rates"] for side in d["distributions"])
            grid.append(figure(plots.histogram({a: pa, b: pb}, "pass rate per prompt", "diff-pass-rates", colors=colors,
                                               unit_range=True, bins=20, ylabel="prompts"), f"Pass rate per prompt, {a} vs {b}."))
            inner += '<div class="grid">' + "".join(g for g in grid if g) + "</div>"
        if title.startswith("Rows"):
            for side, key in (("added", "added_examples"), ("removed", "removed_examples")):
                if d["rows"][key]:
                    inner += f"<h3>{esc(side)} (first {EXAMPLES} by id)</h3>" + "".join(
                        f'<div class="small">{esc(ex["id"])}</div>{text_block(ex["text"])}' for ex in d["rows"][key])
        parts.append((title.split(" ")[0].lower(), title, inner))
    return render_page(f"{a} → {b}", f"datagen diff · fingerprints {d['fingerprints'][0]} → {d['fingerprints'][1]}", parts)
