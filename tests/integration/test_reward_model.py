"""Best-of-n and preference pairs ranked by a reward model (a real sequence-classification
model: the tiny model with a one-logit head, saved once with a fixed seed), through the real
CLI with the transformers backend."""

from __future__ import annotations

import pytest

from filters.reward_model import RewardModel
from tests.integration.cli_runs import REPO, data_table, rejected_table, run_recipe

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SMALL = ["source.n=12", "models.default.backend=transformers", "stages.0.k=4", "stages.0.sampling.max_tokens=80"]


def test_pairs_and_best_of_n_rank_by_the_reward_model(reward_model_dir, tmp_path):
    store = tmp_path / "s"
    recipe = REPO / "recipes" / "preference_pairs.yaml"
    ref = run_recipe(recipe, store, *SMALL, f"stages.0.reward_model={reward_model_dir}", "stages.0.rso_beta=5.0")
    pairs = data_table(store, ref).to_pylist()
    assert pairs
    rm = RewardModel(str(reward_model_dir))
    chosen = rm([p["prompt"] for p in pairs], [p["chosen"] for p in pairs])
    rejected = rm([p["prompt"] for p in pairs], [p["rejected"] for p in pairs])
    for p, c, w in zip(pairs, chosen, rejected, strict=True):
        assert c > w and p["meta"]["score"] == pytest.approx(c - w, abs=1e-4)

    ref = run_recipe(recipe, store, *SMALL, f"stages.0.reward_model={reward_model_dir}", "stages.0.output=best_of_n", "output.name=bon")
    best = data_table(store, ref).to_pylist()
    assert len(best) == len({r["meta"]["parent_id"] for r in best}) == 12
    scores = rm([r["prompt"] for r in best], [r["completion"] for r in best])
    assert [r["meta"]["score"] for r in best] == pytest.approx(scores, abs=1e-4)
    assert any(v["name"].startswith("reward_model:") for v in best[0]["meta"]["verdicts"])


def test_self_play_with_a_reward_model_pairs_best_and_worst_and_evolves_open_ended(reward_model_dir, tmp_path):
    store = tmp_path / "s"
    recipe = REPO / "recipes" / "self_play.yaml"
    ref = run_recipe(recipe, store, "source.n=6", "models.default.backend=transformers", "stages.0.k=3", "stages.0.rounds=2",
                     "stages.0.sampling.max_tokens=60", "stages.0.creator_sampling.max_tokens=60", "stages.0.reward=reward_model",
                     f"stages.0.reward_model={reward_model_dir}", "stages.0.output=pairs", "output.name=sp-rm")
    pairs = data_table(store, ref).to_pylist()
    assert pairs
    rm = RewardModel(str(reward_model_dir))
    chosen = rm([p["prompt"] for p in pairs], [p["chosen"] for p in pairs])
    rejected = rm([p["prompt"] for p in pairs], [p["rejected"] for p in pairs])
    assert all(c > w for c, w in zip(chosen, rejected, strict=True))
    assert all(p["meta"]["pass_rate"] is None and p["meta"]["score"] > 0 for p in pairs)
    # The final population holds evolved prompts: kept as pairs, or rejected only for want of a pair (the tiny
    # model often writes one text k times for an easy prompt), never dropped as uninformative.
    final = pairs + [r for r in rejected_table(store, ref).to_pylist() if r["reason"].startswith("no_pair")]
    evolved = [r for r in final if r["meta"]["round"] == 1]
    assert evolved, "evolved prompts should enter the population"
    assert all(r["answer"] is None and r["meta"]["parent_id"] for r in evolved)  # broaden: a new problem, answer unknown
