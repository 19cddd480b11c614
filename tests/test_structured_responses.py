"""A rejection stage with `output_schema`: each response a JSON record, the verifier (the real
math_answer) grading its answer field, the record in a typed `structured` column. The model
is scripted (no model is needed to check what is asked and how replies are read); the run on
the tiny model through vLLM is in tests/integration/test_structured_runs.py."""

from __future__ import annotations

import json

import pytest

from datagen.llm.base import Completion
from datagen.stage import StageContext
from tests.test_structured_generators import Pool, seeds, stage

SCHEMA = {"type": "object", "properties": {"reasoning": {"type": "string", "maxLength": 200}, "answer": {"type": "string"}},
          "required": ["reasoning", "answer"], "additionalProperties": False}


class Replies:
    """Sample i: a record whose reasoning boxes 1 and whose answer is 7 (even i) or 8 (odd);
    sample 3 is cut off mid-object."""

    identity = {"backend": "fake", "model": "m"}

    def __init__(self):
        self.calls = []

    def generate(self, convs, sampling, first_index=0):
        self.calls.append((convs, sampling))
        return [[self._one(i) for i in range(first_index, first_index + sampling.n)] for _ in convs]

    def _one(self, i):
        if i == 3:
            return Completion('{"reasoning": "Add the pens', "length")
        return Completion(json.dumps({"reasoning": "so \\boxed{1}", "answer": "7" if i % 2 == 0 else "8"}), "stop")


def run(spec: dict, backend: str):
    from datagen.engine import make_stage
    from datagen.stage_io import execute

    pool = Pool(backend, Replies())
    impl = make_stage(stage(spec), StageContext(index=0, pool=pool))
    kept, rejected, _ = execute(impl, seeds(2), "g")
    return impl, pool.llm_.calls, kept, rejected


@pytest.mark.parametrize("constrain", [True, False])
def test_responses_are_records_graded_on_their_answer_field(constrain):
    impl, calls, kept, rejected = run({"type": "rejection", "k": 4, "output_schema": {"json": SCHEMA, "constrain": constrain}}, "transformers")
    convs, sampling = calls[0]
    assert (sampling.json_schema == SCHEMA) == constrain  # validation only when not constrained
    assert 'the final answer alone in "answer"' in convs[0][-1]["content"]  # asked for in words either way
    assert impl.describe()["shape"]["schema"] == SCHEMA  # in the stage key
    # graded on the field: "7" is right although the reasoning boxes 1; "8" is wrong
    assert kept.height == 4 and {r["answer"] for r in kept.get_column("structured").to_list()} == {"7"}
    reasons = sorted(rejected.get_column("reason").to_list())
    assert reasons.count("wrong_answer") == 2 and sum(r.startswith("schema_invalid: cut off") for r in reasons) == 2
    assert str(kept.schema["structured"]) == "Struct({'reasoning': String, 'answer': String})"
    assert json.loads(kept.get_column("completion").to_list()[0][0]["content"])["answer"] == "7"


def test_an_answer_field_that_is_not_in_the_schema_is_named():
    from datagen.errors import UserError

    bad = {"json": SCHEMA, "answer_field": "final"}
    with pytest.raises(UserError, match=r"stages\.0\.output_schema\.answer_field: 'final' is not a property"):
        run({"type": "rejection", "output_schema": bad}, "vllm")
    with pytest.raises(ValueError, match="output_schema and verbalized cannot be combined"):
        stage({"type": "rejection", "output_schema": {"json": SCHEMA}, "verbalized": {"m": 2}})


def test_rewrites_are_records_too():
    import pyarrow as pa

    from datagen.engine import make_stage
    from datagen.stage_io import execute
    from schemas.rows import SEED_SCHEMA, empty_meta

    pool = Pool("vllm", Replies())
    impl = make_stage(stage({"type": "rewrite", "k": 2, "output_schema": {"json": SCHEMA}}), StageContext(index=0, pool=pool))
    rows = [{"id": "s0", "question": "Bo has 3 pens and finds 4. How many?", "answer": "7", "solution": "3 + 4 = 7",
             "meta": empty_meta("test")}]
    kept, rejected, _ = execute(impl, pa.Table.from_pylist(rows, schema=SEED_SCHEMA), "g")
    assert pool.llm_.calls[0][1].json_schema == SCHEMA
    assert kept.get_column("structured").to_list() == [{"reasoning": "so \\boxed{1}", "answer": "7"}]  # sample 0: graded on "7"
    assert rejected.get_column("reason").to_list() == ["wrong_answer"]  # sample 1 answers 8


PROBLEM = {"type": "object", "properties": {"problem": {"type": "string"}, "answer": {"type": "string"}},
           "required": ["problem", "answer"], "additionalProperties": False}


def test_new_problems_are_the_users_records_in_svs_and_self_play():
    from schemas import prompts
    from tests.test_structured_generators import run as run_fake

    spec = {"type": "variational", "k": 4, "variants_per_solution": 2, "band": {"lo": 0.1, "hi": 0.9}, "output_schema": {"json": PROBLEM}}
    impl, calls, rows = run_fake(spec, "vllm")
    writing = [(c, s) for c, s in calls if s.json_schema is not None]
    assert len(writing) == 1 and writing[0][1].json_schema == PROBLEM  # the user's schema, not the built-in one
    assert all('the new problem in "problem"' in conv[-1]["content"] and prompts.PROBLEM_JSON not in conv[-1]["content"]
               for conv in writing[0][0])
    variants = [r for r in rows if r["meta"]["round"] == 1]
    assert len(variants) == 6 and all(r["question"] == r["structured"]["problem"] and r["answer"] == "7" for r in variants)
    assert impl.report()["rounds"][0]["answer_stated"] == 3 and impl.describe()["shape"]["schema"] == PROBLEM
    _, calls, rows = run_fake({"type": "self_play", "k": 2, "rounds": 2, "top_fraction": 1.0, "output_schema": {"json": PROBLEM}}, "vllm")
    assert [s.json_schema for _, s in calls if s.json_schema] == [PROBLEM]
    made = [r for r in rows if r["meta"]["round"]]
    assert made and all(r["question"] == r["structured"]["problem"] for r in made)
    assert all(r["structured"] is None for r in rows if not r["meta"]["round"])  # the seed population has no record
