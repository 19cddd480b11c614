"""Shaped generator replies (generators/shapes.py): Verbalized Sampling lists and new problems as
JSON held to built-in schemas where the backend can constrain decoding, the text parsers
elsewhere or with `structured: false`; the schemas (grammar-compilable, in the request key and
the stage description), the readers' reasons, and SvS / self-play / rejection / evolve on a fake
LLM. The tiny-model runs are in tests/integration/test_structured_runs.py."""

from __future__ import annotations

import json

import pytest

from datagen.llm.base import Completion
from datagen.stage import StageContext
from generators.candidates import TaggedList, _split, draw
from generators.shapes import JsonList, JsonProblem, problem_schema, problem_shape, verbalized_schema, verbalized_shape
from schemas import prompts
from schemas.generators import Verbalized
from schemas.models import ModelSpec
from schemas.recipe import Recipe
from schemas.rows import SEED_SCHEMA, empty_meta
from schemas.sampling import Sampling


def stage(spec: dict):
    return Recipe.model_validate({"source": "s.jsonl", "stages": [spec], "output": {"name": "x"}}).stages[0]


def test_the_shape_follows_the_backend_and_the_switch():
    vs = Verbalized(m=3)
    assert isinstance(verbalized_shape(vs, "vllm"), JsonList) and isinstance(verbalized_shape(vs, "openai"), JsonList)
    assert isinstance(verbalized_shape(vs, "transformers"), JsonList)  # xgrammar constrains it too
    assert isinstance(verbalized_shape(Verbalized(m=3, structured=False), "vllm"), TaggedList)
    assert verbalized_shape(None, "vllm") is None
    svs = stage({"type": "variational"})
    assert isinstance(problem_shape(svs, "vllm"), JsonProblem) and isinstance(problem_shape(svs, "transformers"), JsonProblem)
    assert problem_shape(stage({"type": "variational", "structured": False}), "vllm") is None
    assert isinstance(problem_shape(stage({"type": "variational", "verbalized": {"m": 2}}), "vllm"), JsonList)
    assert isinstance(problem_shape(stage({"type": "self_play", "verbalized": {"m": 2, "structured": False}}), "vllm"), TaggedList)


def test_built_in_schemas_come_from_the_stage_and_compile_for_the_grammar_backend():
    s = verbalized_schema(4, max_chars=120)
    items = s["properties"]["responses"]
    assert items["minItems"] == items["maxItems"] == 4 and items["items"]["properties"]["text"]["maxLength"] == 120
    assert items["items"]["properties"]["probability"]["multipleOf"] == 0.01
    assert "maxLength" not in verbalized_schema(4)["properties"]["responses"]["items"]["properties"]["text"]
    assert set(problem_schema()["required"]) == {"problem", "answer"} and problem_schema(False)["required"] == ["problem"]
    llguidance = pytest.importorskip("llguidance")
    for schema in (s, verbalized_schema(2), problem_schema(), problem_schema(False, 300)):
        assert llguidance.LLMatcher.validate_grammar(llguidance.LLMatcher.grammar_from_json_schema(schema)) == ""


def test_a_json_list_is_asked_for_constrained_and_read_back():
    shape = JsonList(Verbalized(m=3))
    asked = shape.ask([{"role": "system", "content": "s"}, {"role": "user", "content": "Write a problem."}])
    assert asked[0] == {"role": "system", "content": "s"} and asked[1]["content"].endswith("Write a problem.")
    assert '"responses"' in asked[1]["content"] and "exactly 3 responses" in asked[1]["content"]
    constrained = shape.sampling(Sampling())
    assert constrained.json_schema == verbalized_schema(3) and constrained.cache_dict() != Sampling().cache_dict()
    reply = {"responses": [{"text": " Ann has 3 cats. How many? ", "probability": 0.29}, {"text": "  ", "probability": 0.1},
                           {"text": "Bo has 4 pens. How many?", "probability": 0.57}]}
    got = shape.split(Completion(json.dumps(reply), "stop"), 4)
    assert [(c.key, c.text, c.probability) for c in got] == [("4.0", "Ann has 3 cats. How many?", 0.29), ("4.1", "Bo has 4 pens. How many?", 0.57)]
    two = {"responses": reply["responses"][:2]}
    assert shape.split(Completion(json.dumps(two), "stop"), 0)[0].error.startswith("schema_invalid: responses: ")
    high = {"responses": [{"text": "x", "probability": 1.5}] * 3}
    assert "responses.0.probability" in shape.split(Completion(json.dumps(high), "stop"), 0)[0].error
    cut = shape.split(Completion('{"responses":[{"text":"Ann has', "length"), 0)
    assert len(cut) == 1 and cut[0].error.startswith("schema_invalid: cut off at max_tokens")
    assert shape.split(Completion("<response><text>x</text>", "stop"), 0)[0].error.startswith("schema_invalid: not JSON")
    empty = {"responses": [{"text": " ", "probability": 0.5}] * 3}
    assert shape.split(Completion(json.dumps(empty), "stop"), 0)[0].error == "empty_output"


def test_a_json_problem_keeps_its_stated_answer_in_fields():
    shape = JsonProblem(max_chars=200)
    asked = shape.ask([{"role": "user", "content": "Vary it."}])
    assert asked[0]["content"] == "Vary it." + prompts.PROBLEM_JSON
    assert shape.sampling(Sampling()).json_schema["properties"]["problem"]["maxLength"] == 200
    [c] = shape.split(Completion('{"problem": " Ann has 7 cats. How many? ", "answer": "7"}', "stop"), 2)
    assert c.ok and c.text == "Ann has 7 cats. How many?" and c.fields["answer"] == "7" and c.key == "2"
    assert shape.split(Completion('{"problem": " ", "answer": "7"}', "stop"), 0)[0].error == "empty_output"
    assert shape.split(Completion('{"problem": "x"}', "stop"), 0)[0].error == "schema_invalid: (root): 'answer' is a required property"
    only = JsonProblem(with_answer=False)
    assert only.ask([{"role": "user", "content": "New."}])[0]["content"].endswith(prompts.PROBLEM_ONLY_JSON)


def test_a_verbalized_spec_still_means_the_tagged_list():
    vs = Verbalized(m=2)
    reply = "<response><text>A?</text><probability>0.4</probability></response><response><text>B?</text></response>"
    assert [c.text for c in _split(Completion(reply, "stop"), 0, vs)] == ["A?", "B?"]
    with pytest.raises(ValueError, match="json_template must contain"):
        Verbalized(m=2, json_template="Give {m} as JSON.")


class FakeLLM:
    """Answers solve prompts with \\boxed{7} on even samples and \\boxed{1} on odd ones, and
    writing prompts in whatever form was asked: JSON when the sampling carries a schema."""

    identity = {"backend": "fake", "model": "m"}

    def __init__(self):
        self.calls = []

    def generate(self, convs, sampling, first_index=0):
        self.calls.append((convs, sampling))
        return [[self._one(conv[-1]["content"], sampling.json_schema, j, i) for i in range(first_index, first_index + sampling.n)]
                for j, conv in enumerate(convs)]

    def _one(self, prompt, schema, j, i) -> Completion:
        problem = f"Ann has {7 + 10 * j + i} cats and gives away {10 * j + i}. How many are left?"
        if prompt.startswith("Solve step by step"):
            return Completion(f"So \\boxed{{{7 if i % 2 == 0 else 1}}}", "stop")
        if schema is None:
            return Completion(f"<response><text>{problem}</text><probability>0.5</probability></response>"
                              if "<response>" in prompt else problem, "stop")
        if "responses" in schema["properties"]:
            m = schema["properties"]["responses"]["minItems"]
            return Completion(json.dumps({"responses": [{"text": f"{problem} ({s})", "probability": 0.3} for s in range(m)]}), "stop")
        return Completion(json.dumps({"problem": problem, "answer": "7" if i % 2 == 0 else "8"}), "stop")


class Pool:
    """A model pool of one scripted model (`llm`, default FakeLLM) on `backend`."""

    def __init__(self, backend, llm=None):
        self.llm_, self.specs = llm or FakeLLM(), {"default": ModelSpec(backend=backend)}

    def get(self, name):
        return self.llm_

    def identity(self, name):
        return {**self.llm_.identity, "backend": self.specs[name].backend}


def seeds(n: int = 3):
    import pyarrow as pa

    rows = [{"id": f"s{j}", "question": f"Bo has {j} pens and finds {7 - j}. How many?", "answer": "7", "solution": "7",
             "meta": empty_meta("test")} for j in range(n)]
    return pa.Table.from_pylist(rows, schema=SEED_SCHEMA)


def run(spec: dict, backend: str):
    from datagen.engine import make_stage
    from datagen.stage_io import execute

    pool = Pool(backend)
    impl = make_stage(stage(spec), StageContext(index=0, pool=pool))
    kept, rejected, _ = execute(impl, seeds(), "g")
    return impl, pool.llm_.calls, kept.to_dicts() + rejected.to_dicts()


def test_svs_asks_for_json_variants_where_the_backend_constrains_and_text_elsewhere():
    spec = {"type": "variational", "k": 4, "variants_per_solution": 2, "band": {"lo": 0.1, "hi": 0.9}}
    impl, calls, rows = run(spec, "vllm")
    writing = [(c, s) for c, s in calls if s.json_schema is not None]
    assert len(writing) == 1 and writing[0][1].json_schema == problem_schema()
    assert all(conv[-1]["content"].endswith(prompts.PROBLEM_JSON) for conv in writing[0][0])
    variants = [r for r in rows if r["meta"]["round"] == 1]
    assert len(variants) == 6 and all(r["answer"] == "7" and r["question"].startswith("Ann has") for r in variants)
    stats = impl.report()["rounds"][0]
    assert stats["well_formed"] == 6 and stats["answer_stated"] == 3  # the fake states 7 on even samples, 8 on odd
    assert impl.describe()["shape"]["schema"] == problem_schema()

    impl, calls, rows = run({**spec, "structured": False}, "vllm")
    assert all(s.json_schema is None for _, s in calls) and "shape" not in impl.describe()
    assert "answer_stated" not in impl.report()["rounds"][0] and len([r for r in rows if r["meta"]["round"] == 1]) == 6
    _, calls, _ = run(spec, "transformers")  # constrained there too (xgrammar)
    assert [s.json_schema for _, s in calls if s.json_schema] == [problem_schema()]


def test_a_stated_answer_agrees_as_a_number_or_as_text_never_by_grading_prose():
    from generators.variational import stated_agrees

    stated = ["3/4", "1,000", "$12$", "x + 1", None, "", "twelve 12", "1e99999999", "How many cats? 7 + 5 = 12"]
    assert stated_agrees(stated, ["0.75", "1000", "12", "X+1", "7", "7", "12", "1", "12"]) == 4


def test_verbalized_lists_are_json_where_constrained_and_tagged_when_switched_off():
    spec = {"type": "evolve", "ops": ["broaden"], "verbalized": {"m": 3}}
    impl, calls, rows = run(spec, "vllm")
    assert calls[0][1].json_schema == verbalized_schema(3) and len(rows) == 9
    assert all(r["meta"]["verbalized_probability"] == 0.3 and r.get("reason") is None for r in rows)
    assert impl.describe()["shape"]["schema"] == verbalized_schema(3)
    _, calls, rows = run({**spec, "verbalized": {"m": 3, "structured": False}}, "transformers")
    assert calls[0][1].json_schema is None and "<response>" in calls[0][0][0][-1]["content"] and len(rows) == 3
    _, calls, rows = run({"type": "rejection", "k": 2, "verbalized": {"m": 2}}, "openai")
    assert calls[0][1].json_schema == verbalized_schema(2) and len(rows) == 12  # 3 prompts x 2 samples x 2 items
    _, calls, _ = run({"type": "self_play", "k": 2, "rounds": 2, "top_fraction": 1.0}, "vllm")
    assert [s.json_schema for _, s in calls if s.json_schema] == [problem_schema()]


def test_draw_with_a_shape_sends_its_prompt_and_schema():
    llm = FakeLLM()
    out = draw(llm, [[{"role": "user", "content": "Write."}]], Sampling(seed=3), 2, first_index=4, shape=JsonProblem())
    convs, sampling = llm.calls[0]
    assert sampling.n == 2 and sampling.seed == 3 and sampling.json_schema == problem_schema()
    assert convs[0][0]["content"] == "Write." + prompts.PROBLEM_JSON
    assert [c.key for c in out[0]] == ["4", "5"] and out[0][0].fields["answer"] == "7"
