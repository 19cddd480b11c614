"""The pure parts of the generators: Verbalized Sampling parsing, DART budgets, pairing and
RSO acceptance, best-of-n, reward spread, problem cleaning, stage specs, stats merging."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from datagen.llm.base import Completion
from datagen.publish import merge_stats
from filters.verify import completion_text
from generators.candidates import Candidate, _split, parse_verbalized, wrap_verbalized
from generators.common import clean_problem
from generators.selection import best_of, no_pair_reason, pick_pairs, rso_accept, spread
from generators.solving import Attempt, n_correct, pass_rate, prop2diff_targets
from schemas.generators import Verbalized
from schemas.recipe import Recipe

VS_REPLY = (
    "<response><text>Ann has 3 apples. How many?</text><probability>0.5</probability></response>\n"
    "<response><text> Bo has 4 pens. How many? </text><probability>30%</probability></response>\n"
    "<response><text></text><probability>0.1</probability></response>\n"
    "<response><text>Cy has 5 cups. How many?</text>"
)


def test_parse_verbalized_reads_texts_and_probabilities_and_tolerates_truncation():
    got = parse_verbalized(VS_REPLY, m=5)
    assert got == [("Ann has 3 apples. How many?", 0.5), ("Bo has 4 pens. How many?", 0.3), ("Cy has 5 cups. How many?", None)]
    assert parse_verbalized(VS_REPLY, m=2) == got[:2]
    assert parse_verbalized("just one problem, no tags", m=3) == []
    assert parse_verbalized("<response><text>x</text><probability>7</probability></response>", 3) == [("x", None)]


def test_verbalized_candidates_and_malformed_output_become_reasons_not_crashes():
    vs = Verbalized(m=3)
    conv = [{"role": "system", "content": "s"}, {"role": "user", "content": "Write a problem."}]
    wrapped = wrap_verbalized(conv, vs)
    assert wrapped[0] == conv[0] and "Give 3 different responses" in wrapped[1]["content"]
    assert wrapped[1]["content"].endswith("Write a problem.")
    ok = _split(Completion(VS_REPLY, "stop"), 4, vs)
    assert [c.key for c in ok] == ["4.0", "4.1", "4.2"] and ok[1].probability == 0.3
    bad = _split(Completion("garbled", "length"), 5, vs)
    assert len(bad) == 1 and bad[0].error == "unparseable_verbalized_list"
    failed = _split(Completion.failed("timeout"), 6, None)
    assert failed[0].error == "llm_error: timeout"
    assert _split(Completion("   ", "stop"), 7, None)[0].error == "empty_output"


def _att(index, reason, score=None, slot=None):
    c = Candidate(f"text{index}", Completion(f"text{index}", "stop"), index, slot=slot)
    if reason and reason.startswith("llm_error"):
        c.error = reason
    if score is None and reason is None:
        score = 1.0
    elif score is None and reason in ("wrong_answer", "no_answer"):
        score = 0.0
    return Attempt(c, score, reason)


def test_pass_rate_counts_answers_not_failures():
    att = [_att(0, None), _att(1, "wrong_answer"), _att(2, "llm_error: boom"), _att(3, "unverifiable"), _att(4, "no_answer")]
    assert pass_rate(att) == pytest.approx(1 / 3) and n_correct(att) == 1
    assert pass_rate([_att(0, "llm_error: x")]) is None


def test_prop2diff_targets_follow_difficulty_with_a_floor_of_one():
    assert prop2diff_targets([1.0, 0.75, 0.5, 0.0, None], 8) == [1, 2, 4, 8, 8]
    assert prop2diff_targets([0.9], 4) == [1]


def test_pairs_are_correct_vs_wrong_each_used_once():
    att = [_att(0, "wrong_answer"), _att(1, None), _att(2, "no_answer"), _att(3, None), _att(4, "llm_error: x")]
    pairs = pick_pairs(att, 5)
    assert [(c.cand.index, r.cand.index) for c, r in pairs] == [(1, 0), (3, 2)]
    assert pick_pairs(att, 1) == pairs[:1]
    assert no_pair_reason([_att(0, None), _att(1, None)]) == "no_pair: no incorrect sample"
    assert no_pair_reason([_att(0, "wrong_answer")]) == "no_pair: no correct sample"
    assert no_pair_reason([_att(0, "llm_error: down")]) == "llm_error: down"


def test_rso_acceptance_keeps_the_best_and_thins_the_rest_by_exp_score_over_beta():
    scores = [1.0] + [0.0] * 4000
    acc = rso_accept(scores, beta=0.5, key="k")
    assert acc[0] and acc == rso_accept(scores, beta=0.5, key="k")  # deterministic per key
    rate = sum(acc[1:]) / 4000
    assert abs(rate - 0.1353) < 0.02  # exp(-1 / 0.5)
    assert sum(rso_accept(scores, beta=100.0, key="k")[1:]) > 3900


def test_best_of_prefers_high_score_then_low_index():
    att = [_att(0, "wrong_answer"), _att(1, None, score=0.7), _att(2, None, score=0.9), _att(3, None, score=0.9)]
    assert best_of(att).cand.index == 2
    assert best_of([_att(0, "llm_error: x")]) is None


def test_spread_is_max_minus_mean_or_std():
    assert spread([1, 0, 0, 0]) == pytest.approx(0.75)
    assert spread([1, 1, 1]) == 0.0 and spread([]) is None
    assert spread([1, 0], "std") == pytest.approx(0.5)


def test_clean_problem_strips_labels_and_rejects_empty_or_copied():
    assert clean_problem('Problem: "Ann has 3 apples. How many?"') == ("Ann has 3 apples. How many?", None)
    assert clean_problem("  ")[1] == "empty_output"
    assert clean_problem("ann has 3  apples.", parent_question="Ann has 3 apples.")[1] == "repeats_parent"
    assert completion_text([{"role": "assistant", "content": "x"}]) == "x" and completion_text("y") == "y"


def _recipe(stage: dict) -> Recipe:
    return Recipe.model_validate({"source": "s.jsonl", "stages": [stage], "output": {"name": "x"}})


def test_generator_specs_validate_fields_with_clear_errors():
    r = _recipe({"type": "rejection", "budget": "dart_prop2diff", "k": 8, "pass_rate_band": {"lo": 0.1, "hi": 0.9}})
    assert r.stages[0].pass_rate_band.contains(0.5) and not r.stages[0].pass_rate_band.contains(0.95)
    with pytest.raises(ValidationError, match="lo .* must not exceed hi"):
        _recipe({"type": "variational", "band": {"lo": 0.9, "hi": 0.1}})
    with pytest.raises(ValidationError, match="max_trials"):
        _recipe({"type": "rejection", "budget": "dart_uniform", "round_size": 8, "max_trials": 4})
    with pytest.raises(ValidationError, match="budget"):
        _recipe({"type": "rejection", "budget": "lots"})
    with pytest.raises(ValidationError, match="must contain {request}"):
        _recipe({"type": "evolve", "verbalized": {"m": 3, "template": "Give {m} answers."}})
    with pytest.raises(ValidationError, match="ops"):
        _recipe({"type": "evolve", "ops": ["deepen", "shout"]})
    for t in ("self_play", "rewrite", "evolve", "variational"):
        assert _recipe({"type": t}).stages[0].type == t


def test_merge_stats_sums_counts_across_shards():
    a = {"originals": 3, "rounds": [{"round": 1, "variants": 4, "mean_spread": 0.2}], "name": "x"}
    b = {"originals": 2, "rounds": [{"round": 1, "variants": 1, "mean_spread": 0.4}, {"round": 2, "variants": 2}], "name": "x"}
    merged = merge_stats([a, b])
    assert merged["originals"] == 5 and merged["name"] == "x"
    assert merged["rounds"][0] == {"round": 1, "variants": 5, "mean_spread": pytest.approx(0.3)}
    assert merged["rounds"][1] == {"round": 2, "variants": 2}


def test_diversity_metrics():
    import numpy as np

    from datagen.diversity import distinct_n, mean_pairwise_distance

    assert distinct_n(["a b c", "a b c"]) == 0.5 and distinct_n(["a b", "c d"]) == 1.0 and distinct_n(["x"]) == 0.0
    same = np.array([[1.0, 0.0]] * 3)
    assert mean_pairwise_distance(same) == pytest.approx(0.0)
    assert mean_pairwise_distance(np.array([[1.0, 0.0], [0.0, 1.0]])) == pytest.approx(1.0)
    assert mean_pairwise_distance(same[:1]) is None


def test_reward_pairs_pair_highest_with_lowest_and_best_of_by_reward():
    att = [_att(i, None if i % 2 else "wrong_answer") for i in range(5)]
    for a, r in zip(att, [0.1, 2.0, -1.0, 0.5, 0.5], strict=True):
        a.reward = r
    pairs = pick_pairs(att, 5, by="reward")
    assert [(c.cand.index, w.cand.index) for c, w in pairs] == [(1, 2), (3, 0)]
    assert best_of(att, "reward").cand.index == 1
    tied = [_att(0, None), _att(1, "wrong_answer")]
    tied[0].reward = tied[1].reward = 1.0
    assert pick_pairs(tied, 1, by="reward") == []
