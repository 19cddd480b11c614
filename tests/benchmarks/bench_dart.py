"""DART-Math uniform vs plain uniform sampling: generations needed to get k correct solutions
on >= 95 % of the prompts that can be solved (goal: ratio <= 0.6).

One vLLM engine on the tiny model, one request cache. A pool of M samples per prompt is drawn
once (`solve`, fixed budget); "solvable" = at least k correct among the M. Plain uniform
needs n x prompts generations for the smallest n at which 95 % of the solvable prompts have
k correct in their first n samples (an oracle n, which flatters the baseline). DART runs the
real `solve_in_rounds` (every sample a cache hit: sample i is the same in both) and is
charged the samples it had drawn after the round in which coverage reached 95 %, and, for
completeness, all it drew until every prompt hit k or max_trials. prop2diff is reported too.

    python -m tests.benchmarks.bench_dart [--prompts 128] [--k 4] [--max-trials 64] [--round-size 4]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def coverage(correct_prefix_counts, solvable, k) -> float:
    return sum(correct_prefix_counts[i] >= k for i in solvable) / len(solvable)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=128)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--max-trials", type=int, default=64)
    ap.add_argument("--round-size", type=int, default=4)
    ap.add_argument("--goal", type=float, default=0.95)
    a = ap.parse_args()

    from datagen.llm import RequestCache, make_llm
    from datagen.tiny.tasks import make_problems
    from filters.verify import math_answer
    from generators.common import render_prompts
    from generators.solving import pass_rate, prop2diff_targets, solve, solve_in_rounds
    from schemas import prompts
    from schemas.models import ModelSpec
    from schemas.sampling import Sampling

    rows = make_problems(a.prompts, seed=21, split="train")
    convs = render_prompts(rows, prompts.SOLVE, None, "bench")
    answers = [r["answer"] for r in rows]
    sampling = Sampling(temperature=0.8, max_tokens=200, seed=0)
    k, M, R = a.k, a.max_trials, a.round_size
    with tempfile.TemporaryDirectory() as d:
        llm = make_llm(ModelSpec(backend="vllm", dtype="float32"), RequestCache(Path(d) / "c.sqlite"))
        t = time.perf_counter()
        pool = solve(llm, convs, answers, sampling, math_answer, M)
        pool_s = time.perf_counter() - t
        ok = [[a_.correct for a_ in att] for att in pool]
        solvable = [i for i, c in enumerate(ok) if sum(c) >= k]

        uniform_n = next(n for n in range(1, M + 1) if coverage([sum(c[:n]) for c in ok], solvable, k) >= a.goal)
        uniform = uniform_n * len(rows)

        before = llm.stats.generated
        dart = solve_in_rounds(llm, convs, answers, sampling, math_answer, [k] * len(rows), M, R)
        assert llm.stats.generated == before, "DART drew samples outside the pool"
        drawn = [len(att) for att in dart]
        dart_total = sum(drawn)
        dart_at_goal = None
        for r in range(1, M // R + 1):  # the state after each round
            upto = [min(x, r * R) for x in drawn]
            if coverage([sum(c[:u]) for c, u in zip(ok, upto, strict=True)], solvable, k) >= a.goal:
                dart_at_goal = sum(upto)
                break

        probe = [att[:R] for att in pool]
        targets = prop2diff_targets([pass_rate(p) for p in probe], k)
        p2d = solve_in_rounds(llm, convs, answers, sampling, math_answer, targets, M, R, start=probe)
        llm.close()

    print(
        json.dumps(
            {
                "bench": "dart_vs_uniform",
                "prompts": len(rows),
                "k": k,
                "max_trials": M,
                "round_size": R,
                "solvable": len(solvable),
                "pool_samples": len(rows) * M,
                "pool_seconds": round(pool_s, 1),
                "uniform_n": uniform_n,
                "uniform_generations": uniform,
                "dart_generations_at_95pct": dart_at_goal,
                "dart_generations_total": dart_total,
                "ratio_at_95pct": round(dart_at_goal / uniform, 3) if dart_at_goal else None,
                "ratio_total": round(dart_total / uniform, 3),
                "prop2diff_generations": sum(len(x) for x in p2d),
                "prop2diff_correct_kept": sum(min(t, sum(x.correct for x in att)) for t, att in zip(targets, p2d, strict=True)),
            }
        )
    )


if __name__ == "__main__":
    main()
