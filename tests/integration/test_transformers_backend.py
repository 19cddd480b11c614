"""The transformers backend on the tiny model, and `make_llm` for `model: null`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datagen.llm import CachedLLM, RequestCache, make_llm, tiny_build_hash
from datagen.llm.base import Request
from datagen.llm.transformers_backend import TransformersBackend
from schemas.models import ModelSpec
from schemas.sampling import Sampling
from tests.integration.checks import assert_length_and_stop_strings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

CONVS = [[{"role": "user", "content": q}] for q in ("What is 2 + 3?", "Reverse the word cat.")]


@pytest.fixture(scope="module")
def backend(tiny_model):
    return TransformersBackend(ModelSpec(backend="transformers", model=str(tiny_model), max_model_len=256))


@pytest.fixture
def llm(backend, tmp_path):
    return CachedLLM(backend, RequestCache(tmp_path / "cache.sqlite"))


def test_seeded_samples_reproduce_and_carry_counts_and_logprobs(backend, llm):
    sampling = Sampling(n=3, temperature=1.0, max_tokens=16, seed=2, logprobs=0)
    out = llm.generate(CONVS, sampling)
    flat = [c for o in out for c in o]
    assert all(c.ok for c in flat), [c.error for c in flat]
    for c in flat:
        assert c.finish_reason in {"stop", "length"} and c.prompt_tokens > 0 and 0 < c.completion_tokens <= 16
        assert len(c.logprobs) == c.completion_tokens and all(lp <= 0 for lp in c.logprobs)
    request = Request(messages=CONVS[0], seed=12345)
    assert backend.generate_one(request, sampling) == backend.generate_one(request, sampling)
    assert llm.generate(CONVS, sampling) == out and llm.stats.cache_hits == 6
    greedy = llm.generate(CONVS[:1], Sampling(n=2, temperature=0.0, max_tokens=12))[0]
    assert greedy[0].text == greedy[1].text


def test_length_stop_and_context_limit(backend, llm):
    assert_length_and_stop_strings(llm, CONVS)
    too_long = [{"role": "user", "content": "1 2 3 4 " * 200}]  # beyond max_model_len 256
    out = llm.generate([too_long], Sampling(max_tokens=4))[0][0]
    assert not out.ok and "does not fit the context" in out.error


def test_a_json_schema_holds_every_sample_to_it(backend, llm):
    """xgrammar masks the tokens the schema cannot take: every sample is a valid object that
    ends by itself (the tiny model was never taught JSON: unconstrained, none parses)."""
    import jsonschema

    schema = {"type": "object", "properties": {"answer": {"type": "integer", "minimum": 0, "maximum": 999},
                                               "unit": {"type": "string", "enum": ["eggs", "cats"]}},
              "required": ["answer", "unit"], "additionalProperties": False}
    out = llm.generate(CONVS, Sampling(n=3, temperature=1.0, max_tokens=40, seed=5, json_schema=schema, logprobs=0))
    for c in (c for o in out for c in o):
        jsonschema.validate(json.loads(c.text), schema)
        assert c.finish_reason == "stop" and len(c.logprobs) == c.completion_tokens
    free = llm.generate(CONVS, Sampling(n=3, temperature=1.0, max_tokens=40, seed=5))
    assert not any(c.text.startswith('{"answer"') for o in free for c in o)


def test_make_llm_with_no_model_uses_the_tiny_model_and_its_build_hash(tiny_model, tmp_path, monkeypatch):
    import datagen.tiny.build as tiny_build

    monkeypatch.setattr(tiny_build, "ensure_tiny_model", lambda: Path(tiny_model))  # the fixture's build
    llm = make_llm(ModelSpec(backend="transformers"), RequestCache(tmp_path / "c.sqlite"))
    ident = llm.identity
    assert ident["model"] == "datagen-tiny" and ident["build"] == tiny_build_hash(tiny_model) and ident["dtype"] == "float32"
    meta = Path(tiny_model) / "datagen_tiny.json"
    if meta.exists():
        assert ident["build"] == json.loads(meta.read_text())["build_hash"]
    assert llm.generate(CONVS[:1], Sampling(max_tokens=4))[0][0].ok


def test_engine_args_are_part_of_the_cache_identity(tiny_model, tmp_path):
    """A setting that changes outputs (here the attention kernel; a quantization, in real use)
    must never be served another setting's cached samples."""
    cache = RequestCache(tmp_path / "c.sqlite")
    plain = make_llm(ModelSpec(backend="transformers", model=str(tiny_model)), cache)
    eager = make_llm(ModelSpec(backend="transformers", model=str(tiny_model), engine_args={"attn_implementation": "eager"}), cache)
    assert "engine_args" not in plain.identity and eager.identity["engine_args"] == {"attn_implementation": "eager"}
    sampling = Sampling(n=2, max_tokens=8, seed=1)
    plain.generate(CONVS, sampling)
    eager.generate(CONVS, sampling)
    assert eager.stats.cache_hits == 0 and eager.stats.generated == 4
    eager.generate(CONVS, sampling)
    assert eager.stats.cache_hits == 4
