"""Every generator recipe in `recipes/`, run as shipped through the real CLI on the embedded tiny
model and real vLLM (CPU build); each test checks what its generator promises about its rows."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from datagen.tiny.tasks import make_problems
from filters.verify import math_answer
from tests.integration.cli_runs import REPO, data_table, manifest, rejected_table, run_recipe

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

RECIPES = REPO / "recipes"


def rows(table) -> list[dict]:
    return table.to_pylist() if table is not None else []


def generator_rejects(table) -> list[dict]:
    """Rejected rows, less those the recipes' last stage (decontamination) removed: every recipe
    ends with `decontaminate`, which may match a procedural problem against a benchmark."""
    return [r for r in rows(table) if r["rejected_by"] != "decontaminate"]


def survived(r: dict) -> bool:
    """Kept, or removed only by a later filter (dedup, decontamination)."""
    return r.get("reason") is None or r.get("reason") == "duplicate" or r.get("rejected_by") == "decontaminate"


def correct(texts, answers) -> list[float]:
    return math_answer(None, list(texts), answer=list(answers))


def test_dart_math_samples_until_k_correct_or_the_cap(tiny_model, tmp_path):
    store = tmp_path / "s"
    ref = run_recipe(RECIPES / "dart_math.yaml", store)
    stage = manifest(store, ref)["stages"][0]
    g = stage["generator"]
    assert g["prompts"] == 96 and 0 < g["prompts_at_target"] <= g["prompts_with_correct"] <= 96
    assert g["samples"] < 96 * 32, "DART must stop sampling prompts that reached k"
    assert stage["kept"] + stage["rejected"] == g["samples"]
    assert set(stage["reasons"]) <= {"wrong_answer", "no_answer", "over_budget"}
    everything = rows(data_table(store, ref)) + rows(rejected_table(store, ref))
    per_parent = defaultdict(list)
    for r in everything:  # every sample of the rejection stage, kept, surplus or deduplicated
        per_parent[r["meta"]["parent_id"]].append(r)
    assert len(per_parent) == 96
    for rs in per_parent.values():
        rs.sort(key=lambda r: r["meta"]["sample_index"])
        good = [survived(r) or r.get("reason") == "over_budget" for r in rs]
        assert len(rs) % 4 == 0 and len(rs) <= 32, "whole rounds of 4, at most max_trials"
        assert sum(good[:-4]) < 4, "a prompt kept sampling after it had k correct"
        assert sum(good) >= 4 or len(rs) == 32, "a prompt stopped short of k before the cap"
        assert sum(survived(r) for r in rs) <= 4


def test_pass_rate_band_keeps_learnable_prompts_one_row_each(tiny_model, tmp_path):
    store = tmp_path / "s"
    ref = run_recipe(RECIPES / "rl_prompts_band.yaml", store)
    kept, rej, every = rows(data_table(store, ref)), generator_rejects(rejected_table(store, ref)), rows(rejected_table(store, ref))
    assert len(kept) + len(every) == 96 and kept and rej
    assert {r["meta"]["parent_id"] for r in kept + every} == {p["id"] for p in make_problems(96, seed=2)}
    for r in kept:
        assert 0.125 <= r["meta"]["pass_rate"] <= 0.875 and r["answer"] and r["prompt"][-1]["role"] == "user"
        assert "completion" not in r
    assert all(r["reason"] == "pass_rate_outside_band" for r in rej)
    assert all(r["meta"]["pass_rate"] < 0.125 or r["meta"]["pass_rate"] > 0.875 for r in rej)


def test_preference_pairs_are_verified_correct_vs_wrong_in_trl_format(tiny_model, tmp_path):
    from trl.data_utils import is_conversational

    store = tmp_path / "s"
    ref = run_recipe(RECIPES / "preference_pairs.yaml", store)
    pairs = rows(data_table(store, ref))
    assert pairs and all(is_conversational(p) for p in pairs)
    answers = [p["answer"] for p in pairs]
    assert correct([p["chosen"][0]["content"] for p in pairs], answers) == [1.0] * len(pairs)
    assert correct([p["rejected"][0]["content"] for p in pairs], answers) == [0.0] * len(pairs)
    assert max(Counter(p["meta"]["parent_id"] for p in pairs).values()) <= 2
    assert {r["reason"].split(":")[0] for r in generator_rejects(rejected_table(store, ref))} <= {"no_pair"}


def test_best_of_n_keeps_one_verified_sample_per_solved_prompt(tiny_model, tmp_path):
    store = tmp_path / "s"
    ref = run_recipe(RECIPES / "preference_pairs.yaml", store, "stages.0.output=best_of_n", "output.name=bon")
    kept = rows(data_table(store, ref))
    parents = [r["meta"]["parent_id"] for r in kept]
    assert kept and len(parents) == len(set(parents))
    assert correct([r["completion"][0]["content"] for r in kept], [r["answer"] for r in kept]) == [1.0] * len(kept)


def test_svs_variants_inherit_the_answer_and_sit_in_the_band(tiny_model, tmp_path):
    store = tmp_path / "s"
    ref = run_recipe(RECIPES / "svs.yaml", store)
    m = manifest(store, ref)
    g = m["stages"][0]["generator"]
    assert g["originals"] == 64 and g["varied"] > 0 and g["rounds"][0]["variants"] > 0
    kept, rej = rows(data_table(store, ref)), rows(rejected_table(store, ref))
    every = {r["id"]: r for r in kept + rej}
    originals = {p["id"]: p for p in make_problems(64, seed=4)}
    assert kept, "some variants should survive the band"
    for r in kept:
        parent = originals.get(r["meta"]["parent_id"]) or every[r["meta"]["parent_id"]]
        assert r["answer"] == parent["answer"] and r["question"] != parent["question"]
        assert 0.125 <= r["meta"]["pass_rate"] <= 0.875 and r["meta"]["round"] in (1, 2)
        assert correct([r["solution"]], [r["answer"]]) == [1.0]  # its first correct solution
        if r["meta"]["round"] == 2:
            assert every[r["meta"]["parent_id"]]["meta"]["round"] == 1
    assert {r["reason"] for r in rej if r["rejected_by"] != "decontaminate"} <= {"variant_too_hard", "variant_too_easy", "empty_output", "repeats_parent"}


def test_self_play_spread_rises_and_the_final_population_is_kept(tiny_model, tmp_path):
    store = tmp_path / "s"
    ref = run_recipe(RECIPES / "self_play.yaml", store)
    rounds = manifest(store, ref)["stages"][0]["generator"]["rounds"]
    spreads = [r["mean_spread"] for r in rounds]
    assert len(rounds) == 3 and spreads[-1] > spreads[0], spreads
    kept = rows(data_table(store, ref))
    removed = len(rows(rejected_table(store, ref))) - len(generator_rejects(rejected_table(store, ref)))  # by decontamination
    assert len(kept) + removed == 64 and all(r["meta"]["score"] is not None for r in kept)
    assert any(r["meta"]["round"] > 0 for r in kept), "evolved prompts should enter the population"
    for r in kept:
        if r["meta"]["round"] > 0:
            assert r["meta"]["generator"] == "self_play" and r["meta"]["parent_id"]


def test_raft_rewrites_are_kept_only_when_they_still_verify(tiny_model, tmp_path):
    store = tmp_path / "s"
    ref = run_recipe(RECIPES / "raft_rewrite.yaml", store)
    kept = rows(data_table(store, ref))
    assert kept
    assert correct([r["completion"][0]["content"] for r in kept], [r["answer"] for r in kept]) == [1.0] * len(kept)
    assert all(r["prompt"][-1]["content"].startswith("Solve step by step") for r in kept)
    reasons = {r["reason"] for r in generator_rejects(rejected_table(store, ref))}
    assert reasons <= {"wrong_answer", "no_answer", "duplicate", "empty_output"}


def test_evolve_with_verbalized_sampling_makes_new_prompts_with_probabilities(tiny_model, tmp_path):
    store = tmp_path / "s"
    ref = run_recipe(RECIPES / "evolve_verbalized.yaml", store)
    kept, rej = rows(data_table(store, ref)), rows(rejected_table(store, ref))
    assert kept, Counter(r["reason"] for r in rej)
    assert {r["meta"]["generator"] for r in kept} <= {"evolve:deepen", "evolve:broaden"}
    assert all(r["answer"] is None and r["prompt"][-1]["content"].endswith(r["question"]) for r in kept)
    assert any(r["meta"]["verbalized_probability"] is not None for r in kept)
    seeds = {p["question"] for p in make_problems(48, seed=7)}
    assert not seeds & {r["question"] for r in kept}


def test_self_play_with_majority_reward_emits_best_worst_pairs(tiny_model, tmp_path):
    from trl.data_utils import is_conversational

    store = tmp_path / "s"
    ref = run_recipe(RECIPES / "self_play.yaml", store, "source.n=24", "stages.0.rounds=2", "stages.0.reward=majority",
                     "stages.0.output=pairs", "output.name=sp-pairs")
    pairs = rows(data_table(store, ref))
    assert pairs and all(is_conversational(p) for p in pairs)
    for p in pairs:  # the pseudo-label is the majority answer; chosen agrees with it, rejected does not
        assert p["answer"] is not None
        assert correct([p["chosen"][0]["content"], p["rejected"][0]["content"]], [p["answer"]] * 2) == [1.0, 0.0]


def test_svs_with_verbalized_sampling_records_probabilities(tiny_model, tmp_path):
    store = tmp_path / "s"
    ref = run_recipe(RECIPES / "svs.yaml", store, "source.n=24", "stages.0.rounds=1", "stages.0.verbalized={m: 3, structured: false}",
                     "stages.0.variant_sampling.max_tokens=360", "output.name=svs-vs")
    made = rows(data_table(store, ref)) + rows(rejected_table(store, ref))
    assert made
    parsed = [r for r in made if r.get("reason") != "unparseable_verbalized_list"]
    assert parsed, Counter(r.get("reason") for r in made)
    assert all(r["meta"]["verbalized_probability"] is None or 0 <= r["meta"]["verbalized_probability"] <= 1 for r in parsed)
    assert len({r["id"] for r in made}) == len(made)


def test_raft_keep_if_similar_keeps_rewrites_close_to_the_reference(tiny_model, tmp_path):
    from datagen.embeddings import embed

    store = tmp_path / "s"
    ref = run_recipe(RECIPES / "raft_rewrite.yaml", store, "source.n=24", "stages.0.keep_if=similar",
                     "stages.0.min_similarity=0.9", "output.name=raft-sim")
    kept, rej = rows(data_table(store, ref)), rows(rejected_table(store, ref))
    assert kept and any(r["reason"] == "too_dissimilar" for r in rej)
    for r in kept[:20]:
        a, b = embed([r["completion"][0]["content"], r["solution"]])
        assert float(a @ b) >= 0.9 - 1e-4 and r["meta"]["score"] == pytest.approx(float(a @ b), abs=1e-3)
