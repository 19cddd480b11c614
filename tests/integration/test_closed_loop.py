"""The closed loop as shipped (`recipes/closed_loop.yaml`) on the tiny model and real vLLM:
generate -> filter -> version -> SFT -> eval, with the before/after pass@k written out and
the trained model's card naming the version it was trained on."""

from __future__ import annotations

import json

import pytest

from tests.integration.cli_runs import REPO, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_closed_loop_recipe(tiny_model, tmp_path):
    store = tmp_path / "s"
    r = run_cli("run", REPO / "recipes" / "closed_loop.yaml", "--store", store, timeout=1800)
    model_dir = r.stdout.strip().splitlines()[-1]
    loop = json.loads((store / ".models" / "closed-loop" / "round-1" / "datagen_loop.json").read_text())
    assert model_dir.endswith("round-1") and len(loop["rounds"]) == 1
    before, after = loop["before"], loop["rounds"][0]["eval"]
    assert before["problems"] == after["problems"] == 200 and before["n"] == 8
    print(f"closed loop: pass@1 {before['pass@1']} -> {after['pass@1']}, pass@8 {before['pass@8']} -> {after['pass@8']}, "
          f"wall {loop['wall_s']} s")
    assert after["pass@1"] >= before["pass@1"] + GAIN, (before, after)
    card = (store / ".models" / "closed-loop" / "round-1" / "README.md").read_text()
    manifest = json.loads((store / "closed-loop" / "v1" / "manifest.json").read_text())
    assert manifest["fingerprint"] in card and "closed-loop@v1" in card
    assert f"before: pass@1 {before['pass@1']:.3f}" in r.stderr


GAIN = 0.08  # measured +0.131 (+0.129 with an earlier tiny-model build; README, Benchmarks; the goal is +0.10): a margin for CPU nondeterminism


def test_svs_grpo_rounds_recipe_keeps_pass_at_8(tiny_model, tmp_path):
    """Three rounds of SvS + GRPO as shipped: every round's data trains the next generator, and
    pass@8 on held-out problems does not fall by more than MAX_FALL (0.07).

    Decided by a paired comparison, not by eyeballing two noisy means: the model before round 1
    and after round 3 are scored on the same 400 problems (the recipe's eval; the per-problem
    counts are re-read from the request cache), and the one-sided 97.7 % upper confidence bound
    on the fall (mean fall + 2 paired standard errors, about 2 x 0.011 here) must stay within
    MAX_FALL. Measured on a 2-core CPU: 0.910 -> 0.890, a fall of 0.020 +- 0.011, bound 0.042.
    The tiny model differs per CPU and so does the fall (0.000 and 0.025 elsewhere, on 200
    problems); a true fall of 0.025 fails this about 2 % of the time, one of 0.05 more often
    than not. "Held" (no fall at all) is more than these figures show."""
    store = tmp_path / "s"
    run_cli("run", REPO / "recipes" / "svs_grpo_rounds.yaml", "--store", store, timeout=1800)
    loop = json.loads((store / ".models" / "svs-grpo" / "round-3" / "datagen_loop.json").read_text())
    rounds = loop["rounds"]
    assert [e["data"] for e in rounds] == ["svs-grpo@v1", "svs-grpo@v2", "svs-grpo@v3"] and all(e["rows"] > 0 for e in rounds)
    assert rounds[1]["train"]["steps"] > 0 and rounds[1]["train"]["rewards"]
    card = (store / ".models" / "svs-grpo" / "round-2" / "README.md").read_text()
    assert "svs-grpo@v2" in card and "- grpo" in card
    manifest = json.loads((store / "svs-grpo" / "v2" / "manifest.json").read_text())
    assert "round-1" in json.dumps(manifest["models"])  # round 2 generated with the model trained in round 1
    pass8 = [loop["before"]["pass@8"]] + [e["eval"]["pass@8"] for e in rounds]
    assert loop["before"]["judged"] >= MIN_PROBLEMS, loop["before"]

    # Per-problem counts of the very samples the loop scored (all cache hits), before and after.
    before, after = per_problem_evals(store, loop["eval"], [None, rounds[-1]["model"]], tmp_path)
    assert (before["pass@8"], after["pass@8"]) == (pass8[0], pass8[-1]), "the re-read eval is not the loop's"
    change, se, n = paired_change(before, after, k=8)
    bound = -change + Z * se  # upper confidence bound on the fall of pass@8
    print(f"svs+grpo rounds: pass@8 {pass8}, pass@1 {[loop['before']['pass@1']] + [e['eval']['pass@1'] for e in rounds]}, "
          f"wall {loop['wall_s']} s; pass@8 change {change:+.4f}, paired SE {se:.4f} on {n} problems, "
          f"fall bound {bound:.4f} (max {MAX_FALL})")
    assert bound <= MAX_FALL, (pass8, change, se)


MIN_PROBLEMS = 400  # recipes/svs_grpo_rounds.yaml eval.limit: a paired SE of about 0.011 near pass@8 0.9
Z = 2.0  # one-sided 97.7 % confidence
MAX_FALL = 0.07  # the claim: pass@8 does not fall by more than this (README, Benchmarks)


def per_problem_evals(store, ev: dict, models: list, tmp_path) -> list[dict]:
    """`datagen eval --out` for each model with the recipe's eval settings, side by side (their
    samples are in the store's request cache, so this is mostly engine start-up)."""
    import subprocess

    from tests.integration.cli_runs import datagen_cmd

    procs, outs = [], []
    for i, model in enumerate(models):
        out = tmp_path / f"per-problem-{i}.json"
        args = ["eval", "--data", ev["data"], "--verifier", ev["verifier"], "--k", ev["k"], "--n", ev["n"] or ev["k"],
                "--limit", ev["limit"], "--seed", ev["seed"], "--temperature", ev["temperature"], "--top-p", ev["top_p"],
                "--max-tokens", ev["max_tokens"], "--template", ev["template"], "--dtype", "float32", "--store", store, "--out", out]
        args += ["--model", model] if model else []
        procs.append(subprocess.Popen(datagen_cmd(*args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outs.append(out)
    for p in procs:
        stdout, stderr = p.communicate(timeout=900)
        assert p.returncode == 0, stderr[-4000:]
    return [json.loads(o.read_text()) for o in outs]


def paired_change(before: dict, after: dict, k: int) -> tuple[float, float, int]:
    """Mean per-problem change of pass@k over the problems both judged, and its standard error."""
    import math

    from datagen.evaluate import pass_at_k

    def scores(result):
        return {p["id"]: pass_at_k(p["n"], p["correct"], k) for p in result["per_problem"] if p["correct"] is not None}

    a, b = scores(before), scores(after)
    ids = sorted(a.keys() & b.keys())
    d = [b[i] - a[i] for i in ids]
    n = len(d)
    mean = sum(d) / n
    var = sum((x - mean) ** 2 for x in d) / (n - 1)
    return mean, math.sqrt(var / n), n
