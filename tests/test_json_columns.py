"""Typed columns from JSON Schemas (datagen/json_columns.py): scalars, nested objects and arrays,
nullable forms, pydantic models with `$defs`, and what cannot be mapped (a JSON string); the
values shaped for the type; and `evolve`'s `output_schema` fields as a struct column on a fake
LLM, through parquet and `datasets`. The tiny-model run is in tests/integration/test_structured_runs.py."""

from __future__ import annotations

import json
from typing import Literal, Optional

import pyarrow as pa
import pytest
from pydantic import BaseModel

from datagen.json_columns import JsonColumn, arrow_type
from datagen.llm.base import Completion


class Step(BaseModel):
    text: str
    weight: float


class Solution(BaseModel):
    steps: list[Step]
    final: Step
    note: Optional[str] = None
    kind: Literal["proof", "computation"]
    tags: dict[str, int]
    either: int | str


def test_scalars_nesting_and_nullable_forms():
    schema = {"type": "object", "properties": {
        "s": {"type": "string", "format": "date"}, "i": {"type": "integer"}, "n": {"type": "number"}, "b": {"type": "boolean"},
        "e": {"enum": ["a", "b"]}, "c": {"const": 3}, "opt": {"type": ["integer", "null"]},
        "any": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
        "obj": {"type": "object", "properties": {"xs": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}}},
    }}
    assert arrow_type(schema) == pa.struct([
        ("s", pa.string()), ("i", pa.int64()), ("n", pa.float64()), ("b", pa.bool_()), ("e", pa.string()), ("c", pa.int64()),
        ("opt", pa.int64()), ("any", pa.bool_()), ("obj", pa.struct([("xs", pa.list_(pa.list_(pa.float64())))])),
    ])
    col = JsonColumn(schema)
    record = {"s": "2024-01-01", "i": 3, "n": 2, "b": True, "e": "a", "c": 3, "opt": None, "obj": {"xs": [[1, 2.5], []]}, "extra": 1}
    got = col.array([record, None]).to_pylist()
    assert got[0] == {"s": "2024-01-01", "i": 3, "n": 2.0, "b": True, "e": "a", "c": 3, "opt": None, "any": None,
                      "obj": {"xs": [[1.0, 2.5], []]}}  # undeclared properties are not kept
    assert got[1] is None and col.value({"i": 2.0})["i"] == 2 and col.value({"i": 2**70})["i"] is None


def test_a_pydantic_model_with_defs_maps_and_what_cannot_is_json_text():
    schema = Solution.model_json_schema()
    assert "$defs" in schema
    step = pa.struct([("text", pa.string()), ("weight", pa.float64())])
    assert arrow_type(schema) == pa.struct([("steps", pa.list_(step)), ("final", step), ("note", pa.string()), ("kind", pa.string()),
                                            ("tags", pa.string()), ("either", pa.string())])
    record = Solution(steps=[Step(text="a", weight=1)], final=Step(text="b", weight=0.5), kind="proof", tags={"x": 1}, either=4)
    value = JsonColumn(schema).value(record.model_dump(mode="json"))
    assert value["steps"] == [{"text": "a", "weight": 1.0}] and value["final"] == {"text": "b", "weight": 0.5}
    assert json.loads(value["tags"]) == {"x": 1} and json.loads(value["either"]) == 4 and value["note"] is None


@pytest.mark.parametrize("node", [
    {"type": "object"},  # no properties
    {"type": "object", "additionalProperties": {"type": "integer"}},
    {"type": "array"},  # no items
    {"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": "string"}},
    {"type": ["integer", "string"]},
    {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    {"allOf": [{"type": "integer"}, {"minimum": 0}]},
    {"$ref": "#/$defs/Missing"},
    {"$ref": "http://example.com/s.json"},
    {"type": "null"},
    {"enum": [1, "a"]},
    {},
])
def test_unmappable_schemas_fall_back_to_json_text(node):
    col = JsonColumn({"type": "object", "properties": {"x": node}})
    assert col.type == pa.struct([("x", pa.string())])
    assert col.value({"x": [1, {"a": "é"}]}) == {"x": '[1, {"a": "é"}]'} and col.value({"x": None}) == {"x": None}


def test_a_recursive_model_stops_at_the_cycle():
    class Node(BaseModel):
        v: int
        kids: list[Node] = []

    Node.model_rebuild()
    col = JsonColumn(Node.model_json_schema())
    assert col.type == pa.struct([("v", pa.int64()), ("kids", pa.list_(pa.string()))])
    assert col.value({"v": 1, "kids": [{"v": 2, "kids": []}]}) == {"v": 1, "kids": ['{"v": 2, "kids": []}']}


SCHEMA = {"type": "object", "properties": {"problem": {"type": "string"}, "answer": {"type": "integer"},
                                           "steps": {"type": "array", "items": {"type": "string"}}},
          "required": ["problem", "answer", "steps"], "additionalProperties": False}


class JsonLLM:
    identity = {"backend": "fake", "model": "m"}

    def generate(self, convs, sampling, first_index=0):
        assert sampling.json_schema == SCHEMA
        good = {"problem": "Ann has 3 cats and gets 4. How many?", "answer": 7, "steps": ["3 + 4"]}
        return [[Completion(json.dumps(good) if j % 2 == 0 else '{"problem": "cut', "stop") for _ in range(sampling.n)]
                for j in range(len(convs))]


def test_evolve_output_schema_fields_are_a_struct_column_through_parquet_and_datasets(tmp_path):
    import datasets
    import pyarrow.parquet as pq

    from datagen.engine import make_stage
    from datagen.stage import StageContext
    from datagen.stage_io import execute, write_parquet
    from schemas.models import ModelSpec
    from schemas.recipe import Recipe
    from tests.test_structured_generators import seeds

    class Pool:
        specs = {"default": ModelSpec(backend="vllm")}

        def get(self, name):
            return JsonLLM()

        def identity(self, name):
            return {**JsonLLM.identity, "backend": "vllm"}

    spec = Recipe.model_validate({"source": "s.jsonl", "output": {"name": "x"},
                                  "stages": [{"type": "evolve", "ops": ["paraphrase"], "output_schema": {"json": SCHEMA}}]}).stages[0]
    impl = make_stage(spec, StageContext(index=0, pool=Pool()))
    assert impl.describe()["output_schema"]["column"] == "struct<problem: string, answer: int64, steps: list<item: string>>"
    kept, rejected, _ = execute(impl, seeds(2), "evolve")
    write_parquet(kept, tmp_path / "kept.parquet")
    write_parquet(rejected, tmp_path / "rejected.parquet")
    typ = pa.struct([("problem", pa.string()), ("answer", pa.int64()), ("steps", pa.list_(pa.string()))])
    for name, n in (("kept", 1), ("rejected", 1)):
        table = pq.read_table(tmp_path / f"{name}.parquet")
        assert table.schema.field("structured").type == typ and table.num_rows == n
    row = datasets.Dataset.from_parquet(str(tmp_path / "kept.parquet"))[0]
    assert row["structured"] == {"problem": "Ann has 3 cats and gets 4. How many?", "answer": 7, "steps": ["3 + 4"]}
    assert row["question"] == row["structured"]["problem"] and row["answer"] == "7"
    assert pq.read_table(tmp_path / "rejected.parquet").column("structured").to_pylist() == [None]
