"""The OpenAI-compatible backend against a real vLLM server serving the tiny model."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading

import pytest

from datagen.llm import RequestCache, make_llm
from schemas.models import ModelSpec
from schemas.sampling import Sampling
from tests.integration.checks import assert_length_and_stop_strings
from tests.integration.cli_runs import REPO, datagen_cmd
from tests.integration.vllm_server import free_port

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


def test_a_server_that_is_not_there_is_named_and_not_retried_blindly(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    spec = ModelSpec(backend="openai", model="served", base_url=url, max_concurrency=1, max_retries=2, backoff_base_s=0.01, timeout_s=5)
    llm = make_llm(spec, RequestCache(tmp_path / "g.sqlite"))
    out = [c for o in llm.generate(CONVS, Sampling(n=2)) for c in o]
    assert not any(c.ok for c in out)
    for c in out:
        assert c.error.startswith(f"connection error (ConnectError): server at {url} unreachable (connection refused"), c.error
    assert out[0].error.endswith("after 2 retries")
    # the first request spent its retries; the other seven stop at their first refusal
    assert all("after 0 retries (stopped early" in c.error for c in out[1:]) and llm.backend.retries == 2


def test_a_server_that_dies_mid_request_is_reported_as_closed_then_unreachable(tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"

    def die_on_first_request():
        conn, _ = listener.accept()
        listener.close()  # the server is gone: later connections are refused
        conn.recv(65536)
        conn.close()  # ...and the request in flight sees its connection closed

    t = threading.Thread(target=die_on_first_request, daemon=True)
    t.start()
    spec = ModelSpec(backend="openai", model="served", base_url=url, max_retries=2, backoff_base_s=0.01, timeout_s=5)
    [[c]] = make_llm(spec, RequestCache(tmp_path / "h.sqlite")).generate(CONVS[:1], Sampling())
    t.join(10)
    assert not c.ok and url in c.error and "closed the connection, then refused new ones" in c.error, c.error
    assert c.error.endswith("after 2 retries")


def test_a_run_against_a_dead_server_fails_naming_it(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    over = ["--set", "source.n=4", "--set", "models.default.backend=openai", "--set", f"models.default.base_url={url}",
            "--set", "models.default.model=served", "--set", "models.default.max_retries=1", "--set", "models.default.backoff_base_s=0.01"]
    r = subprocess.run(datagen_cmd("run", REPO / "recipes" / "quickstart.yaml", *over, "--store", tmp_path / "store"),
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 1, r.stderr[-3000:]
    err = " ".join(r.stderr.split())  # the message may be wrapped
    assert "all 16 LLM requests failed" in err and f"server at {url} unreachable" in err, r.stderr[-3000:]
    assert not list((tmp_path / "store").glob("quickstart/v*"))
