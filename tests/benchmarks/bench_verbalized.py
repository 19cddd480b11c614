"""Diversity with and without Verbalized Sampling, same prompts, same model, one run.

For each seed problem, three candidates are drawn two ways: three independent samples of the
plain prompt (T=1.0), or one Verbalized Sampling call asking for three with probabilities.
Reported per task (SvS `variant` and Evol `broaden`): valid candidates, distinct-2 over all
of them, and the mean pairwise embedding distance (all-MiniLM-L6-v2) among each seed's
candidates, averaged over seeds — the mode-collapse measure.

    python -m tests.benchmarks.bench_verbalized [--seeds 48]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path


def diversity(groups: list[list[str]]) -> dict:
    from datagen.diversity import distinct_n, mean_pairwise_distance
    from datagen.embeddings import embed

    texts = [t for g in groups for t in g]
    dists = [mean_pairwise_distance(embed(g)) for g in groups if len(g) >= 2]
    return {
        "valid": len(texts),
        "distinct_2": round(distinct_n(texts, 2), 4),
        "mean_pairwise_distance": round(statistics.fmean(dists), 4) if dists else None,
        "groups_with_2plus": len(dists),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=48)
    ap.add_argument("--m", type=int, default=3)
    a = ap.parse_args()

    from datagen.llm import RequestCache, make_llm
    from datagen.tiny.tasks import make_problems
    from generators.candidates import draw
    from generators.common import render_prompts
    from schemas import prompts
    from schemas.generators import Verbalized
    from schemas.models import ModelSpec
    from schemas.sampling import Sampling

    rows = make_problems(a.seeds, seed=31, split="train")
    tasks = {"variant": prompts.VARIANT, "broaden": prompts.EVOLVE["broaden"]}
    sampling = Sampling(temperature=1.0, max_tokens=360, seed=0)
    vs = Verbalized(m=a.m)
    with tempfile.TemporaryDirectory() as d:
        llm = make_llm(ModelSpec(backend="vllm", dtype="float32"), RequestCache(Path(d) / "c.sqlite"))
        for task, template in tasks.items():
            convs = render_prompts(rows, template, None, task)
            plain = draw(llm, convs, sampling, a.m)
            verbal = draw(llm, convs, sampling, 1, shape=vs)  # a Verbalized spec: its tagged list
            res = {"bench": "verbalized_sampling", "task": task, "seeds": len(rows), "m": a.m}
            for label, cands in (("plain", plain), ("verbalized", verbal)):
                res[label] = diversity([[c.text for c in cs if c.ok] for cs in cands])
            print(json.dumps(res), flush=True)
        llm.close()


if __name__ == "__main__":
    main()
