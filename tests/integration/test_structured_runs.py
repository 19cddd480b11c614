"""Structured outputs on real engines: the shipped `recipes/structured_problems.yaml` through the
CLI on vLLM (constrained decoding: every kept row's fields validate, a completion that does not
is a rejected row `schema_invalid: ...`; the fields are a struct column typed from the schema in
the published parquet), the transformers backend held to a schema by xgrammar, and the OpenAI
backend against the real vLLM server,
directly (`response_format: json_schema`) and through a proxy standing for a server without
structured outputs (it falls back to JSON mode, and validation still decides). The shipped
tiny-model recipes set `structured: false` (the tiny model never learned JSON); these runs turn it
on, with `max_chars` bounds (unbounded, it never closes its strings)."""

from __future__ import annotations

import json
from collections import Counter

import jsonschema
import pyarrow as pa
import pytest

from datagen.llm import RequestCache, make_llm
from datagen.recipe_io import load_recipe
from schemas.models import ModelSpec
from schemas.sampling import Sampling
from tests.integration.cli_runs import REPO, data_table, manifest, rejected_table, run_recipe, version_dir
from tests.integration.test_fault_proxy import FaultProxy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

RECIPE = REPO / "recipes" / "structured_problems.yaml"
SMALL = {"type": "object", "properties": {"answer": {"type": "integer"}, "unit": {"type": "string", "maxLength": 12}},
         "required": ["answer", "unit"], "additionalProperties": False}
CONVS = [[{"role": "user", "content": f"Kate has {i} eggs and buys 3 more. How many eggs?"}] for i in range(4)]


def test_structured_problems_recipe_on_vllm(tiny_model, tmp_path):
    store = tmp_path / "s"
    ref = run_recipe(RECIPE, store, "source.n=8")
    schema = load_recipe(RECIPE).stages[0].output_schema.json_
    table = data_table(store, ref)
    kept = table.to_pylist()
    rej = rejected_table(store, ref)
    rejected = rej.to_pylist() if rej is not None else []
    assert kept, Counter(r["reason"] for r in rejected)
    typed = pa.struct([("problem", pa.string()), ("answer", pa.int64()), ("topic", pa.string())])  # not a JSON string
    assert table.schema.field("structured").type == typed and rej.schema.field("structured").type == typed
    import datasets

    loaded = datasets.Dataset.from_parquet([str(p) for p in sorted((version_dir(store, ref) / "data").glob("*.parquet"))])
    assert loaded.features["structured"]["answer"].dtype == "int64" and loaded[0]["structured"] == kept[0]["structured"]
    for r in kept:
        fields = r["structured"]
        jsonschema.validate(fields, schema)
        assert r["question"] == fields["problem"].strip() and r["answer"] == str(fields["answer"])
        assert r["prompt"][-1]["content"].endswith(r["question"])
    generator = [r for r in rejected if r["rejected_by"] == "evolve"]
    assert all(r["reason"].startswith("schema_invalid: ") for r in generator), Counter(r["reason"] for r in generator)
    completions = len(kept) + len(rejected)  # 8 seeds x k=2
    assert completions == 16 and len(generator) <= 4, Counter(r["reason"] for r in generator)  # constrained: nearly all parse


def test_rejection_responses_as_records_graded_on_their_answer_field(tiny_model, tmp_path):
    """The quickstart's rejection stage with an output_schema: decoding held to it, the verifier
    grades the record's `answer`, the record is a typed column."""
    store = tmp_path / "s"
    schema = {"type": "object", "properties": {"answer": {"type": "integer", "minimum": 0, "maximum": 100000}},
              "required": ["answer"], "additionalProperties": False}
    stage = {"type": "rejection", "k": 4, "verifier": "math_answer", "output_schema": {"json": schema},
             "sampling": {"temperature": 0.8, "max_tokens": 16, "seed": 0}}
    ref = run_recipe(REPO / "recipes" / "quickstart.yaml", store, "source.n=6", "output.shards=1", f"stages={json.dumps([stage])}")
    table, rej = data_table(store, ref), rejected_table(store, ref)
    rows = table.to_pylist() + (rej.to_pylist() if rej is not None else [])
    assert len(rows) == 24 and table.schema.field("structured").type == pa.struct([("answer", pa.int64())])
    for r in rows:
        reply = json.loads(r["completion"][-1]["content"])  # every reply is the record (constrained)
        jsonschema.validate(reply, schema)
        assert r["structured"] == reply
        assert (r.get("reason") is None) == (str(reply["answer"]) == r["answer"]), r  # graded on the field alone


def generated(store, ref) -> list[dict]:
    rej = rejected_table(store, ref)
    rows = data_table(store, ref).to_pylist() + (rej.to_pylist() if rej is not None else [])
    return [r for r in rows if r.get("rejected_by") in (None, "evolve", "variational", "dedup", "decontaminate")]


def test_constrained_verbalized_lists_are_all_well_formed(tiny_model, tmp_path):
    store = tmp_path / "s"
    ref = run_recipe(REPO / "recipes" / "evolve_verbalized.yaml", store, "source.n=8", "stages.0.verbalized.structured=true",
                     "stages.0.verbalized.max_chars=120")
    rows = generated(store, ref)
    calls = Counter((r["meta"]["parent_id"], r["meta"]["generator"], r["meta"]["sample_index"]) for r in rows)
    assert len(calls) == 16 and set(calls.values()) == {3}, Counter(r.get("reason") for r in rows)  # 8 seeds x 2 ops, m = 3 each
    assert not [r for r in rows if (r.get("reason") or "").startswith(("schema_invalid", "unparseable"))]
    assert all(0 <= r["meta"]["verbalized_probability"] <= 1 and 0 < len(r["question"]) <= 120 for r in rows)
    assert manifest(store, ref)["stages"][0]["shape"]["schema"]["properties"]["responses"]["maxItems"] == 3


def test_constrained_svs_variants_are_all_well_formed(tiny_model, tmp_path):
    store = tmp_path / "s"
    ref = run_recipe(REPO / "recipes" / "svs.yaml", store, "source.n=16", "stages.0.rounds=1", "stages.0.structured=true",
                     "stages.0.problem_max_chars=120", "stages.0.variant_sampling.max_tokens=200")
    stats = manifest(store, ref)["stages"][0]["generator"]["rounds"][0]
    variants = [r for r in generated(store, ref) if r["meta"]["round"] == 1]
    assert stats["variants"] == len(variants) > 0 and stats["well_formed"] == stats["variants"], Counter(r.get("reason") for r in variants)
    assert 0 <= stats["answer_stated"] <= stats["well_formed"]
    assert {r.get("reason") for r in variants} <= {None, "variant_too_hard", "variant_too_easy", "duplicate"}
    assert all(r["answer"] is not None and 0 < len(r["question"]) <= 120 for r in variants)


def test_transformers_holds_verbalized_lists_to_the_schema_too(tiny_model, tmp_path):
    """xgrammar masks the transformers backend's tokens: the same well-formed lists as on vLLM."""
    store = tmp_path / "s"
    ref = run_recipe(REPO / "recipes" / "evolve_verbalized.yaml", store, "source.n=2", "models.default.backend=transformers",
                     "stages.0.verbalized.structured=true", "stages.0.verbalized.max_chars=120", "stages.0.ops=[broaden]",
                     "output.shards=1")
    rows = generated(store, ref)
    calls = Counter((r["meta"]["parent_id"], r["meta"]["sample_index"]) for r in rows)
    assert len(calls) == 2 and set(calls.values()) == {3}, Counter(r.get("reason") for r in rows)  # 2 seeds, m = 3 each
    assert not [r for r in rows if (r.get("reason") or "").startswith(("schema_invalid", "unparseable"))]
    assert manifest(store, ref)["stages"][0]["shape"]["form"] == "json"


def test_openai_backend_asks_the_server_for_the_schema(vllm_server, tiny_model, tmp_path):
    spec = ModelSpec(backend="openai", model=str(tiny_model), base_url=vllm_server, max_concurrency=4, timeout_s=60)
    out = make_llm(spec, RequestCache(tmp_path / "c.sqlite")).generate(CONVS, Sampling(n=2, max_tokens=96, seed=3, json_schema=SMALL))
    done = [c for o in out for c in o if c.ok and c.finish_reason == "stop"]
    assert done, [(c.finish_reason, c.text[:80]) for o in out for c in o]
    for c in done:
        jsonschema.validate(json.loads(c.text), SMALL)


def test_a_server_without_json_schema_gets_json_mode(vllm_server, tiny_model, tmp_path):
    def choose(n, body):
        return "400-no-json-schema" if json.loads(body).get("response_format", {}).get("type") == "json_schema" else None

    with FaultProxy(vllm_server, choose) as url:
        spec = ModelSpec(backend="openai", model=str(tiny_model), base_url=url, max_concurrency=2, timeout_s=60, max_retries=2)
        llm = make_llm(spec, RequestCache(tmp_path / "d.sqlite"))
        out = llm.generate(CONVS[:2], Sampling(n=1, max_tokens=64, seed=5, json_schema=SMALL))
    assert llm.backend.json_mode == "json_object"
    flat = [c for o in out for c in o]
    assert all(c.ok for c in flat), [c.error for c in flat]
    for c in flat:
        if c.finish_reason == "stop":
            assert isinstance(json.loads(c.text), dict)  # JSON mode: an object; the stage's validation decides the rest
