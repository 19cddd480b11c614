"""Procedural arithmetic tasks (datagen.tiny.tasks): fast, no model needed."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest

from datagen.tiny import evaluate, tasks
from datagen.tiny.templates import name_and_object
from schemas import prompts


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


def test_prompts_are_the_schemas_templates():
    p = tasks.make_problems(1, seed=0)[0]
    assert tasks.solve_prompt("Q?") == "Solve step by step and put the final answer in \\boxed{}.\n\nQ?"
    assert tasks.solve_prompt("Q?") == prompts.SOLVE.format(question="Q?")
    assert tasks.variant_prompt(p) == prompts.VARIANT.format(question=p["question"], solution=p["solution"], answer=p["answer"])
    assert f"same final answer, {p['answer']}." in tasks.variant_prompt(p)
    r = tasks.rewrite_prompt(p, "1 + 1 = 2\nThe answer is \\boxed{2}.")
    assert r.startswith("Rewrite the solution in your own words.") and "\\boxed{}" in r
    assert r.endswith(f"Problem: {p['question']}\n\nSolution:\n1 + 1 = 2\nThe answer is \\boxed{{2}}.")
    for op in ("deepen", "broaden"):
        assert tasks.evolve_prompt(op, p) == prompts.EVOLVE[op].format(question=p["question"])
    v = tasks.verbalized_prompt(3, "REQ")
    assert v == prompts.VERBALIZED.format(m=3, request="REQ") and v.startswith("Give 3 different") and v.endswith("\n\nREQ")


def test_well_formed_accepts_template_problems_and_rejects_garble():
    rng = random.Random(1)
    for p in tasks.make_problems(300, seed=9) + tasks.make_problems(100, seed=9, split="test"):
        assert evaluate.well_formed(p["question"]), p["question"]
        assert evaluate.problem_steps(p["question"]) == p["difficulty"]
    assert all(evaluate.well_formed(tasks.problem_with_answer(t, rng)["question"]) for t in range(-5, 60))
    for bad in ["How many s. How many cNoah have left?",  # garble seen from an undertrained model
                "Tom has 10 mores. He gives 1 to Emma. How many apples does Tom have?",
                "Tom has 3 apples. He buys 2 more. How many apples does Tom have now",  # no "?"
                "Tom has 3 apples. \\boxed{5}?", "<response><text>Tom has 3 apples?", ""]:
        assert not evaluate.well_formed(bad), bad


def test_parse_verbalized():
    good = ("<response><text>A?</text><probability>0.50</probability></response>\n"
            "<response><text> B? </text><probability>0.3</probability></response>\n")
    assert evaluate.parse_verbalized(good) == [("A?", 0.5), ("B?", 0.3)]
    for bad in ["", "A?", good + "trailing", "junk" + good, good.replace("0.3", "x"), good.replace("0.3", "1.5"),
                "<response><text>A?</text></response>"]:
        assert evaluate.parse_verbalized(bad) is None, bad


def test_boxed_answer_takes_the_last_box():
    assert tasks.boxed_answer("\\boxed{1} then \\boxed{ 42 }") == "42"
    assert tasks.boxed_answer("no box") is None


def _kind(user: str) -> str:
    starts = {"solve": prompts.SOLVE, "variant": prompts.VARIANT, "rewrite": prompts.REWRITE,
              "deepen": prompts.EVOLVE["deepen"], "broaden": prompts.EVOLVE["broaden"], "verbalized": prompts.VERBALIZED}
    found = [k for k, t in starts.items() if user.startswith(t.split("{")[0])]
    assert len(found) == 1, user
    return found[0]


def _given(user: str) -> dict:
    """The problem (question, answer, solution) a prompt was built from."""
    q = user.split("Problem: ", 1)[1].split("\n\nSolution:", 1)[0] if "Problem: " in user else user.split("\n\n")[-1]
    return {"question": q, "solution": user.split("Solution:\n", 1)[-1]}


def test_training_conversations():
    convs = tasks.training_conversations(1500, seed=0)
    assert convs == tasks.training_conversations(1500, seed=0)
    assert convs[:300] == tasks.training_conversations(300, seed=0)  # prefix-stable
    kinds = dict.fromkeys(tasks.TASK_MIX, 0)
    by_question = {p["question"]: p for p in tasks.make_problems(1500, seed=0)}
    for conv in convs:
        roles = [m["role"] for m in conv]
        assert roles in (["user", "assistant"], ["system", "user", "assistant"])
        user, reply = conv[-2]["content"], conv[-1]["content"]
        kind = _kind(user)
        kinds[kind] += 1
        request = user.split("\n\n", 1)[1] if kind == "verbalized" else user
        p = by_question[_given(request)["question"]]
        if kind == "solve":
            assert user == tasks.solve_prompt(p["question"]) and reply == p["solution"]
        elif kind == "rewrite":
            given = _given(user)["solution"]
            assert tasks.boxed_answer(reply) == tasks.boxed_answer(given) == p["answer"]
            assert tasks.parse_steps(reply) == tasks.parse_steps(given) == tasks.parse_steps(p["solution"])
        elif kind == "verbalized":
            m = int(user.split()[1])
            assert user == tasks.verbalized_prompt(m, request)
            parsed = evaluate.parse_verbalized(reply)
            assert parsed and len(parsed) == m == len(reply.split("\n")), reply
            texts, probs = zip(*parsed, strict=True)
            assert len(set(texts)) == m and p["question"] not in texts
            assert all(evaluate.well_formed(t) for t in texts)
            assert list(probs) == sorted(probs, reverse=True) and 0 < sum(probs) <= 1
            assert all(f"<probability>{x:.2f}</probability>" in reply for x in probs)
        else:
            assert evaluate.well_formed(reply) and reply != p["question"], reply
    total = sum(tasks.TASK_MIX.values())
    assert all(abs(kinds[k] / len(convs) - w / total) < 0.04 for k, w in tasks.TASK_MIX.items()), kinds


def test_targets_have_the_asked_answer_or_difficulty():
    rng = random.Random(0)
    kept = retold = 0
    for p in tasks.make_problems(300, seed=6):
        avoid = {p["question"]}
        variant = tasks.variant_target(p, rng, avoid)
        assert variant["answer"] == p["answer"] and tasks.boxed_answer(variant["solution"]) == p["answer"]
        retold += tasks.parse_steps(variant["solution"]) == tasks.parse_steps(p["solution"])[-1:]
        deep = tasks.deepen_target(p, rng, avoid)
        assert deep["difficulty"] == min(p["difficulty"] + 1, 3) and deep["template"] != p["template"]
        name, obj = name_and_object(p["question"])
        assert name and name_and_object(deep["question"])[0] == name
        kept += obj is None or deep["template"] in ("bake_share", "two_groups") or name_and_object(deep["question"])[1] == obj
        broad = tasks.broaden_target(p, rng, avoid)
        assert broad["difficulty"] == p["difficulty"] and broad["template"] != p["template"]
        assert len(avoid) == 4  # all distinct from the question and from each other
        for t in (variant, deep, broad):
            assert evaluate.well_formed(t["question"]) and tasks.question_split(t["question"]) == "train"
            assert all(map(tasks.step_is_correct, tasks.parse_steps(t["solution"])))
    assert kept == 300  # the object is kept wherever the deeper template has a free object
    assert abs(retold / 300 - tasks.RETELL_RATE) < 0.1  # so many variants retell the last step


def test_training_conversations_never_contain_test_questions():
    text = "\n".join(m["content"] for c in tasks.training_conversations(3000, seed=0) for m in c)
    for p in tasks.make_problems(300, seed=0, split="test"):
        assert p["question"] not in text
    # every question in a prompt or a target, whatever the task, is from the train split
    questions = [q.removeprefix("Problem: ") for q in re.findall(r"(?:^|\n|<text>)([A-Z][^\n<]*?\?)(?=$|\n|</text>)", text)]
    assert len(questions) > 4000
    assert all(tasks.question_split(q) == "train" for q in questions)


def test_tasks_module_has_no_heavy_imports():
    code = "import sys, datagen.tiny.tasks; print(sorted({'torch', 'transformers', 'trl', 'vllm'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
