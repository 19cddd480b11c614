"""Decontamination figures, side by side in one run:

1. precision / recall per method and for the combined default on a labelled set built from
   the real benchmarks (tests/benchmarks/decontam_evalset.py: copies, noisy copies,
   paraphrases, translations vs held-out items, their paraphrases and translations, GSM8K
   train, numbers changed); recall and false-positive rate per category;
2. the n-gram stage's rows/s vs a straightforward set-of-8-grams baseline (a Python set of
   n-gram tuples per row looked up in a dict of benchmark n-grams), same output, same rows;
3. cost of the combined default from 10k to 100k rows against every local benchmark
   (`vs_linear` = (t_big / t_small) / (big / small); goal <= 1.2).

    python -m tests.benchmarks.bench_decontam [--parts pr,ngram,scale] [--seed 1] [--sizes 10000,100000]
        [--scale-methods ngram,embedding,answer,skeleton] [--encode onnx-int8]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.helpers import read_jsonl

METHODS = ["ngram", "embedding", "answer", "skeleton"]


def shared_dir() -> Path:
    from tests.benchmarks.decontam_evalset import default_shared

    return default_shared()


def run(rows: list[dict], benchmarks: list[str], **spec):
    import polars as pl

    from filters.decontam import Decontaminate
    from schemas.filters import DecontamStage

    flt = Decontaminate(DecontamStage(type="decontaminate", benchmarks=benchmarks, **spec))
    flt.benchmarks()
    t = time.perf_counter()
    verdict = flt(pl.DataFrame(rows, schema={"id": pl.String, "question": pl.String, "answer": pl.String}))
    return time.perf_counter() - t, flt.report(), verdict


def precision_recall(seed: int) -> dict:
    from tests.benchmarks.decontam_evalset import build

    out = Path(tempfile.mkdtemp(prefix="decontam-eval-"))
    summary = build(shared_dir(), out, seed=seed)
    rows = read_jsonl(out / "labelled.jsonl")
    benches = sorted(p.name for p in (out / "benchmarks").iterdir())
    os.environ["DATAGEN_BENCHMARKS_DIR"] = str(out / "benchmarks")
    data = [{"id": r["id"], "question": r["question"], "answer": r["answer"]} for r in rows]
    label = {r["id"]: r["label"] for r in rows}
    category = {r["id"]: r["category"] for r in rows}
    table = {}
    for name, methods in [*[(m, [m]) for m in METHODS], ("combined", METHODS)]:
        seconds, report, _ = run(data, benches, methods=methods)
        flagged = {r["id"] for r in report["rows"]}
        table[name] = scores(flagged, label, category, seconds)
    return {"seed": seed, "rows": len(rows), "categories": summary, "methods": table}


def scores(flagged: set, label: dict, category: dict, seconds: float) -> dict:
    def pr(ids):
        tp = sum(1 for i in ids if label[i] and i in flagged)
        fp = sum(1 for i in ids if not label[i] and i in flagged)
        pos = sum(1 for i in ids if label[i])
        return round(tp / max(tp + fp, 1), 3), round(tp / max(pos, 1), 3)

    every = list(label)
    headline = [i for i in every if category[i] != "numbers_changed"]
    per_cat = {}
    for cat in sorted(set(category.values())):
        ids = [i for i in every if category[i] == cat]
        rate = sum(i in flagged for i in ids) / len(ids)
        per_cat[cat] = {("recall" if label[ids[0]] else "false_positive_rate"): round(rate, 3), "rows": len(ids)}
    p, r = pr(headline)
    p_all, r_all = pr(every)
    return {"precision": p, "recall": r, "precision_with_numbers_changed": p_all, "recall_all": r_all,
            "per_category": per_cat, "seconds": round(seconds, 2)}


# -- n-gram speed


def baseline_ngram(texts: list[str], refs: list[str], n: int = 8) -> list[tuple[float, int]]:
    """The straightforward way: a set of n-gram tuples per text, looked up in a dict of the
    benchmark n-grams; best item by overlap coefficient (what filters/ngrams.py computes)."""

    from filters.ngrams import word_tokens  # the same tokens: split at filters/ngrams.py's SEPARATORS

    def grams(t):
        toks = word_tokens(t)
        g = {tuple(toks[k : k + n]) for k in range(len(toks) - n + 1)}
        return g or ({tuple(toks)} if toks else set())

    index: dict[tuple, list[int]] = {}
    sizes = []
    for i, r in enumerate(refs):
        g = grams(r)
        sizes.append(len(g))
        for x in g:
            index.setdefault(x, []).append(i)
    out = []
    for t in texts:
        g = grams(t)
        hits = Counter(i for x in g for i in index.get(x, ()))
        out.append(max(((c / min(len(g), sizes[i]), i) for i, c in hits.items()), default=(0.0, -1)))
    return out


def corpus(size: int) -> tuple[list[dict], list[str]]:
    """`size` rows: GSM8K train questions (cycled, each with a unique suffix after the first
    pass) with 5 % planted copies of benchmark items; and every local benchmark's questions."""
    import random

    shared = shared_dir()
    seeds = read_jsonl(shared / "seeds" / "gsm8k_train" / "train.jsonl")
    refs = []
    for p in sorted((shared / "benchmarks").glob("*/test.jsonl")):
        refs += read_jsonl(p)
    rng = random.Random(0)
    rows = []
    for j in range(size):
        if rng.random() < 0.05:
            b = rng.choice(refs)
            rows.append({"id": f"r{j}", "question": b["question"], "answer": b.get("answer")})
        else:
            s = seeds[j % len(seeds)]
            suffix = f" (variant {j // len(seeds)})" if j >= len(seeds) else ""
            rows.append({"id": f"r{j}", "question": s["question"] + suffix, "answer": s["answer"]})
    return rows, [r["question"] for r in refs]


def ngram_speed(size: int) -> dict:
    import numpy as np

    from filters.ngrams import best_matches

    rows, refs = corpus(size)
    texts = [r["question"] for r in rows]
    best_matches(texts[:2000], refs)  # warm-up
    runs = []
    for _ in range(2):  # interleaved, best of 2
        t = time.perf_counter()
        item, score, _ = best_matches(texts, refs, 8, max_item_df=10**9)
        fast = time.perf_counter() - t
        t = time.perf_counter()
        base = baseline_ngram(texts, refs)
        slow = time.perf_counter() - t
        runs.append((fast, slow))
    fast, slow = min(r[0] for r in runs), min(r[1] for r in runs)
    agree = float(np.mean([abs(b[0] - s) < 1e-9 for b, s in zip(base, score, strict=False)]))
    return {"rows": size, "benchmark_items": len(refs), "vectorised_rows_per_s": round(size / fast),
            "baseline_rows_per_s": round(size / slow), "speedup": round(slow / fast, 1), "same_scores": agree}


def scale(sizes: list[int], encode: str, methods: list[str]) -> dict:
    shared = shared_dir()
    os.environ["DATAGEN_BENCHMARKS_DIR"] = str(shared / "benchmarks")
    benches = sorted(p.name for p in (shared / "benchmarks").iterdir() if (p / "test.jsonl").is_file())
    rows, _ = corpus(max(sizes))
    run(rows[:1000], benches, encode=encode, methods=methods)  # warm-up: model load, benchmark vectors cached
    out = {}
    for size in sizes:
        seconds, report, _ = run(rows[:size], benches, encode=encode, methods=methods)
        out[size] = {"seconds": round(seconds, 1), "rows_per_s": round(size / seconds), "flagged": report["flagged_rows"]}
    small, big = min(sizes), max(sizes)
    out["vs_linear"] = round((out[big]["seconds"] / out[small]["seconds"]) / (big / small), 2)
    out.update(encode=encode, methods=methods)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parts", default="pr,ngram,scale")
    ap.add_argument("--seed", type=int, default=1, help="eval-set seed (thresholds were chosen on seed 0)")
    ap.add_argument("--ngram-rows", type=int, default=100_000)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--encode", default="onnx-int8")
    ap.add_argument("--scale-methods", default=",".join(METHODS))
    args = ap.parse_args()
    parts = args.parts.split(",")
    result = {}
    if "pr" in parts:
        result["precision_recall"] = precision_recall(args.seed)
        print(json.dumps(result["precision_recall"], indent=1), flush=True)
    if "ngram" in parts:
        result["ngram_speed"] = ngram_speed(args.ngram_rows)
        print(json.dumps(result["ngram_speed"]), flush=True)
    if "scale" in parts:
        result["scale"] = scale([int(x) for x in args.sizes.split(",")], args.encode, args.scale_methods.split(","))
        print(json.dumps(result["scale"]), flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
