"""Procedural arithmetic tasks (datagen.tiny.tasks): fast, no model needed."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from datagen.tiny import tasks


def test_make_problems_is_deterministic_and_prefix_stable():
    a = tasks.make_problems(60, seed=3)
    assert a == tasks.make_problems(60, seed=3)
    assert a[:10] == tasks.make_problems(10, seed=3)
    assert a != tasks.make_problems(60, seed=4)
    assert [p["id"] for p in a[:2]] == ["arith/train/3/0", "arith/train/3/1"]


def test_problem_fields():
    for p in tasks.make_problems(200, seed=0) + tasks.make_problems(100, seed=0, split="test"):
        assert set(p) >= {"id", "question", "answer", "solution", "difficulty"}
        assert isinstance(p["answer"], str) and str(int(p["answer"])) == p["answer"]
        assert p["difficulty"] in (1, 2, 3)
        assert p["question"].endswith("?")
    ids = [p["id"] for p in tasks.make_problems(300, seed=1)]
    assert len(set(ids)) == len(ids)


def test_questions_are_distinct_within_a_call():
    qs = [p["question"] for p in tasks.make_problems(2000, seed=0)]
    assert len(set(qs)) == len(qs)


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_difficulty_pins_step_count(difficulty):
    for p in tasks.make_problems(40, seed=0, difficulty=difficulty):
        assert p["difficulty"] == difficulty == len(tasks.parse_steps(p["solution"]))


def test_train_and_test_are_disjoint():
    train = {p["question"] for p in tasks.make_problems(3000, seed=0, split="train")}
    test = {p["question"] for p in tasks.make_problems(500, seed=0, split="test")}
    test_other_seed = {p["question"] for p in tasks.make_problems(500, seed=7, split="test")}
    assert not train & (test | test_other_seed)
    assert all(tasks.question_split(q) == "test" for q in test)
    with pytest.raises(ValueError):
        tasks.make_problems(1, split="validation")


def test_every_solution_is_correct_step_by_step():
    for p in tasks.make_problems(1000, seed=2) + tasks.make_problems(300, seed=2, split="test"):
        lines = p["solution"].split("\n")
        assert lines[-1] == f"The answer is \\boxed{{{p['answer']}}}."
        steps = tasks.parse_steps(p["solution"])
        assert len(steps) == len(lines) - 1 == p["difficulty"]
        for line, step in zip(lines[:-1], steps, strict=True):
            assert line == tasks.format_step(step)  # one bare step per line
            assert tasks.step_is_correct(step), line
        assert tasks.boxed_answer(p["solution"]) == p["answer"] == str(steps[-1][3])
        for a, _, b, c in steps:  # small numbers, no negatives in forward problems
            assert 0 <= min(a, b, c) and max(a, b, c) <= 200


def test_paraphrase_keeps_steps_and_answer():
    rng = random.Random(0)
    for p in tasks.make_problems(200, seed=5):
        steps = tasks.parse_steps(p["solution"])
        text = tasks.paraphrase_solution(steps, rng)
        assert tasks.parse_steps(text) == steps
        assert tasks.boxed_answer(text) == p["answer"]


@pytest.mark.parametrize("target", list(range(-12, 130)) + [997, 1000, 12345])
def test_problem_with_answer_lands_on_target(target):
    rng = random.Random(target)
    for _ in range(3):
        p = tasks.problem_with_answer(target, rng)
        steps = tasks.parse_steps(p["solution"])
        assert all(tasks.step_is_correct(s) for s in steps)
        assert p["answer"] == str(target) == str(steps[-1][3]) == tasks.boxed_answer(p["solution"])
        if target >= 0:
            assert tasks.question_split(p["question"]) == "train"


def test_prompts_are_the_documented_strings():
    assert tasks.solve_prompt("Q?") == "Solve step by step and put the final answer in \\boxed{}.\n\nQ?"
    assert tasks.new_problem_prompt(9) == "Write a new math word problem whose answer is 9."
    assert tasks.propose_prompt("Q?") == "Write a new problem similar to this one:\n\nQ?"
    r = tasks.rewrite_prompt("Q?", "1 + 1 = 2\nThe answer is \\boxed{2}.")
    assert r.startswith("Rewrite the solution in your own words.")
    assert r.endswith("Problem: Q?\n\nSolution:\n1 + 1 = 2\nThe answer is \\boxed{2}.")


def test_boxed_answer_takes_the_last_box():
    assert tasks.boxed_answer("\\boxed{1} then \\boxed{ 42 }") == "42"
    assert tasks.boxed_answer("no box") is None


def test_training_conversations():
    convs = tasks.training_conversations(1500, seed=0)
    assert convs == tasks.training_conversations(1500, seed=0)
    kinds = {"solve": 0, "new_problem": 0, "rewrite": 0, "propose": 0}
    for conv in convs:
        roles = [m["role"] for m in conv]
        assert roles in (["user", "assistant"], ["system", "user", "assistant"])
        user, reply = conv[-2]["content"], conv[-1]["content"]
        assert reply.strip()
        if user.startswith(tasks.SOLVE_INSTRUCTION):
            kinds["solve"] += 1
            assert tasks.boxed_answer(reply) is not None
        elif user.startswith("Write a new math word problem"):
            kinds["new_problem"] += 1
            assert reply.endswith("?") and "\\boxed" not in reply
        elif user.startswith("Rewrite the solution"):
            kinds["rewrite"] += 1
            given = user.split("Solution:\n", 1)[1]
            assert tasks.boxed_answer(reply) == tasks.boxed_answer(given)
            assert tasks.parse_steps(reply) == tasks.parse_steps(given)
        else:
            assert user.startswith("Write a new problem similar to this one:")
            kinds["propose"] += 1
            assert reply.endswith("?") and reply not in user
    assert kinds["solve"] > 0.6 * len(convs)
    assert all(v > 0.03 * len(convs) for v in kinds.values())


def test_training_conversations_never_contain_test_questions():
    text = "\n".join(m["content"] for c in tasks.training_conversations(3000, seed=0) for m in c)
    for p in tasks.make_problems(300, seed=0, split="test"):
        assert p["question"] not in text


def test_tasks_module_has_no_heavy_imports():
    code = "import sys, datagen.tiny.tasks; print(sorted({'torch', 'transformers', 'trl', 'vllm'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
