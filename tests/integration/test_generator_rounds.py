"""The round logic shared by the generators, on the real tiny model (transformers backend, real
request cache, real math verifier): DART rounds stop each prompt as soon as it has its target
or its cap, and sample i of a prompt is the same whichever round draws it."""

from __future__ import annotations

import pytest

from datagen.llm import CachedLLM, RequestCache
from datagen.llm.transformers_backend import TransformersBackend
from datagen.tiny import tasks
from filters.verify import math_answer
from generators.common import render_prompts
from generators.solving import n_correct, solve, solve_in_rounds
from schemas import prompts
from schemas.models import ModelSpec
from schemas.sampling import Sampling

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SAMPLING = Sampling(temperature=0.8, max_tokens=120, seed=3)


@pytest.fixture(scope="module")
def llm(tiny_model, tmp_path_factory):
    backend = TransformersBackend(ModelSpec(backend="transformers", model=str(tiny_model), max_model_len=512))
    return CachedLLM(backend, RequestCache(tmp_path_factory.mktemp("rounds") / "cache.sqlite"))


@pytest.fixture(scope="module")
def problems():
    rows = tasks.make_problems(12, seed=11, split="test")
    return rows, render_prompts(rows, prompts.SOLVE, None, "t"), [r["answer"] for r in rows]


def test_dart_rounds_stop_at_target_or_cap_and_reuse_the_same_samples(llm, problems):
    rows, convs, answers = problems
    target, cap, size = 2, 8, 2
    rounds = solve_in_rounds(llm, convs, answers, SAMPLING, math_answer, [target] * len(rows), cap, size)
    fixed = solve(llm, convs, answers, SAMPLING, math_answer, cap)
    assert llm.stats.generated <= len(rows) * cap  # the fixed budget reused every round's samples
    drawn = [len(a) for a in rounds]
    for att, full, d in zip(rounds, fixed, drawn, strict=True):
        assert d % size == 0 and d <= cap
        assert [a.cand.text for a in att] == [a.cand.text for a in full[:d]]  # same samples, same order
        if n_correct(att) >= target:
            assert n_correct(att[: d - size]) < target, "a prompt kept sampling after reaching its target"
        else:
            assert d == cap, "a prompt stopped below target before its cap"
    assert sum(drawn) < len(rows) * cap, "DART should save samples on prompts that reach the target early"
