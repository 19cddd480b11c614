"""Rejection-sampling stage through datagen vs raw `vllm.LLM.chat`, same engine, same
prompts and sampling, in one run. Goal: datagen / raw <= 1.05.

datagen's side is the whole stage: prompt rendering, the request cache (empty, in a temp
dir), generation, math-verify on every sample, and building the output table. Raw is one
`LLM.chat` call with `SamplingParams(n=k)` per prompt. Rounds alternate (raw, datagen, ...)
and the best of each is compared, after one warm-up.

    python -m tests.benchmarks.bench_rejection_vllm [--prompts 128] [--k 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=128)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=200)
    ap.add_argument("--model", default=None, help="model path (default: the embedded tiny model)")
    ap.add_argument("--batch-size", type=int, default=256, help="datagen's vLLM batch size (the unit cached at once)")
    args = ap.parse_args()

    from vllm import SamplingParams

    from datagen.engine import StageContext
    from datagen.llm import CachedLLM, RequestCache, make_backend
    from datagen.sources import load_source
    from datagen.stage_io import execute
    from generators.rejection import RejectionSampler
    from schemas.models import ModelSpec
    from schemas.sources import ProceduralSource
    from schemas.stages import RejectionStage

    spec = RejectionStage(type="rejection", k=args.k, sampling={"temperature": 0.8, "max_tokens": args.max_tokens, "seed": 0})
    seeds = load_source(ProceduralSource(type="procedural", n=args.prompts, seed=1)).table
    backend = make_backend(ModelSpec(model=args.model, batch_size=args.batch_size))
    convs = [[{"role": "user", "content": spec.prompt_template.format(question=q)}] for q in seeds.column("question").to_pylist()]

    def raw() -> int:
        params = [
            SamplingParams(n=args.k, temperature=0.8, top_p=1.0, max_tokens=args.max_tokens, seed=i) for i in range(len(convs))
        ]
        outs = backend.llm.chat(convs, params, use_tqdm=False)
        return sum(len(o.token_ids) for out in outs for o in out.outputs)

    class Pool:
        def __init__(self, llm):
            self.llm_ = llm

        def get(self, name):
            return self.llm_

        def identity(self, name):
            return self.llm_.identity

    def datagen() -> int:
        with tempfile.TemporaryDirectory() as d, RequestCache(Path(d) / "c.sqlite") as cache:
            llm = CachedLLM(backend, cache)
            stage = RejectionSampler(spec, StageContext(index=0, pool=Pool(llm)))
            kept, rejected, _ = execute(stage, seeds, "rejection")
            return llm.stats.completion_tokens

    backend.llm.chat(convs[:8], SamplingParams(max_tokens=16), use_tqdm=False)  # warm-up
    times = {"raw": [], "datagen": []}
    tokens = {}
    for _ in range(args.rounds):
        for name, fn in (("raw", raw), ("datagen", datagen)):
            t = time.perf_counter()
            tokens[name] = fn()
            times[name].append(time.perf_counter() - t)
    best = {k: min(v) for k, v in times.items()}
    tps = {k: tokens[k] / best[k] for k in best}
    result = {
        "bench": "rejection_vs_raw_vllm",
        "prompts": args.prompts,
        "k": args.k,
        "raw_s": round(best["raw"], 2),
        "datagen_s": round(best["datagen"], 2),
        "ratio_time": round(best["datagen"] / best["raw"], 3),
        "raw_tok_s": round(tps["raw"], 1),
        "datagen_tok_s": round(tps["datagen"], 1),
        "ratio_per_token": round(tps["raw"] / tps["datagen"], 3),
        "goal": "<= 1.05",
        "all_times": times,
    }
    print(json.dumps(result))
    backend.close()


if __name__ == "__main__":
    main()
