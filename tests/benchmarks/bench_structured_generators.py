"""Built-in structured outputs of the generators on the tiny model: Verbalized Sampling lists and
SvS variants as JSON held to a schema (constrained decoding, vLLM CPU) against today's text
parsers (`structured: false`), same recipes, same seeds; then the throughput cost of the
constraint on the same prompts.

Quality, per recipe and mode, from the published rows (the shipped recipes through the CLI):
- `recipes/evolve_verbalized.yaml` (deepen/broaden, m = 3): calls, `well_formed` (the share of
  calls whose reply parsed: no `unparseable_verbalized_list` / `schema_invalid`), `full` (the
  share with exactly m texts), `sane` (the share of parsed texts that read as a problem of the
  tiny model's templates: `datagen.tiny.evaluate.well_formed`). Deepen/broaden change the
  answer, so there is none to preserve here.
- `recipes/svs.yaml` (one round), plain and with `verbalized: {m: 3}`: variants, `well_formed`,
  `sane`, `answer_preserved` (the share of well-formed variants some solution of which reaches
  the inherited answer, the stage's own stat), and with JSON variants `answer_stated` (the
  share whose stated answer is the inherited one).
JSON text fields are bounded (`--max-chars`, default 120; template problems have 58-157
characters, median 82): unbounded, the tiny model never closes its strings and runs to
max_tokens; at 160, 2 of 96 VS lists still ran past evolve's 300 tokens.

Throughput: one vLLM engine, the JSON prompts the generators send (VS lists around broaden
prompts; variant prompts with the {problem, answer} instruction), each workload sampled with
the schema, then without it writing exactly as many tokens per request (unconstrained, the tiny
model stops after ~16 tokens on these prompts: lengths would decide, not the grammar); `--reps`
pairs back to back in alternating order; completion tokens/s and requests/s (each mode's best),
and the cost factor (unconstrained tokens/s over constrained: the median over the pairs, and
best over best); with the `--max-chars` bounds and without (the tiny model then writes every
string to max_tokens, but the per-token cost of the grammar shows).

    python -m tests.benchmarks.bench_structured_generators [--n-evolve 48] [--n-svs 32] [--reps 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.integration.cli_runs import REPO, data_table, manifest, rejected_table, run_recipe

PARSE_REASONS = ("unparseable_verbalized_list", "schema_invalid")


def rows(store: Path, ref: str) -> list[dict]:
    rej = rejected_table(store, ref)
    return data_table(store, ref).to_pylist() + (rej.to_pylist() if rej is not None else [])


def unparsed(r: dict) -> bool:
    return (r.get("reason") or "").startswith(PARSE_REASONS)


def share(k: int, n: int) -> float | None:
    return round(k / n, 3) if n else None


def evolve_vs(n: int, structured: bool, max_chars: int, store: Path) -> dict:
    from datagen.tiny.evaluate import well_formed

    sets = [f"source.n={n}", f"output.name=evolve-{structured}", f"stages.0.verbalized.structured={str(structured).lower()}"]
    ref = run_recipe(REPO / "recipes" / "evolve_verbalized.yaml", store, *sets, f"stages.0.verbalized.max_chars={max_chars}")
    made = [r for r in rows(store, ref) if r["meta"]["generator"].startswith("evolve:")]
    calls: dict[tuple, list[dict]] = {}
    for r in made:
        calls.setdefault((r["meta"]["parent_id"], r["meta"]["generator"], r["meta"]["sample_index"]), []).append(r)
    ok = [c for c in calls.values() if not any(unparsed(r) for r in c)]
    texts = [r["question"] for c in ok for r in c]
    return {"recipe": "evolve_verbalized", "structured": structured, "calls": len(calls), "well_formed": share(len(ok), len(calls)),
            "full": share(sum(len(c) == 3 for c in ok), len(calls)), "texts": len(texts),
            "sane": share(sum(well_formed(t) for t in texts), len(texts)), "reasons": reasons(made)}


def svs(n: int, structured: bool, max_chars: int, max_tokens: int, store: Path, vs: bool) -> dict:
    from datagen.tiny.evaluate import well_formed

    on = str(structured).lower()
    sets = [f"source.n={n}", "stages.0.rounds=1", f"output.name=svs-{on}-{vs}", f"stages.0.variant_sampling.max_tokens={max_tokens}"]
    sets += ([f"stages.0.verbalized={{m: 3, structured: {on}, max_chars: {max_chars}}}"] if vs
             else [f"stages.0.structured={on}", f"stages.0.problem_max_chars={max_chars}"])
    ref = run_recipe(REPO / "recipes" / "svs.yaml", store, *sets)
    stats = manifest(store, ref)["stages"][0]["generator"]["rounds"][0]
    made = [r for r in rows(store, ref) if r["meta"]["round"] == 1]
    texts = [r["question"] for r in made if not unparsed(r)]
    out = {"recipe": "svs" + ("+verbalized" if vs else ""), "structured": structured, "variants": stats["variants"],
           "well_formed": share(stats["variants"] - sum(unparsed(r) for r in made), stats["variants"]),
           "usable": share(stats["well_formed"], stats["variants"]), "sane": share(sum(well_formed(t) for t in texts), len(texts)),
           "answer_preserved": share(stats["answer_preserved"], stats["well_formed"]), "reasons": reasons(made)}
    if "answer_stated" in stats:
        out["answer_stated"] = share(stats["answer_stated"], stats["well_formed"])
    return out


def reasons(made: list[dict]) -> dict:
    return dict(Counter((r.get("reason") or "kept").split(" (")[0][:60] for r in made).most_common(4))


def throughput(n: int, reps: int, max_chars: int) -> list[dict]:
    """Per workload: a constrained run (warm-up: grammar set-up, prefix cache) fixes each
    request's token count; then, `reps` times, the constrained run again (same seeds: the same
    outputs) and the same prompts unconstrained made to write exactly as many tokens
    (`min_tokens` = `max_tokens` = that count, `ignore_eos`), so only the grammar differs;
    back to back, in alternating order. Reported: each mode's best, and the median of the
    per-pair cost (the pairs are what a busy machine disturbs least)."""
    import statistics

    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    from datagen.llm import make_backend
    from datagen.tiny.tasks import evolve_prompt, make_problems, variant_prompt
    from generators.shapes import JsonList, JsonProblem
    from schemas.generators import Verbalized
    from schemas.models import ModelSpec

    problems = make_problems(n, seed=23, split="train")
    work = {}
    for bound, tag in ((max_chars, f"max_chars={max_chars}"), (None, "unbounded")):
        work[f"verbalized_list {tag}"] = (JsonList(Verbalized(m=3, max_chars=bound)), [evolve_prompt("broaden", p) for p in problems], 300)
        work[f"svs_variant {tag}"] = (JsonProblem(max_chars=bound), [variant_prompt(p) for p in problems], 200)
    llm = make_backend(ModelSpec(backend="vllm", dtype="float32")).llm
    out = []
    for name, (shape, texts, max_tokens) in work.items():
        convs = [shape.ask([{"role": "user", "content": t}]) for t in texts]
        schema = StructuredOutputsParams(json=shape.schema)
        params = {"constrained": [SamplingParams(temperature=1.0, max_tokens=max_tokens, seed=i, structured_outputs=schema)
                                  for i in range(len(convs))]}
        counts = [len(o.outputs[0].token_ids) for o in llm.chat(convs, params["constrained"], use_tqdm=False)]
        params["unconstrained"] = [SamplingParams(temperature=1.0, max_tokens=k, min_tokens=k, ignore_eos=True, seed=i)
                                   for i, k in enumerate(counts)]
        llm.chat(convs, params["unconstrained"], use_tqdm=False)  # its warm-up
        best: dict[str, dict] = {}
        costs = []
        for rep in range(reps):
            tps = {}
            for mode in ("constrained", "unconstrained")[:: 1 if rep % 2 == 0 else -1]:
                t = time.perf_counter()
                outs = llm.chat(convs, params[mode], use_tqdm=False)
                wall = time.perf_counter() - t
                toks = sum(len(o.outputs[0].token_ids) for o in outs)
                tps[mode] = toks / wall
                run = {"tokens_per_s": round(toks / wall, 1), "requests_per_s": round(len(outs) / wall, 2), "tokens": toks}
                if mode not in best or run["tokens_per_s"] > best[mode]["tokens_per_s"]:
                    best[mode] = run
            costs.append(tps["unconstrained"] / tps["constrained"])
        out.append({"throughput": name, "prompts": len(convs), **best, "cost_per_token": round(statistics.median(costs), 3),
                    "cost_per_token_best": round(best["unconstrained"]["tokens_per_s"] / best["constrained"]["tokens_per_s"], 3),
                    "pairs": [round(c, 3) for c in costs]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-evolve", type=int, default=48, help="evolve_verbalized seeds (x2 ops, 1 call each)")
    ap.add_argument("--n-svs", type=int, default=32, help="svs seeds (one round)")
    ap.add_argument("--max-chars", type=int, default=120, help="the schema bound on a JSON text")
    ap.add_argument("--variant-max-tokens", type=int, default=200, help="svs variant_sampling.max_tokens, both modes")
    ap.add_argument("--n-throughput", type=int, default=64)
    ap.add_argument("--reps", type=int, default=4, help="constrained/unconstrained pairs per workload")
    ap.add_argument("--skip", nargs="*", default=[], choices=["evolve", "svs", "svs_vs", "throughput"])
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        for structured in (True, False):
            if "evolve" not in a.skip:
                print(json.dumps(evolve_vs(a.n_evolve, structured, a.max_chars, store)), flush=True)
            if "svs" not in a.skip:
                print(json.dumps(svs(a.n_svs, structured, a.max_chars, a.variant_max_tokens, store, vs=False)), flush=True)
            if "svs_vs" not in a.skip:
                print(json.dumps(svs(a.n_svs, structured, a.max_chars, 360, store, vs=True)), flush=True)
    if "throughput" not in a.skip:
        for r in throughput(a.n_throughput, a.reps, a.max_chars):
            print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
