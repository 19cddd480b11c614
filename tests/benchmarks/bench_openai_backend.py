"""Benchmark: datagen's OpenAI backend (through CachedLLM, empty cache) vs a plain AsyncOpenAI client.

Starts a real vLLM server on the tiny model (or uses --base-url), then sends the same N chat
requests (same sampling, same per-sample seeds, same concurrency) both ways, alternating
which goes first, and reports the median wall times and their ratio (goal: <= 1.05), the
best-of ratio, and each client's own CPU time (the part not drowned by server noise on a
shared machine). Both ways must get identical completions (same seeds): the same work.

    python tests/benchmarks/bench_openai_backend.py [--n 128] [--concurrency 32] [--repeats 5]

The last line printed is a one-line JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from datagen.llm import RequestCache, make_llm, sample_seed  # noqa: E402
from schemas.models import ModelSpec  # noqa: E402
from schemas.sampling import Sampling  # noqa: E402


def conversations(n: int) -> list[list[dict]]:
    return [[{"role": "user", "content": f"What is {i} + {2 * i + 1}?"}] for i in range(n)]


def run_datagen(spec: ModelSpec, convs, sampling: Sampling) -> tuple[float, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        llm = make_llm(spec, RequestCache(Path(tmp) / "cache.sqlite"))
        start = time.perf_counter()
        out = llm.generate(convs, sampling)
        elapsed = time.perf_counter() - start
        llm.cache.close()
    assert all(c.ok for o in out for c in o), [c.error for o in out for c in o if not c.ok][:3]
    return elapsed, [o[0].text for o in out]


def run_plain(base_url: str, model: str, convs, sampling: Sampling, concurrency: int) -> tuple[float, list[str]]:
    from openai import AsyncOpenAI

    async def send_all() -> list[str]:
        client = AsyncOpenAI(base_url=base_url, api_key="EMPTY", max_retries=0, timeout=120)
        sem = asyncio.Semaphore(concurrency)

        async def one(messages) -> str:
            async with sem:
                r = await client.chat.completions.create(
                    model=model,
                    messages=messages,
                    n=1,
                    seed=sample_seed(sampling.seed, messages, 0),
                    temperature=sampling.temperature,
                    top_p=sampling.top_p,
                    max_tokens=sampling.max_tokens,
                )
            return r.choices[0].message.content or ""

        try:
            return await asyncio.gather(*(one(m) for m in convs))
        finally:
            await client.close()

    start = time.perf_counter()
    texts = asyncio.run(send_all())
    return time.perf_counter() - start, texts


def bench(base_url: str, model: str, args) -> dict:
    convs = conversations(args.n)
    sampling = Sampling(temperature=1.0, max_tokens=args.max_tokens, seed=0)
    spec = ModelSpec(backend="openai", model=model, base_url=base_url, max_concurrency=args.concurrency)
    run_plain(base_url, model, convs[:8], sampling, args.concurrency)  # warm up the server
    times: dict[str, list[float]] = {"datagen": [], "plain": []}
    cpu: dict[str, list[float]] = {"datagen": [], "plain": []}  # this process's CPU: the client's own cost
    texts: dict[str, list[str]] = {}
    for r in range(args.repeats):
        order = ("datagen", "plain") if r % 2 == 0 else ("plain", "datagen")
        for way in order:
            c0 = time.process_time()
            if way == "datagen":
                t, texts[way] = run_datagen(spec, convs, sampling)
            else:
                t, texts[way] = run_plain(base_url, model, convs, sampling, args.concurrency)
            times[way].append(t)
            cpu[way].append(time.process_time() - c0)
            print(f"repeat {r}: {way:8s} {t:7.3f} s wall  {cpu[way][-1]:6.3f} s client CPU", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    print(
        f"median wall: datagen OpenAI backend (CachedLLM, empty cache) {med['datagen']:.3f} s, "
        f"plain AsyncOpenAI {med['plain']:.3f} s, ratio {med['datagen'] / med['plain']:.3f} "
        f"(best-of: {best['datagen'] / best['plain']:.3f})"
    )
    return {
        "bench": "openai_backend",
        "requests": args.n,
        "concurrency": args.concurrency,
        "max_tokens": args.max_tokens,
        "repeats": args.repeats,
        "datagen_s": round(med["datagen"], 3),
        "plain_openai_s": round(med["plain"], 3),
        "ratio": round(med["datagen"] / med["plain"], 3),
        "ratio_best": round(best["datagen"] / best["plain"], 3),
        "datagen_runs_s": [round(t, 3) for t in times["datagen"]],
        "plain_runs_s": [round(t, 3) for t in times["plain"]],
        "datagen_client_cpu_s": round(statistics.median(cpu["datagen"]), 3),
        "plain_client_cpu_s": round(statistics.median(cpu["plain"]), 3),
        "same_outputs": texts["datagen"] == texts["plain"],
        "goal_ratio": 1.05,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=128, help="chat requests per run")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--model", help="model path to serve (default: the embedded tiny model)")
    p.add_argument("--base-url", help="use this running server instead of starting one (then --model is the served name)")
    args = p.parse_args(argv)
    if args.base_url:
        summary = bench(args.base_url, args.model, args)
    else:
        from tests.integration.vllm_server import run_vllm_server

        model = args.model
        if model is None:
            from datagen.tiny.build import ensure_tiny_model

            model = str(ensure_tiny_model())
        with tempfile.TemporaryDirectory() as tmp, run_vllm_server(model, Path(tmp) / "server.log") as base_url:
            summary = bench(base_url, model, args)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
