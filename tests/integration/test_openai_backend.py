"""The OpenAI-compatible backend against a real vLLM server serving the tiny model."""

from __future__ import annotations

import asyncio
import threading

import pytest

from datagen.llm import RequestCache, make_llm
from schemas.models import ModelSpec
from schemas.sampling import Sampling
from tests.integration.checks import assert_length_and_stop_strings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CONVS = [[{"role": "user", "content": q}] for q in ("What is 2 + 3?", "Reverse the word cat.", "What is 7 * 6?", "Sort 3 1 2.")]


@pytest.fixture
def spec(vllm_server, tiny_model) -> ModelSpec:
    return ModelSpec(backend="openai", model=str(tiny_model), base_url=vllm_server, max_concurrency=8, timeout_s=60)


def test_generates_with_seeds_logprobs_and_cache(spec, tmp_path):
    sampling = Sampling(n=3, temperature=1.0, max_tokens=24, seed=11, logprobs=0)
    llm = make_llm(spec, RequestCache(tmp_path / "a.sqlite"))
    out = llm.generate(CONVS, sampling)
    flat = [c for o in out for c in o]
    assert len(flat) == 12 and all(c.ok for c in flat), [c.error for c in flat]
    for c in flat:
        assert c.finish_reason in {"stop", "length"} and c.prompt_tokens > 0
        assert 0 < c.completion_tokens <= 24 and len(c.logprobs) == c.completion_tokens
        assert all(lp <= 0 for lp in c.logprobs)
    assert llm.stats.generated == 12 and llm.stats.completion_tokens == sum(c.completion_tokens for c in flat)

    # The server honours the per-sample seed: a fresh cache gets the very same samples.
    fresh = make_llm(spec, RequestCache(tmp_path / "b.sqlite")).generate(CONVS, sampling)
    assert [[c.text for c in o] for o in fresh] == [[c.text for c in o] for o in out]

    again = llm.generate(CONVS, sampling)  # all from the cache
    assert again == out and llm.stats.cache_hits == 12 and llm.stats.generated == 12

    later = llm.generate(CONVS, sampling.model_copy(update={"n": 2}), first_index=1)
    assert later == [o[1:] for o in out] and llm.stats.generated == 12


def test_greedy_stop_and_length(spec, tmp_path):
    llm = make_llm(spec, RequestCache(tmp_path / "c.sqlite"))
    greedy = llm.generate(CONVS[:2], Sampling(n=3, temperature=0.0, max_tokens=16))
    assert all(len({c.text for c in o}) == 1 for o in greedy)
    assert_length_and_stop_strings(llm, CONVS)


def test_refused_request_fails_at_once_with_its_reason(spec, tmp_path):
    llm = make_llm(spec, RequestCache(tmp_path / "d.sqlite"))
    too_long = [{"role": "user", "content": "1 2 3 4 " * 1000}]  # beyond the model's context
    out = llm.generate([too_long, CONVS[0]], Sampling(n=2, max_tokens=8))
    assert all(not c.ok and c.error.startswith("http 400") for c in out[0])
    assert all(c.ok for c in out[1])
    assert llm.backend.retries == 0  # a 400 is not retried


def test_runs_from_a_thread_and_inside_a_running_event_loop(spec, tmp_path):
    llm = make_llm(spec, RequestCache(tmp_path / "e.sqlite"))
    sampling = Sampling(n=2, max_tokens=8, seed=5)
    results = {}
    t = threading.Thread(target=lambda: results.update(thread=llm.generate(CONVS[:2], sampling)))
    t.start()
    t.join(120)

    async def from_async_code():
        return llm.generate(CONVS[2:], sampling)  # sync call with a loop already running here

    results["loop"] = asyncio.run(from_async_code())
    assert all(c.ok for key in ("thread", "loop") for o in results[key] for c in o)
    assert llm.stats.generated == 8


def test_cache_is_shared_across_backends_only_by_identity(spec, tmp_path):
    cache = RequestCache(tmp_path / "f.sqlite")
    llm = make_llm(spec, cache)
    llm.generate(CONVS[:1], Sampling(max_tokens=8))
    # Same model behind another address: same identity, so a hit without any request.
    moved = make_llm(spec.model_copy(update={"base_url": "http://127.0.0.1:9/v1"}), cache)
    assert moved.generate(CONVS[:1], Sampling(max_tokens=8))[0][0].ok and moved.stats.cache_hits == 1
