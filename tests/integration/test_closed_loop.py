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


GAIN = 0.08  # measured +0.129 (README, Benchmarks; the goal is +0.10); the test keeps a margin for CPU nondeterminism
