"""Figures of the SvS and self-play recipes, run as shipped (tiny model, vLLM CPU):

- SvS (`recipes/svs.yaml`): per round, variants written, well formed, answer preserved (some
  of the k solutions reaches the inherited answer) and surviving the pass-rate band;
- self-play (`recipes/self_play.yaml`): the mean reward spread (max - mean) of the prompt
  population per round, and how many prompts are informative (spread > 0).

    python -m tests.benchmarks.bench_generator_recipes [svs|self_play ...]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(name: str) -> dict:
    from datagen.engine import run_recipe
    from datagen.progress import StageProgress
    from datagen.recipe_io import load_recipe
    from datagen.store import Store

    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        result = run_recipe(load_recipe(REPO / "recipes" / f"{name}.yaml"), Store(Path(d)), progress=StageProgress(False))
        wall = time.perf_counter() - t
    stage = result.manifest["stages"][0]
    out = {
        "bench": f"recipe_{name}",
        "wall_s": round(wall, 1),
        "kept": result.manifest["counts"]["train"],
        "rejected": result.manifest["counts"]["rejected"],
        "reasons": stage["reasons"],
        **stage["generator"],
    }
    if name == "svs":
        for r in out["rounds"]:
            r["answer_preservation_rate"] = round(r["answer_preserved"] / r["well_formed"], 3) if r["well_formed"] else None
            r["band_survival_rate"] = round(r["survived"] / r["well_formed"], 3) if r["well_formed"] else None
    return out


def main(names: list[str]) -> None:
    for name in names or ["svs", "self_play"]:
        print(json.dumps(run(name)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
