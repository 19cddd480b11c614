"""The closed loop: a recipe with `train:` (and `eval:`) runs generate -> filter -> version ->
train -> eval, `rounds` times, the model trained in one round generating the next.

Before the first round `models.default` is scored; after each round the trained model is.
Each round's version is a normal `NAME@vN` (its manifest names the generating model, so
rounds never share a fingerprint); each trained model goes to `train.out/round-R` (default
`STORE/.models/NAME/round-R`) with its card naming that version. The summary (pass@k before
and per round, rows, train figures, wall times) is written to `datagen_loop.json` in the
last round's model directory and returned.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _log(msg: str) -> None:
    print(f"loop: {msg}", file=sys.stderr, flush=True)


def _brief(result: dict | None) -> dict | None:
    return None if result is None else {k: v for k, v in result.items() if k != "per_problem"}


def run_loop(recipe, store, name: str | None = None, progress=None, limit: int | None = None) -> dict:
    from datagen.engine import run_recipe
    from datagen.evaluate import eval_model
    from datagen.train.progress import TrainProgress
    from datagen.train.run import train

    t0 = time.time()
    name = name or recipe.output.name
    current = recipe.models["default"]
    out_root = Path(recipe.train.out) if recipe.train.out else store.root / ".models" / name
    summary: dict = {"recipe": name, "rounds": [], "eval": recipe.eval.model_dump() if recipe.eval else None}
    if recipe.eval:
        t = time.time()
        before = eval_model(current, recipe.eval, store)
        summary["before"] = _brief(before) | {"wall_s": round(time.time() - t, 1)}
        _log(f"before: {_passes(before)}")
    for r in range(1, recipe.rounds + 1):
        t = time.time()
        rec = recipe.model_copy(update={"models": {**recipe.models, "default": current}})
        run = run_recipe(rec, store, name=name, progress=progress, limit=limit)
        gen_s = time.time() - t
        _log(f"round {r}: {run.ref} ({run.manifest['counts']['train']} rows kept)")
        tspec = recipe.train.model_copy(update={
            "data": str(run.ref), "model": current.model or _tiny(), "revision": current.revision, "out": str(out_root / f"round-{r}"),
            "seed": recipe.train.seed + r - 1})
        t = time.time()
        trained = train(tspec, store, progress=TrainProgress())
        train_s = time.time() - t
        current = current.model_copy(update={"model": str(trained.out), "revision": None})
        entry = {"round": r, "data": str(run.ref), "rows": run.manifest["counts"]["train"], "model": str(trained.out),
                 "generate_s": round(gen_s, 1), "train_s": round(train_s, 1), "train": {k: v for k, v in trained.metrics.items() if k != "losses"}}
        if recipe.eval:
            t = time.time()
            after = eval_model(current, recipe.eval, store)
            entry["eval"] = _brief(after) | {"wall_s": round(time.time() - t, 1)}
            _log(f"round {r}: {_passes(after)}")
        summary["rounds"].append(entry)
    summary["wall_s"] = round(time.time() - t0, 1)
    (Path(current.model) / "datagen_loop.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _passes(result: dict) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in result.items() if k.startswith("pass@"))


def _tiny() -> str:
    from datagen.tiny.build import ensure_tiny_model

    return str(ensure_tiny_model())
