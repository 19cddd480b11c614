"""The report's composition section for a mixture version (`datagen mix`): per source its rows
and tokens in the train split, shares, eval rows, what was filtered, rejected or deduplicated,
whether it is synthetic, and the synthetic share of the whole; all from the manifest's
`mixture` block (datagen/mixing/publish.py).

What it does not do: recount anything from the rows (the mixture builder counted them).
"""

from __future__ import annotations


def composition(m: dict) -> dict | None:
    """None for a version that is not a mixture."""
    mix = m.get("mixture")
    if not isinstance(mix, dict) or not mix.get("composition"):
        return None
    summary = mix.get("summary") or {}
    sources = [{
        "name": c.get("name"), "source": c.get("source"), "revision": c.get("revision"), "synthetic": bool(c.get("synthetic")),
        "train_rows": c.get("train_rows", 0), "train_tokens": c.get("train_tokens"), "share_rows": c.get("share_rows"),
        "share_tokens": c.get("share_tokens"), "eval_rows": c.get("eval_rows", 0), "filtered_out": c.get("filtered_out", 0),
        "rejected": c.get("rejected", 0), "duplicates": c.get("duplicates", 0), "rows_read": c.get("rows_read"),
    } for c in mix["composition"]]
    basis = (((m.get("recipe") or {}).get("mixture") or {}).get("synthetic") or {}).get("basis")
    return {
        "format": mix.get("format"),
        "sources": sources,
        "train_rows": summary.get("train_rows", (m.get("counts") or {}).get("train")),
        "train_tokens": summary.get("train_tokens"),
        "eval_rows": summary.get("eval_rows", (m.get("counts") or {}).get("test")),
        "synthetic_rows": mix.get("synthetic_rows"),
        "synthetic_fraction": summary.get("synthetic_fraction"),
        "synthetic_basis": basis or "rows",
        "tokenizer": (mix.get("tokenizer") or {}).get("name"),
        "warnings": mix.get("warnings") or [],
    }
