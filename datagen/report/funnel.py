"""The report's funnel: rows in, kept and rejected per stage, reject reasons, seconds and
tokens per stage, and what the kept rows cost where the models' prices are known. Numbers
come from the manifest only (they are the manifest's, by construction): counts and tokens
from its `stages`, costs from its `cost` block (datagen/cost.py: the recipe's
`models.NAME.price` times each stage's tokens; absent when no model has a price).

What it does not do: price anything itself (a version made without prices shows no cost).
"""

from __future__ import annotations


def funnel(m: dict) -> dict:
    """Per stage: index, label, type, rows in/kept/rejected, reasons, seconds, wall seconds,
    tokens and cost (USD, None where unpriced or unknown); the totals; and the cost block."""
    cost = m.get("cost") if isinstance(m.get("cost"), dict) else None
    stage_usd = {c.get("label"): c.get("usd") for c in (cost or {}).get("stages") or []}
    stages = []
    for s in m.get("stages") or []:
        tok = s.get("tokens") or {}
        stages.append({
            "index": s.get("index"), "label": s.get("label"), "type": s.get("type"),
            "rows_in": s.get("rows_in", 0), "kept": s.get("kept", 0), "rejected": s.get("rejected", 0),
            "reasons": dict(sorted((s.get("reasons") or {}).items(), key=lambda kv: (-kv[1], kv[0]))),
            "seconds": s.get("seconds"), "wall_s": s.get("wall_s"),
            "prompt_tokens": tok.get("prompt", 0), "completion_tokens": tok.get("completion", 0),
            "cost": stage_usd.get(s.get("label")),
        })
    tokens = m.get("tokens") or {}
    return {
        "source": m.get("source") or {},
        "counts": m.get("counts") or {},
        "stages": stages,
        "reject_reasons": dict(sorted((m.get("reject_reasons") or {}).items(), key=lambda kv: (-kv[1], kv[0]))),
        "tokens": {"prompt": tokens.get("prompt", 0), "completion": tokens.get("completion", 0)},
        "wall_time_s": (m.get("run") or {}).get("wall_time_s", m.get("wall_time_s")),
        "cost": None if cost is None else {
            "currency": cost.get("currency", "USD"), "total": cost.get("total"), "per_kept_row": cost.get("per_kept_row"),
            "unpriced": cost.get("unpriced") or [], "this_run": (cost.get("this_run") or {}).get("total"),
        },
    }
