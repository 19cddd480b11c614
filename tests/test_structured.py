"""Structured outputs (datagen/llm/structured.py, `output_schema` on `evolve`): schema
resolution and its errors, validation messages, the constraint handed to backends (and its
place in the request's cache key), the OpenAI body. The model runs are in
tests/integration/test_structured_runs.py."""

import json

import pytest

from datagen.errors import UserError
from datagen.llm.base import Request
from datagen.llm.openai_backend import OpenAIBackend
from datagen.llm.structured import StructuredOutput
from datagen.recipe_io import load_recipe
from schemas.generators import OutputSchema
from schemas.models import ModelSpec
from schemas.sampling import Sampling
from tests.helpers import write_recipe

SCHEMA = {"type": "object", "properties": {"problem": {"type": "string", "minLength": 5}, "answer": {"type": "integer"}},
          "required": ["problem", "answer"], "additionalProperties": False}


def out(backend="vllm", **kw):
    return StructuredOutput(OutputSchema(**({"json": SCHEMA} | kw)), "stages.0.output_schema", backend)


def test_inline_schema_validates_and_names_what_is_wrong():
    s = out()
    assert s.parse('{"problem": "Ann has 3 cats.", "answer": 3}') == ({"problem": "Ann has 3 cats.", "answer": 3}, None)
    fields, why = s.parse('{"problem": "Ann has 3 cats.", "answer": "three"}')
    assert fields is None and why.startswith("schema_invalid: answer: ") and "integer" in why
    assert s.parse('{"problem": "Ann', )[1].startswith("schema_invalid: not JSON")
    assert s.parse('{"problem": "Ann has 3 cats.", "answer": 3, "extra": 1}')[1].startswith("schema_invalid: (root): Additional")


def test_a_pydantic_model_gives_the_schema_and_its_own_messages():
    s = StructuredOutput(OutputSchema(python="tests.stage_fns:Problem"), "stages.0.output_schema", "openai")
    assert set(s.schema["properties"]) == {"problem", "answer", "topic"} and s.constrained
    assert s.parse('{"problem": "Ann has 3 cats.", "answer": 3}')[0] == {"problem": "Ann has 3 cats.", "answer": 3, "topic": "arithmetic"}
    assert s.parse('{"problem": "Ann", "answer": 3}')[1] == "schema_invalid: problem: String should have at least 5 characters"


def test_without_a_constraint_the_object_is_found_in_free_text():
    s = out(constrain=False)  # validation only, as a text parser
    assert not s.constrained and s.sampling(Sampling()).json_schema is None
    assert out(backend="transformers").constrained  # xgrammar masks its tokens
    text = 'Sure! Here it is: {"problem": "A {curly} story, \\"quoted\\".", "answer": 7} Hope that helps.'
    assert s.parse(text)[0] == {"problem": 'A {curly} story, "quoted".', "answer": 7}
    assert s.parse("no json here")[1] == "schema_invalid: no JSON object in the output"


@pytest.mark.parametrize(("kw", "needle"), [
    ({"python": "tests.stage_fns:Nope", "json": None}, "stages.0.output_schema.python"),
    ({"question_field": "question"}, "stages.0.output_schema.question_field: 'question' is not a property"),
    ({"answer_field": "solution"}, "stages.0.output_schema.answer_field"),
    ({"json": {"type": "array"}}, "stages.0.output_schema.json: the schema must describe an object"),
    ({"json": {"type": "object", "properties": {"problem": {"type": 12}}}}, "stages.0.output_schema.json: not a valid JSON Schema"),
])
def test_bad_schemas_name_the_field(kw, needle):
    with pytest.raises(UserError, match=needle.replace(".", r"\.").replace("(", r"\(")):
        out(**kw)


def test_the_constraint_is_part_of_the_request_key():
    plain, constrained = Sampling(), out().sampling(Sampling())
    assert constrained.json_schema == SCHEMA and plain.cache_dict() != constrained.cache_dict()


def test_openai_body_asks_for_the_schema_then_json_mode():
    backend = OpenAIBackend(ModelSpec(backend="openai", model="m", base_url="http://127.0.0.1:9/v1"))
    sampling = Sampling(json_schema=SCHEMA)
    body = backend.payload(Request(messages=[{"role": "user", "content": "x"}], seed=1), sampling)
    assert body["response_format"] == {"type": "json_schema", "json_schema": {"name": "output", "schema": SCHEMA, "strict": True}}
    assert backend._refuses_schema(body, '{"error": "response_format json_schema is not supported"}')
    backend.json_mode = "json_object"
    assert backend.payload(Request(messages=[], seed=1), sampling)["response_format"] == {"type": "json_object"}
    assert "response_format" not in backend.payload(Request(messages=[], seed=1), Sampling())


def recipe(tmp_path, stage, backend="vllm"):
    spec = {"source": {"type": "procedural", "n": 2}, "stages": [stage], "output": {"name": "s"},
            "models": {"default": {"backend": backend}}}
    return write_recipe(tmp_path / "r.yaml", spec)


def test_recipes_refuse_what_cannot_work(tmp_path):
    with pytest.raises(UserError, match="output_schema and verbalized cannot be combined"):
        load_recipe(recipe(tmp_path, {"type": "evolve", "output_schema": {"json": SCHEMA}, "verbalized": {"m": 3}}))
    with pytest.raises(UserError, match="exactly one of `json`"):
        load_recipe(recipe(tmp_path, {"type": "evolve", "output_schema": {"json": SCHEMA, "python": "a:B"}}))
    ok = load_recipe(recipe(tmp_path, {"type": "evolve", "output_schema": {"json": SCHEMA}}, backend="transformers"))
    assert ok.stages[0].output_schema.json_ == SCHEMA  # constrained on transformers too (xgrammar)
    assert json.loads(json.dumps(ok.model_dump(mode="json", by_alias=True)))["stages"][0]["output_schema"]["json"] == SCHEMA
