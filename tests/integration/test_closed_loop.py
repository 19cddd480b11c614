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
    pass@8 on held-out problems does not fall (within one standard error of the 200-problem eval)."""
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
    print(f"svs+grpo rounds: pass@8 {pass8}, pass@1 {[loop['before']['pass@1']] + [e['eval']['pass@1'] for e in rounds]}, "
          f"wall {loop['wall_s']} s")
    assert pass8[-1] >= pass8[0] - PASS8_SLACK, pass8


PASS8_SLACK = 0.02  # one standard error of pass@8 near 0.93 on 200 problems; measured: 0.930 -> 0.930 (README)
