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


def test_svs_grpo_rounds_recipe_chains_its_rounds(tiny_model, tmp_path):
    """SvS + GRPO as shipped, two small rounds (64 problems, eval on 40 with 4 samples): every
    round's data trains the next generator, GRPO takes steps with verifier rewards, each model
    card names its version. Whether pass@8 holds over three full rounds is a benchmark
    (tests/benchmarks/bench_svs_grpo_rounds.py: about 8 minutes)."""
    store = tmp_path / "s"
    small = ["--set", "rounds=2", "--set", "source.n=64", "--set", "eval.limit=40", "--set", "eval.k=4"]
    run_cli("run", REPO / "recipes" / "svs_grpo_rounds.yaml", "--store", store, *small, timeout=1800)
    loop = json.loads((store / ".models" / "svs-grpo" / "round-2" / "datagen_loop.json").read_text())
    rounds = loop["rounds"]
    assert [e["data"] for e in rounds] == ["svs-grpo@v1", "svs-grpo@v2"] and all(e["rows"] > 0 for e in rounds)
    assert all(e["train"]["steps"] > 0 and e["train"]["rewards"] for e in rounds)
    card = (store / ".models" / "svs-grpo" / "round-2" / "README.md").read_text()
    assert "svs-grpo@v2" in card and "- grpo" in card
    manifest = json.loads((store / "svs-grpo" / "v2" / "manifest.json").read_text())
    assert "round-1" in json.dumps(manifest["models"])  # round 2 generated with the model trained in round 1
    assert loop["before"]["problems"] == 40 and all(e["eval"]["problems"] == 40 for e in rounds)
