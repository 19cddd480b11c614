"""What the inverted-file index costs in recall: `filters/similarity.similar_pairs` with the
IVF index it uses above `EXACT_MAX` vectors against exact search on the same vectors, side by
side in one run. Reported per cosine band (pairs just over the threshold are the ones an
approximate index loses first), with both wall times.

Vectors: the static embeddings (mean direction removed, as the dedup cascade uses them) of
`--rows` GSM8K-like rows (`bench_decontam.corpus`: GSM8K train questions, cycled with a
variant suffix, and 5 % planted copies of benchmark items). Static vectors are a stand-in for
MiniLM's here (encoding a million rows with MiniLM on 2 cores takes hours); the index sees
only vectors, so the recall is the index's, on this geometry.

    python -m tests.benchmarks.bench_ivf_recall [--rows 50000,100000] [--threshold 0.85]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def band_recall(exact: set, approx: set, sims: dict, edges: list[float]) -> dict:
    out = {}
    for lo, hi in zip(edges, edges[1:], strict=False):
        band = {p for p in exact if lo <= sims[p] < hi}
        out[f"[{lo:.2f},{hi:.2f})"] = {"pairs": len(band), "recall": round(len(band & approx) / len(band), 4) if band else None}
    return out


def measure(rows: int, threshold: float) -> dict:
    from datagen.static_embeddings import embed_static
    from filters.cascade import centred
    from filters.similarity import similar_pairs
    from tests.benchmarks.bench_decontam import corpus

    texts = [r["question"] for r in corpus(rows)[0]]
    vectors = centred(embed_static(texts)).astype(np.float32)
    t = time.perf_counter()
    el, er, es = similar_pairs(vectors, threshold, exact_max=10**12)
    exact_s = time.perf_counter() - t
    t = time.perf_counter()
    il, ir, _ = similar_pairs(vectors, threshold, exact_max=0)
    ivf_s = time.perf_counter() - t
    exact = set(zip(el.tolist(), er.tolist(), strict=True))
    approx = set(zip(il.tolist(), ir.tolist(), strict=True))
    sims = dict(zip(zip(el.tolist(), er.tolist(), strict=True), es.tolist(), strict=True))
    return {
        "rows": rows, "threshold": threshold, "exact_pairs": len(exact), "ivf_pairs": len(approx),
        "recall": round(len(exact & approx) / max(len(exact), 1), 4), "extra_pairs": len(approx - exact),
        "by_cosine": band_recall(exact, approx, sims, [threshold, 0.9, 0.95, 0.99, 1.01]),
        "exact_s": round(exact_s, 1), "ivf_s": round(ivf_s, 1), "speedup": round(exact_s / max(ivf_s, 1e-9), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="50000,100000")
    ap.add_argument("--threshold", type=float, default=0.85)
    args = ap.parse_args()
    for n in [int(x) for x in args.rows.split(",")]:
        print(json.dumps(measure(n, args.threshold)), flush=True)


if __name__ == "__main__":
    main()
