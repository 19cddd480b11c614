"""Structured outputs on the tiny model: `recipes/structured_problems.yaml` (paraphrase each
procedural problem as JSON `problem`/`answer`/`topic`) with decoding constrained to the schema
and without (validation only, as a text parser would), side by side on the same seeds.

Reported per mode: completions, the share that validates (parse rate), the share cut off at
`max_tokens`, and answer preservation (a paraphrase keeps its problem's answer: the share of
validated records whose `answer` equals the seed's).

    python -m tests.benchmarks.bench_structured [--n 64] [--max-tokens 200]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from tests.integration.cli_runs import REPO, data_table, rejected_table, run_recipe


def measure(n: int, max_tokens: int, constrain: bool, store: Path) -> dict:
    from datagen.tiny.tasks import make_problems

    name = f"structured-{'on' if constrain else 'off'}"
    ref = run_recipe(REPO / "recipes" / "structured_problems.yaml", store, f"source.n={n}", f"output.name={name}",
                     f"stages.0.sampling.max_tokens={max_tokens}", f"stages.0.output_schema.constrain={str(constrain).lower()}")
    rej = rejected_table(store, ref)
    rejected = rej.to_pylist() if rej is not None else []
    parsed = data_table(store, ref).to_pylist() + [r for r in rejected if r["rejected_by"] != "evolve"]  # later filters saw them
    failed = [r for r in rejected if r["rejected_by"] == "evolve"]
    total = len(parsed) + len(failed)
    seeds = {p["id"]: str(p["answer"]) for p in make_problems(n, seed=11, split="train")}
    preserved = sum(seeds.get(r["meta"]["parent_id"]) == r["answer"] for r in parsed)
    reasons = Counter(r["reason"].split(" (")[0] for r in failed)
    return {"constrained": constrain, "completions": total, "parse_rate": round(len(parsed) / max(total, 1), 3),
            "cut_off": round(sum(v for k, v in reasons.items() if "max_tokens" in k) / max(total, 1), 3),
            "answer_preserved": round(preserved / max(len(parsed), 1), 3), "reasons": dict(reasons.most_common(4))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--max-tokens", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for constrain in (True, False):
            print(json.dumps(measure(args.n, args.max_tokens, constrain, Path(tmp) / "store")), flush=True)


if __name__ == "__main__":
    main()
