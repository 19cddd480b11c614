"""Embedding dedup: the default cascade (static embeddings, then the full encoder on the rows of
candidate pairs: filters/cascade.py) against the full-encoder path (`encode: torch`) on the
same rows, side by side in one run: wall time, the share of the full path's similar pairs the
cascade finds (goal >= 0.98 at >= 20x faster), and how many rows reached the encoder. A sweep
over `static_similarity` shows where the default sits.

Rows: GSM8K train questions (`../shared/seeds/gsm8k_train`) up to `--rows`, `--dups` of them
planted near copies of others (a sentence dropped or moved, a name changed, a prefix added),
so there are duplicates of several strengths. The speed-up depends on that share: the full
encoder runs on the rows of candidate pairs, so with a fifth of the rows duplicated it runs
on about half of them.

    python -m tests.benchmarks.bench_cascade [--rows 10000] [--dups 0.03] [--sweep 0.75,0.8,0.85]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "gsm8k_train"


def rows(n: int, dups: float = 0.03, seed: int = 0) -> list[str]:
    import polars as pl

    files = sorted(SEEDS.glob("*.jsonl")) + sorted(SEEDS.glob("*.parquet"))
    if not files:
        raise SystemExit(f"no GSM8K train seeds under {SEEDS}")
    f = files[0]
    df = pl.read_ndjson(f) if f.suffix == ".jsonl" else pl.read_parquet(f)
    base = df.get_column("question").to_list()
    rng = random.Random(seed)
    out = base[: n - int(n * dups)]
    names = ["Maria", "Kenji", "Olu", "Priya", "Sven", "Ana"]
    while len(out) < n:
        q = rng.choice(out[: len(base)])
        parts = re.split(r"(?<=[.?!])\s+", q)
        kind = rng.randrange(4)
        if kind == 0 and len(parts) > 2:
            parts.pop(rng.randrange(len(parts) - 1))
        elif kind == 1 and len(parts) > 2:
            parts.insert(0, parts.pop(rng.randrange(1, len(parts) - 1)))
        elif kind == 2:
            parts = [re.sub(r"\b[A-Z][a-z]{2,}\b", rng.choice(names), parts[0], count=1), *parts[1:]]
        else:
            parts = ["Solve this word problem:", *parts]
        out.append(" ".join(parts))
    return out


def main() -> None:
    from datagen.embeddings import embed
    from datagen.static_embeddings import embed_static
    from filters.cascade import cascade_pairs
    from filters.similarity import similar_pairs

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--threshold", type=float, default=0.85)
    ap.add_argument("--dups", type=float, default=0.03)
    ap.add_argument("--sweep", default="0.75,0.8,0.85")
    args = ap.parse_args()
    texts = rows(args.rows, args.dups)
    embed_static(texts[:10])  # both models built and loaded before timing
    embed(texts[:10])

    t = time.perf_counter()
    full = similar_pairs(embed(texts), args.threshold)
    full_s = time.perf_counter() - t
    truth = set(zip(full[0].tolist(), full[1].tolist(), strict=True))
    out = {"rows": len(texts), "planted_duplicates": args.dups, "threshold": args.threshold, "full": {"seconds": round(full_s, 1), "pairs": len(truth)}, "cascade": {}}
    for floor in [float(x) for x in args.sweep.split(",")]:
        t = time.perf_counter()
        left, right, _, stats = cascade_pairs(texts, args.threshold, floor)
        secs = time.perf_counter() - t
        found = set(zip(left.tolist(), right.tolist(), strict=True))
        out["cascade"][floor] = {
            "seconds": round(secs, 2), "speedup": round(full_s / secs, 1),
            "recall_of_full_pairs": round(len(found & truth) / max(len(truth), 1), 4), "extra_pairs": len(found - truth), **stats,
        }  # fmt: skip
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
